"""The password-reset mail names the product (SITE_NAME, as the README says), not the
host the request came to ("Reset your 127.0.0.1:28431 password"); its subject is in
the reader's language like its body."""

import pytest
from django.core import mail

from datafi.accounts.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(db):
    return user_create(username="dora", password="a quite long passphrase 42", email="dora@x.org")


def _ask(client, **extra):
    resp = client.post(
        "/accounts/password_reset/",
        {"email": "dora@x.org"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_HOST="127.0.0.1:28431",
        **extra,
    )
    assert resp.status_code == 302
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_the_subject_and_body_name_the_site_not_the_host(client, dora, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SITE_NAME = "Kawula"
    sent = _ask(client)
    assert sent.subject == "Reset your Kawula password"
    assert "the password of your account on Kawula." in " ".join(sent.body.split())
    # The link still goes to the host that was asked.
    assert "http://127.0.0.1:28431/accounts/reset/" in sent.body
    assert "127.0.0.1:28431" not in sent.subject


def test_the_subject_is_in_indonesian_for_an_indonesian_reader(client, dora, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SITE_NAME = "Kawula"
    sent = _ask(client, HTTP_ACCEPT_LANGUAGE="id")
    assert sent.subject == "Atur ulang kata sandi Kawula Anda"
    assert "akun Anda di Kawula." in " ".join(sent.body.split())
