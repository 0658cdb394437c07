"""A password the rules refuse ("too short", "too common") is said under the Password
field it is about, not under "Password confirmation"; a mismatch stays under the
confirmation."""

import re

import pytest

from datafi.accounts.models import User

pytestmark = pytest.mark.django_db


def _sign_up(client, password1, password2, username="dewi", **extra):
    return client.post(
        "/accounts/signup/",
        {"username": username, "password1": password1, "password2": password2},
        **extra,
    )


def _error_after(html: str, name: str) -> str:
    """The error text shown in the label of the input named ``name``."""
    found = re.search(
        rf'<input[^>]*name="{name}"[^>]*>\s*(?:<span class="error">(.*?)</span>)?', html, re.S
    )
    assert found, name
    return found.group(1) or ""


def test_the_rules_errors_are_under_the_password_field(client):
    resp = _sign_up(client, "123", "123")
    assert resp.status_code == 400
    form = resp.context["form"]
    assert "password2" not in form.errors
    assert form.errors["password1"] == [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    html = resp.content.decode()
    assert "This password is too common." in _error_after(html, "password1")
    assert _error_after(html, "password2") == ""
    assert not User.objects.filter(username="dewi").exists()


def test_a_password_like_the_user_name_is_refused_under_the_password_field(client):
    resp = _sign_up(client, "kartikadewi", "kartikadewi", username="kartika.dewi")
    assert resp.status_code == 400
    assert resp.context["form"].errors["password1"] == [
        "The password is too similar to the username."
    ]


def test_a_mismatch_stays_under_the_confirmation(client):
    resp = _sign_up(client, "kopi-tubruk-pagi-9", "kopi-tubruk-9")
    form = resp.context["form"]
    assert form.errors["password2"] == ["The two password fields didn’t match."]
    assert "password1" not in form.errors


def test_in_indonesian_the_rule_error_is_under_kata_sandi(client):
    resp = _sign_up(client, "123", "123", HTTP_ACCEPT_LANGUAGE="id")
    html = resp.content.decode()
    assert "Kata sandi ini terlalu umum." in _error_after(html, "password1")
    assert _error_after(html, "password2") == ""


def test_a_good_password_still_signs_up(client):
    resp = _sign_up(client, "a quite long passphrase 42", "a quite long passphrase 42")
    assert resp.status_code == 302
    assert User.objects.get(username="dewi").check_password("a quite long passphrase 42")
