"""Changing a password while logged in: the pages are the product's own
(base.html), not the Django admin's, and the change works."""

import re

import pytest

from datafi.accounts.services import user_create

pytestmark = pytest.mark.django_db

OLD = "a quite long passphrase 42"
NEW = "a brand new passphrase 77"


@pytest.fixture
def dora(db):
    return user_create(username="dora", password=OLD, email="dora@x.org")


def _product_page(html: str) -> bool:
    return 'class="topbar"' in html and "Django administration" not in html


def _error_after(html: str, name: str) -> str:
    """The error text shown in the label of the input named ``name``."""
    found = re.search(
        rf'<input[^>]*name="{name}"[^>]*>\s*(?:<span class="error">(.*?)</span>)?', html, re.S
    )
    assert found, name
    return found.group(1) or ""


def test_the_change_page_is_the_products_own(client, dora):
    client.force_login(dora)
    resp = client.get("/accounts/password_change/")
    html = resp.content.decode()
    assert resp.status_code == 200 and _product_page(html)
    assert 'id="password-change"' in html and 'id="password-rules"' in html
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in html


def test_a_change_sets_the_new_password_and_keeps_this_session(client, dora):
    assert client.login(username="dora", password=OLD)
    done = client.post(
        "/accounts/password_change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == "/accounts/password_change/done/"
    html = done.content.decode()
    assert done.status_code == 200 and _product_page(html)
    assert 'id="password-change-done"' in html and "Your password is changed" in html
    assert client.get("/arena/").status_code == 200  # still logged in here
    dora.refresh_from_db()
    assert dora.check_password(NEW) and not dora.check_password(OLD)


def test_a_wrong_current_password_is_said_under_its_field_and_changes_nothing(client, dora):
    client.force_login(dora)
    resp = client.post(
        "/accounts/password_change/",
        {"old_password": "not it at all 123", "new_password1": NEW, "new_password2": NEW},
    )
    html = resp.content.decode()
    assert resp.status_code == 400 and _product_page(html)
    assert "Your old password was entered incorrectly" in _error_after(html, "old_password")
    dora.refresh_from_db()
    assert dora.check_password(OLD)


def test_a_password_the_rules_refuse_is_said_under_the_new_password(client, dora):
    client.force_login(dora)
    resp = client.post(
        "/accounts/password_change/",
        {"old_password": OLD, "new_password1": "dora", "new_password2": "dora"},
    )
    html = resp.content.decode()
    beside_new = _error_after(html, "new_password1")
    assert "This password is too short." in beside_new
    assert "too similar to the username" in beside_new
    assert _error_after(html, "new_password2") == ""
    assert resp.status_code == 400
    dora.refresh_from_db()
    assert dora.check_password(OLD)


def test_a_mismatch_is_said_under_the_confirmation(client, dora):
    client.force_login(dora)
    resp = client.post(
        "/accounts/password_change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW + "x"},
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "didn" in _error_after(html, "new_password2")
    assert _error_after(html, "new_password1") == ""


def test_a_visitor_is_sent_to_log_in(client, db):
    resp = client.get("/accounts/password_change/")
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")


def test_guesses_at_the_current_password_are_limited(client, dora, settings):
    # The form checks the current password: a stolen session must not be able
    # to try passwords there without limit (as on the deletion form), then
    # lock the owner out with a new one. Past the limit even the right one waits.
    settings.THROTTLE_PASSWORD_CHANGE = "3/10m"
    client.force_login(dora)
    for guess in ("guess one 1", "guess two 2", "guess three 3"):
        resp = client.post(
            "/accounts/password_change/",
            {"old_password": guess, "new_password1": NEW, "new_password2": NEW},
        )
        assert resp.status_code == 400
    resp = client.post(
        "/accounts/password_change/",
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert resp.status_code == 429 and int(resp["Retry-After"]) > 0
    assert "Too many password change attempts for this account" in resp.content.decode()
    dora.refresh_from_db()
    assert dora.check_password(OLD)
