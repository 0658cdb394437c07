"""The sign-up page in Indonesian says "kata sandi" and "Anda" in Django's own
password rules and fields too, as the rest of the product does (Django's Indonesian
catalogue says "Sandi anda ..."; ours overrides it)."""

import re

from django.contrib.auth.password_validation import password_validators_help_texts
from django.utils import translation


def _text(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _inconsistent(text: str) -> list[str]:
    """Django's wording: "sandi" without "kata" before it, and a lower-case "anda"."""
    return re.findall(r"(?<![Kk]ata )\b[Ss]andi\b|\banda\b", text)


def test_the_password_rules_on_the_sign_up_page_match_the_products_words(client, db):
    text = _text(client.get("/accounts/signup/", HTTP_ACCEPT_LANGUAGE="id").content.decode())
    assert "Aturan kata sandi:" in text
    assert "Kata sandi Anda tidak boleh berupa kata sandi yang umum dipakai." in text
    assert "Konfirmasi kata sandi" in text
    assert _inconsistent(text) == [], _inconsistent(text)


def test_the_password_errors_on_the_sign_up_page_match_the_products_words(client, db):
    mismatch = client.post(
        "/accounts/signup/",
        {"username": "dewi", "password1": "kopi-tubruk-pagi-9", "password2": "kopi-tubruk-9"},
        HTTP_ACCEPT_LANGUAGE="id",
    )
    text = _text(mismatch.content.decode())
    assert "Kedua kata sandi yang Anda masukkan tidak sama." in text
    assert _inconsistent(text) == [], _inconsistent(text)


def test_every_validator_rule_reads_kata_sandi_anda_in_indonesian():
    with translation.override("id"):
        rules = password_validators_help_texts()
    assert rules and all(rule.startswith("Kata sandi Anda ") for rule in rules), rules
    with translation.override("en"):
        assert "Your password can’t be entirely numeric." in password_validators_help_texts()
