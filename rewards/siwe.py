"""Sign-In With Ethereum (EIP-4361) messages: a strict parser and a formatter.

No Django here. The parser accepts exactly the grammar of EIP-4361 (one field per
line, in the order the EIP fixes, LF line ends) and refuses anything else with
``SiweError``; the checks against what the server expects (domain, nonce, chain,
times) live in ``rewards.services.wallets``. Signatures are EIP-191
``personal_sign`` over the UTF-8 message, recovered with eth_account.

Our own parser because the PyPI ``siwe`` package conflicts with web3 8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import is_checksum_address, is_hex_address, to_checksum_address

from datafi import recursion  # noqa: F401  (eth_account raised the recursion limit)

__all__ = ["SiweError", "SiweMessage", "parse", "recover_address"]

HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
MAX_MESSAGE_BYTES = 4096

_DOMAIN_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[A-Za-z0-9.\-\[\]:]{1,253}$")
_ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
_NONCE_RE = re.compile(r"^[A-Za-z0-9]{8,64}$")
_CHAIN_RE = re.compile(r"^[1-9][0-9]{0,19}$")
# RFC 3339 date-time as EIP-4361 requires it.
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$")
_OPTIONAL = ("Expiration Time", "Not Before", "Request ID")


class SiweError(ValueError):
    """The message is not a well-formed EIP-4361 message."""


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: datetime
    statement: str | None = None
    scheme: str | None = None
    expiration_time: datetime | None = None
    not_before: datetime | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """The message exactly as a wallet shows and signs it."""
        head = f"{self.scheme}://{self.domain}" if self.scheme else self.domain
        lines = [head + HEADER_SUFFIX, self.address, ""]
        if self.statement is not None:
            lines += [self.statement, ""]
        else:
            lines += [""]
        lines += [
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {_fmt(self.issued_at)}",
        ]
        if self.expiration_time is not None:
            lines.append(f"Expiration Time: {_fmt(self.expiration_time)}")
        if self.not_before is not None:
            lines.append(f"Not Before: {_fmt(self.not_before)}")
        if self.request_id is not None:
            lines.append(f"Request ID: {self.request_id}")
        if self.resources:
            lines.append("Resources:")
            lines += [f"- {r}" for r in self.resources]
        return "\n".join(lines)


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _time(value: str, what: str) -> datetime:
    if not _TIME_RE.match(value):
        raise SiweError(
            # Translators: %(field)s is an EIP-4361 field name (e.g. "Issued At"), kept in English.
            _("%(field)s is not an RFC 3339 date-time: %(value)s")
            % {"field": what, "value": repr(value)}
        )
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SiweError(
            _("%(field)s is not a valid date-time: %(value)s")
            % {"field": what, "value": repr(value)}
        ) from None
    return parsed


def _uri(value: str, what: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or not (parts.netloc or parts.path) or any(c.isspace() for c in value):
        raise SiweError(
            _("%(field)s is not an absolute URI: %(value)s") % {"field": what, "value": repr(value)}
        )
    return value


def _field(lines: list[str], i: int, name: str) -> str:
    if i >= len(lines) or not lines[i].startswith(f"{name}: "):
        raise SiweError(
            _("expected '%(field)s: ...' on line %(line)d") % {"field": name, "line": i + 1}
        )
    value = lines[i][len(name) + 2 :]
    if not value:
        raise SiweError(_("'%(field)s' is empty") % {"field": name})
    return value


def parse(message: str) -> SiweMessage:
    """Parse an EIP-4361 message; raise SiweError on anything that does not fit the grammar."""
    if not isinstance(message, str):
        raise SiweError(_("the message must be a string"))
    if len(message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise SiweError(_("the message is too long"))
    if "\r" in message:
        raise SiweError(_("lines must end with LF only"))
    lines = message.split("\n")
    if len(lines) < 8:
        raise SiweError(_("the message is too short to be EIP-4361"))
    if not lines[0].endswith(HEADER_SUFFIX):
        raise SiweError(_("the first line must be '<domain> wants you to sign in ...'"))
    head = lines[0][: -len(HEADER_SUFFIX)]
    if not _DOMAIN_RE.match(head):
        raise SiweError(_("bad domain: %(domain)s") % {"domain": repr(head)})
    scheme, domain = head.split("://", 1) if "://" in head else (None, head)

    address = lines[1]
    if not _ADDRESS_RE.match(address):
        raise SiweError(_("line 2 must be a 0x-prefixed 20-byte address"))
    if address != address.lower() and not is_checksum_address(address):
        raise SiweError(_("the address has a wrong EIP-55 checksum"))
    if lines[2] != "":
        raise SiweError(_("line 3 must be empty"))

    # With a statement: address, "", statement, "", URI. Without: address, "", "", URI.
    if lines[3] == "":
        statement, i = None, 4
    else:
        statement = lines[3]
        if lines[4] != "":
            raise SiweError(_("the statement must be one line followed by an empty line"))
        i = 5
    uri = _uri(_field(lines, i, "URI"), "URI")
    version = _field(lines, i + 1, "Version")
    if version != "1":
        raise SiweError(_("Version must be 1"))
    chain = _field(lines, i + 2, "Chain ID")
    if not _CHAIN_RE.match(chain):
        raise SiweError(_("Chain ID must be a positive decimal integer"))
    nonce = _field(lines, i + 3, "Nonce")
    if not _NONCE_RE.match(nonce):
        raise SiweError(_("Nonce must be 8 to 64 letters and digits"))
    issued_at = _time(_field(lines, i + 4, "Issued At"), "Issued At")
    i += 5

    optional: dict[str, str] = {}
    for name in _OPTIONAL:
        if i < len(lines) and lines[i].startswith(f"{name}: "):
            optional[name] = _field(lines, i, name)
            i += 1
    resources: list[str] = []
    if i < len(lines) and lines[i] == "Resources:":
        i += 1
        while i < len(lines) and lines[i].startswith("- "):
            resources.append(_uri(lines[i][2:], "resource"))
            i += 1
    if i != len(lines):
        raise SiweError(_("unexpected content on line %(line)d") % {"line": i + 1})

    expiration = optional.get("Expiration Time")
    not_before = optional.get("Not Before")
    return SiweMessage(
        domain=domain,
        scheme=scheme,
        address=address,
        statement=statement,
        uri=uri,
        version=version,
        chain_id=int(chain),
        nonce=nonce,
        issued_at=issued_at,
        expiration_time=_time(expiration, "Expiration Time") if expiration else None,
        not_before=_time(not_before, "Not Before") if not_before else None,
        request_id=optional.get("Request ID"),
        resources=tuple(resources),
    )


def recover_address(message: str, signature: str) -> str:
    """The checksummed address that signed ``message`` (EIP-191); SiweError if unreadable."""
    if not isinstance(signature, str) or not re.fullmatch(r"0x[0-9a-fA-F]{130}", signature):
        raise SiweError(_("the signature must be 65 bytes of 0x-prefixed hex"))
    try:
        recovered = Account.recover_message(encode_defunct(text=message), signature=signature)
    except Exception as exc:  # eth_keys raises several types for an invalid signature
        raise SiweError(
            _("the signature cannot be recovered: %(error)s") % {"error": exc}
        ) from None
    return to_checksum_address(recovered)


def checksum(address: str) -> str:
    if not isinstance(address, str) or not is_hex_address(address):
        raise SiweError(_("not an Ethereum address"))
    return to_checksum_address(address)
