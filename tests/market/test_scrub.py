"""The PII scrubber measured: a planted corpus (>= 99% of planted items masked, per kind),
look-alikes that must stay, and the demo set (nothing masked by mistake)."""

import ipaddress
import json
import random
import string
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
from eth_utils import to_checksum_address
from stdnum import iban as stdnum_iban
from stdnum import luhn

from datafi.market import scrub

DEMO = Path(__file__).resolve().parents[2] / "evals" / "demo" / "demo.json"
PLANTED_PER_KIND = 400

TEMPLATES = {
    "en": [
        "My {what} is {value}, please keep it private.",
        "{value} is what I used last time. Is that a problem?",
        "Can you check this for me ({value}) before Friday?",
        "Write a polite reminder to the customer (reference: {value}).",
        "I wrote {value}\nin the form but it failed.",
    ],
    "fr": [
        "Voici mon {what} : {value}. Peux-tu rédiger un courriel ?",
        "Mon ami m'a donné {value}, est-ce normal ?",
    ],
    "de": [
        "Meine Angabe ist {value} - bitte formuliere eine Antwort.",
        "Kannst du {value} in die Tabelle eintragen?",
    ],
    "es": ["Mi dato es {value}; ¿cómo lo escribo en la carta?"],
}
WHAT = {
    "email": "email",
    "phone": "number",
    "card": "card",
    "iban": "account",
    "ip": "server",
    "wallet": "wallet",
}
PHONE_REGIONS = {"en": ["US", "GB"], "fr": ["FR"], "de": ["DE"], "es": ["ES"]}
IBAN_COUNTRIES = ["DE", "GB", "NL", "FR", "ES", "IT", "BE", "AT", "CH", "PL"]
BTC = [
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
]


def _email(rng):
    first = rng.choice(["jean", "maria", "li.wei", "o'neil", "anna-lena", "k.tanaka", "sam"])
    tag = rng.choice(["", "+news", str(rng.randrange(1, 99)), "_work"])
    domain = rng.choice(
        ["gmail.com", "outlook.fr", "uni-bonn.de", "mail.co.uk", "proton.me", "firma.com.br"]
    )
    local = first.replace("'", "") + tag
    return (local.upper() if rng.random() < 0.1 else local) + "@" + domain


def _phone(rng, language):
    region = rng.choice(PHONE_REGIONS[language])
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    for _ in range(200):
        national = str(example.national_number)
        digits = national[:2] + "".join(rng.choice(string.digits) for _ in national[2:])
        number = phonenumbers.parse("+" + str(example.country_code) + digits)
        if phonenumbers.is_valid_number(number):
            break
    form = rng.choice(
        [
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
            phonenumbers.PhoneNumberFormat.E164,
        ]
    )
    return phonenumbers.format_number(number, form)


def _card(rng):
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15),
                                 ("37", 15), ("6011", 16), ("3530", 16), ("4", 13)])  # fmt: skip
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    number = body + luhn.calc_check_digit(body)
    sep = rng.choice([" ", "-", ""])
    if length == 15:
        groups = [number[:4], number[4:10], number[10:]]
    else:
        groups = [number[i : i + 4] for i in range(0, length, 4)]
    return sep.join(groups)


def _iban(rng):
    for _ in range(1000):
        country = rng.choice(IBAN_COUNTRIES)
        length = {"DE": 22, "GB": 22, "NL": 18, "FR": 27, "ES": 24, "IT": 27, "BE": 16,
                  "AT": 20, "CH": 21, "PL": 28}[country]  # fmt: skip
        if country in ("GB", "NL"):
            bank = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
            bban = bank + "".join(rng.choice(string.digits) for _ in range(length - 8))
        elif country == "IT":
            bban = rng.choice(string.ascii_uppercase) + "".join(
                rng.choice(string.digits) for _ in range(length - 5)
            )
        else:
            bban = "".join(rng.choice(string.digits) for _ in range(length - 4))
        check = stdnum_iban.calc_check_digits(country + "00" + bban)
        number = country + check + bban
        if stdnum_iban.is_valid(number):
            return stdnum_iban.format(number) if rng.random() < 0.6 else number
    raise AssertionError("no valid IBAN generated")


def _ip(rng):
    if rng.random() < 0.7:
        while True:
            a = [
                rng.randrange(1, 224),
                rng.randrange(256),
                rng.randrange(256),
                rng.randrange(1, 255),
            ]
            text = ".".join(map(str, a))
            if ipaddress.ip_address(text).is_global:
                return text
    groups = ["2a00", f"{rng.randrange(0x1000, 0xFFFF):x}"]
    groups += [f"{rng.randrange(0, 0xFFFF):x}" for _ in range(6)]
    return str(ipaddress.IPv6Address(":".join(groups)))


def _wallet(rng):
    if rng.random() < 0.8:
        raw = bytes(rng.randrange(256) for _ in range(20))
        address = to_checksum_address(raw)
        return address if rng.random() < 0.7 else address.lower()
    return rng.choice(BTC)


def planted_corpus(seed: int = 14):
    """(text, language, kind, value) with one planted item per text."""
    rng = random.Random(seed)
    make = {
        "email": lambda lang: _email(rng),
        "phone": lambda lang: _phone(rng, lang),
        "card": lambda lang: _card(rng),
        "iban": lambda lang: _iban(rng),
        "ip": lambda lang: _ip(rng),
        "wallet": lambda lang: _wallet(rng),
    }
    out = []
    for kind in scrub.KINDS:
        for _ in range(PLANTED_PER_KIND):
            language = rng.choice(list(TEMPLATES))
            value = make[kind](language)
            text = rng.choice(TEMPLATES[language]).format(what=WHAT[kind], value=value)
            out.append((text, language, kind, value))
    return out


def test_it_masks_at_least_99_percent_of_a_planted_corpus_per_kind():
    masked, total, wrong_kind = Counter(), Counter(), Counter()
    for text, language, kind, value in planted_corpus():
        total[kind] += 1
        out, findings = scrub.scrub(text, language=language)
        start = text.index(value)
        covering = [f for f in findings if f.start <= start and f.end >= start + len(value)]
        if covering and value not in out:
            masked[kind] += 1
            if covering[0].kind != kind:
                wrong_kind[kind] += 1
    rates = {kind: masked[kind] / total[kind] for kind in total}
    print(
        "\n[scrub] planted corpus, masked share by kind:", {k: f"{v:.4f}" for k, v in rates.items()}
    )
    print("[scrub] overall:", f"{sum(masked.values()) / sum(total.values()):.4f}",
          f"of {sum(total.values())}; reported under another kind: {dict(wrong_kind)}")  # fmt: skip
    assert sum(total.values()) == PLANTED_PER_KIND * len(scrub.KINDS)
    assert all(rate >= 0.99 for rate in rates.values()), rates
    assert sum(wrong_kind.values()) <= 0.01 * sum(total.values())


LOOK_ALIKES = [
    "Order 4111 1111 1111 1112 shipped.",  # fails Luhn
    "Invoice no. 1234567890123456 is attached.",
    "The IBAN format is DE00 1234 5678 9012 3456 78 in the docs.",  # bad checksum
    "Connect to 192.168.1.20 or 10.0.0.7, or localhost at 127.0.0.1.",
    "Documentation range: 203.0.113.5 and 2001:db8::1.",
    "Write to test@example.com or admin@site.test.",
    "Transaction 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060 failed.",
    "The meeting is on 2024-03-15 at 10:30:45.",
    "Python 3.11.2 and numpy 2.4.6 are pinned.",
    "SHA-1 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12 matches.",
    "The ISBN 978-3-16-148410-0 is on the cover.",
    "Population: 8 100 000 000 people.",
]


def test_it_leaves_look_alikes_alone():
    for text in LOOK_ALIKES:
        assert scrub.find(text) == [], text


def test_nothing_of_the_demo_set_is_masked():
    demo = json.loads(DEMO.read_text())
    language = {p["key"]: p["language"] for p in demo["prompts"]}
    texts = [(p["text"], p["language"]) for p in demo["prompts"]] + [
        (a["text"], language[a["prompt"]]) for a in demo["answers"]
    ]
    masked = [(t[:80], scrub.find(t, language=lang)) for t, lang in texts]
    masked = [m for m in masked if m[1]]
    print(f"\n[scrub] demo set: {len(texts)} texts, {len(masked)} with anything masked")
    # Every prompt and answer of every demo language (Indonesian included).
    assert len(texts) == len(demo["prompts"]) * (1 + len(demo["models"])) > 1400
    assert {lang for _, lang in texts} == {"en", "fr", "es", "id"}
    assert masked == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jean.dupont@gmail.com now", "mail [EMAIL] now"),
        ("card 4111-1111-1111-1111, exp 12/27", "card [CARD], exp 12/27"),
        ("from 8.8.8.8.", "from [IP]."),
        ("IBAN: GB82 WEST 1234 5698 7654 32 thanks", "IBAN: [IBAN] thanks"),
        ("+33 6 12 34 56 78 ou 0612345678", "[PHONE] ou 0612345678"),
    ],
)
def test_it_masks_each_kind_in_place(text, expected):
    assert scrub.scrub(text)[0] == expected
