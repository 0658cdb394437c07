"""Password reset: it works, and nobody can use it to flood the site or an inbox (D7)."""

import pytest
from django.core import mail

from datafi.accounts.services import user_create

pytestmark = pytest.mark.django_db

URL = "/accounts/password_reset/"


@pytest.fixture
def dora(db):
    return user_create(username="dora", password="a quite long passphrase 42", email="dora@x.org")


def ask(client, email, address="10.0.0.1"):
    return client.post(URL, {"email": email}, REMOTE_ADDR=address)


def test_a_reset_mail_is_sent(client, dora):
    assert client.get(URL).status_code == 200
    resp = ask(client, "dora@x.org")
    assert resp.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dora@x.org"]


def test_it_throttles_requests_for_one_e_mail_address(client, dora, settings):
    settings.THROTTLE_PASSWORD_RESET_EMAIL = "3/1h,10/1d"
    for i in range(3):
        assert ask(client, "Dora@x.org ", address=f"10.0.1.{i}").status_code == 302
    resp = ask(client, "dora@x.org", address="10.0.1.9")
    assert resp.status_code == 429
    assert resp["Retry-After"] == str(54 * 60 + 30)  # the hour's window ends at 13:00
    assert "for this e-mail address" in resp.content.decode()
    assert len(mail.outbox) == 3


def test_it_throttles_requests_from_one_address(client, dora, settings):
    settings.THROTTLE_PASSWORD_RESET = "5/10m,20/1d"
    for i in range(5):
        assert ask(client, f"nobody{i}@x.org").status_code == 302
    resp = ask(client, "dora@x.org")
    assert resp.status_code == 429
    assert "from your network" in resp.content.decode()
    assert mail.outbox == []
    assert ask(client, "dora@x.org", address="10.0.0.2").status_code == 302
    assert len(mail.outbox) == 1
