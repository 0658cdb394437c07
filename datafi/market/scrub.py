"""The PII scrubber of dataset versions: finds and masks personal data in prompts and answers.

What it masks, and how it tells a real one from a look-alike:

========  =====================================================================  ============
kind      found by                                                               mask
========  =====================================================================  ============
email     local@domain.tld; not at a domain reserved for examples (RFC 2606 /    ``[EMAIL]``
          6761: example.com/.net/.org, *.example, *.test, *.invalid,
          *.localhost), which is nobody's address
phone     ``phonenumbers`` (libphonenumber) at leniency VALID: international     ``[PHONE]``
          (+...) numbers, and national numbers of the text's language's
          countries
card      13-19 digits (spaces or hyphens between), Luhn-valid, with the         ``[CARD]``
          prefix of a card network (Visa, Mastercard, Amex, Discover, JCB,
          Diners, UnionPay, Maestro)
iban      country code, 2 check digits, then the country's BBAN length, mod-97  ``[IBAN]``
          checksum (``python-stdnum``), with or without spaces
ip        IPv4 and IPv6 literals that are globally routable (``ipaddress``       ``[IP]``
          ``is_global``): private, loopback and documentation ranges identify
          nobody and are kept (code and tutorials are full of them)
wallet    Ethereum (0x + 40 hex), Bitcoin base58check (checksum) and bech32 /    ``[WALLET]``
          bech32m (checksum) addresses
========  =====================================================================  ============

Checksums keep invented numbers (order ids, timestamps, hashes) out. Findings
never overlap: where two kinds claim the same text, the one earlier in
``KINDS`` wins. No Django here: ``scrub`` is a pure function of its text.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn

KINDS = ("email", "wallet", "iban", "card", "ip", "phone")
MASKS = {kind: f"[{kind.upper()}]" for kind in KINDS}

# Countries whose national phone formats are looked for, by the text's language;
# international (+...) numbers are found whatever the language.
LANGUAGE_REGIONS = {
    "en": ("US", "GB"),
    "fr": ("FR",),
    "de": ("DE",),
    "es": ("ES",),
    "it": ("IT",),
    "pt": ("BR", "PT"),
    "zh": ("CN",),
    "ja": ("JP",),
    "ko": ("KR",),
    "ru": ("RU",),
}

_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
_RESERVED_TLDS = ("example", "test", "invalid", "localhost")

_EMAIL = re.compile(
    r"(?<![\w.+%-])[\w.+%-]{1,64}@((?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24})(?![\w-])"
)
_ETH = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")
_BTC58 = re.compile(r"(?<![0-9A-Za-z])[13][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9A-Za-z])")
_BECH32 = re.compile(r"(?<![0-9A-Za-z])(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,71}(?![0-9A-Za-z])")
_IBAN_START = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}\d{2}(?=[ -]?[0-9A-Za-z])")
_IBAN_BODY = re.compile(r"(?:[ -]?[0-9A-Za-z]){1,32}")
_DIGITS = re.compile(r"(?<![\d.,+])\d(?:[ -]?\d){12,22}(?![\d])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_MIN_PHONE_DIGITS = 7
_PHONE_DIGITS = re.compile(r"\d")

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    start: int
    end: int


def _email_ok(domain: str) -> bool:
    domain = domain.lower()
    if domain in _RESERVED_DOMAINS or any(domain.endswith("." + d) for d in _RESERVED_DOMAINS):
        return False
    return domain.rsplit(".", 1)[-1] not in _RESERVED_TLDS


def _base58check(text: str) -> bool:
    n = 0
    for ch in text:
        n = n * 58 + _B58.index(ch)
    raw = n.to_bytes(25, "big") if n < 1 << 200 else b""
    if len(raw) != 25:
        return False
    return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _bech32_ok(text: str) -> bool:
    if text != text.lower() and text != text.upper():
        return False
    text = text.lower()
    hrp, data = text[:2], text[3:]
    values = [_BECH32_CHARSET.index(c) for c in data]
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk in (1, 0x2BC830A3)  # bech32, bech32m


def _card_network(digits: str) -> bool:
    n = len(digits)
    two, four, six = int(digits[:2]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4":
        return n in (13, 16, 19)  # Visa
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return n == 16  # Mastercard
    if two in (34, 37):
        return n == 15  # Amex
    if digits.startswith("6011") or two == 65 or 644 <= int(digits[:3]) <= 649:
        return 16 <= n <= 19  # Discover
    if 3528 <= four <= 3589:
        return 16 <= n <= 19  # JCB
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:
        return 14 <= n <= 19  # Diners
    if two == 62 or 622126 <= six <= 622925:
        return 16 <= n <= 19  # UnionPay
    if two in (50, 56, 57, 58) or digits[0] == "6":
        return 12 <= n <= 19  # Maestro
    return False


def _cards(text: str):
    for m in _DIGITS.finditer(text):
        # Try every digit prefix of the run (longest first) that ends on a digit: a
        # card written before a year or a code still counts, a 20-digit id does not.
        chars = m.group(0)
        ends = [i + 1 for i, ch in enumerate(chars) if ch.isdigit()]
        for end in reversed(ends):
            digits = re.sub(r"\D", "", chars[:end])
            if 13 <= len(digits) <= 19 and _card_network(digits) and luhn.is_valid(digits):
                tail = chars[end : end + 1]
                if tail in ("", " ", "-"):
                    yield Finding("card", m.start(), m.start() + end)
                    break


def _ibans(text: str):
    for m in _IBAN_START.finditer(text):
        body = _IBAN_BODY.match(text, m.end())
        if body is None:
            continue
        chunk = text[m.start() : body.end()]
        compact, ends = "", []
        for i, ch in enumerate(chunk):
            if ch.isalnum():
                compact += ch.upper()
                ends.append((len(compact), i + 1))
        for length, end in reversed(ends):
            if 15 <= length <= 34 and stdnum_iban.is_valid(compact[:length]):
                yield Finding("iban", m.start(), m.start() + end)
                break


def _ips(text: str):
    for m in _IPV4.finditer(text):
        try:
            addr = ipaddress.IPv4Address(m.group(0))
        except ValueError:
            continue
        if addr.is_global:
            yield Finding("ip", m.start(), m.end())
    if ":" in text:
        for m in _IPV6.finditer(text):
            try:
                addr6 = ipaddress.IPv6Address(m.group(0))
            except ValueError:
                continue
            if addr6.is_global:
                yield Finding("ip", m.start(), m.end())


def _phones(text: str, language: str):
    if len(_PHONE_DIGITS.findall(text)) < _MIN_PHONE_DIGITS:
        return
    regions = LANGUAGE_REGIONS.get(language, ()) or ("US",)
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.VALID
        ):
            yield Finding("phone", match.start, match.end)


def find(text: str, *, language: str = "en") -> list[Finding]:
    """Every piece of personal data in ``text``, in order, never overlapping."""
    found: list[Finding] = []
    found += [
        Finding("email", m.start(), m.end()) for m in _EMAIL.finditer(text) if _email_ok(m.group(1))
    ]
    found += [Finding("wallet", m.start(), m.end()) for m in _ETH.finditer(text)]
    found += [
        Finding("wallet", m.start(), m.end())
        for m in _BTC58.finditer(text)
        if _base58check(m.group(0))
    ]
    found += [
        Finding("wallet", m.start(), m.end())
        for m in _BECH32.finditer(text)
        if _bech32_ok(m.group(0))
    ]
    found += list(_ibans(text))
    found += list(_cards(text))
    found += list(_ips(text))
    found += list(_phones(text, language))
    rank = {kind: k for k, kind in enumerate(KINDS)}
    found.sort(key=lambda f: (rank[f.kind], f.start))
    kept: list[Finding] = []
    for f in found:
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def scrub(text: str, *, language: str = "en") -> tuple[str, list[Finding]]:
    """``text`` with every finding replaced by its mask, and the findings (in ``text``)."""
    findings = find(text, language=language)
    if not findings:
        return text, []
    out, at = [], 0
    for f in findings:
        out.append(text[at : f.start])
        out.append(MASKS[f.kind])
        at = f.end
    out.append(text[at:])
    return "".join(out), findings


def excerpt(masked: str, *, around: str, width: int = 40) -> str:
    """The masked text around the first ``around`` mask, for the operator's review."""
    at = masked.find(around)
    if at < 0:
        return masked[: 2 * width]
    start, end = max(0, at - width), min(len(masked), at + len(around) + width)
    return ("…" if start else "") + masked[start:end] + ("…" if end < len(masked) else "")
