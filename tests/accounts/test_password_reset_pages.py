"""Password reset end to end (issue #11): the mail is really sent through the
configured backend, its link sets a new password that logs in, and every page
is the product's own (base.html), not the admin's."""

import re

import pytest
from django.core import mail

from datafi.accounts.services import user_create

pytestmark = pytest.mark.django_db

NEW = "a brand new passphrase 77"


@pytest.fixture
def dora(db):
    return user_create(username="dora", password="a quite long passphrase 42", email="dora@x.org")


def _product_page(html: str) -> bool:
    return 'class="topbar"' in html and "Django administration" not in html


def test_a_reset_mail_lands_in_the_backend_and_its_link_sets_a_password_that_logs_in(client, dora):
    form = client.get("/accounts/password_reset/")
    assert form.status_code == 200 and _product_page(form.content.decode())

    resp = client.post("/accounts/password_reset/", {"email": "dora@x.org"}, follow=True)
    assert resp.status_code == 200 and _product_page(resp.content.decode())
    assert "Check your e-mail" in resp.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dora@x.org"] and "Reset your" in message.subject
    assert "dora" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)

    confirm = client.get(link, follow=True)  # Django swaps the token into the session
    html = confirm.content.decode()
    assert confirm.status_code == 200 and _product_page(html)
    assert "Choose a new password" in html and 'id="password-rules"' in html
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    assert _product_page(done.content.decode())

    client.logout()
    assert client.login(username="dora", password=NEW)
    assert not client.login(username="dora", password="a quite long passphrase 42")


def test_a_used_reset_link_says_it_no_longer_works(client, dora):
    client.post("/accounts/password_reset/", {"email": "dora@x.org"})
    link = re.search(r"(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    confirm = client.get(link, follow=True)
    client.post(confirm.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    again = client.get(link, follow=True)
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()


def test_the_log_in_page_links_to_the_password_reset(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in html and "Forgot password?" in html


def test_sign_up_states_the_password_rules(client, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 12},
        }
    ]
    html = client.get("/accounts/signup/").content.decode()
    assert 'id="password-rules"' in html
    assert "at least 12 characters" in html


def test_a_bad_new_password_is_refused_in_plain_words_and_changes_nothing(client, dora):
    client.post("/accounts/password_reset/", {"email": "dora@x.org"})
    link = re.search(r"(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    confirm = client.get(link, follow=True)
    resp = client.post(confirm.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": "x"})
    assert resp.status_code == 400
    html = resp.content.decode()
    # "The two password fields didn’t match.", under the confirmation it is about.
    assert "didn" in _error_after(html, "new_password2")
    assert _error_after(html, "new_password1") == ""
    dora.refresh_from_db()
    assert dora.check_password("a quite long passphrase 42")


def _error_after(html: str, name: str) -> str:
    """The error text shown in the label of the input named ``name``."""
    found = re.search(
        rf'<input[^>]*name="{name}"[^>]*>\s*(?:<span class="error">(.*?)</span>)?', html, re.S
    )
    assert found, name
    return found.group(1) or ""


def test_a_password_the_rules_refuse_is_said_under_the_new_password(client, dora):
    client.post("/accounts/password_reset/", {"email": "dora@x.org"})
    link = re.search(r"(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    confirm = client.get(link, follow=True)
    resp = client.post(
        confirm.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"}
    )
    form = resp.context["form"]
    assert "new_password2" not in form.errors
    html = resp.content.decode()
    beside_new = _error_after(html, "new_password1")
    assert "This password is too short." in beside_new
    assert "This password is too common." in beside_new
    assert _error_after(html, "new_password2") == ""
    assert resp.status_code == 400
    dora.refresh_from_db()
    assert dora.check_password("a quite long passphrase 42")
