"""Sign-up: where it sends people afterwards (D8), and its throttle (D7)."""

import pytest

from datafi.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a quite long passphrase 42"


def sign_up(client, username, next_url=None, address="10.0.0.1", **extra):
    url = "/accounts/signup/" + (f"?next={next_url}" if next_url is not None else "")
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    return client.post(url, data, REMOTE_ADDR=address, **extra)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/arena/",
        "///evil.example/",
        "https:evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_it_never_redirects_off_site_after_sign_up(client, target):
    resp = sign_up(client, "newcomer", next_url=target)
    assert resp.status_code == 302
    assert resp["Location"] == "/arena/"
    assert User.objects.filter(username="newcomer").exists()


def test_it_follows_a_next_on_this_site(client):
    resp = sign_up(client, "newcomer", next_url="/provider/")
    assert resp.status_code == 302 and resp["Location"] == "/provider/"


def test_it_checks_next_in_the_form_body_too(client):
    resp = client.post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert resp.status_code == 302 and resp["Location"] == "/arena/"


def test_a_signed_in_visitor_is_not_sent_off_site_either(client, alice):
    client.force_login(alice)
    resp = client.get("/accounts/signup/?next=//evil.example/")
    assert resp.status_code == 302 and resp["Location"] == "/arena/"


def test_it_throttles_sign_ups_from_one_address(client, settings):
    settings.THROTTLE_SIGNUP = "3/10m,50/1d"
    for i in range(3):
        assert sign_up(client, f"farm{i}").status_code == 302
        client.logout()
    resp = sign_up(client, "farm3")
    assert resp.status_code == 429
    assert resp["Retry-After"] == str(4 * 60 + 30)  # the 10-minute window ends at 12:10
    page = resp.content.decode()
    assert "Too many sign-up attempts from your network" in page and "try again in" in page
    assert not User.objects.filter(username="farm3").exists()
    # Another address is not held responsible.
    assert sign_up(client, "farm4", address="10.0.0.2").status_code == 302


def test_failed_sign_ups_count_too(client, settings):
    settings.THROTTLE_SIGNUP = "3/10m"
    for _ in range(3):
        resp = client.post("/accounts/signup/", {"username": "x"}, REMOTE_ADDR="10.0.0.5")
        assert resp.status_code == 400
    assert sign_up(client, "late", address="10.0.0.5").status_code == 429


def test_the_long_window_makes_a_sustained_run_wait_longer(client, settings):
    settings.THROTTLE_SIGNUP = "100/10m,2/1d"
    for i in range(2):
        sign_up(client, f"farm{i}")
        client.logout()
    resp = sign_up(client, "farm2")
    # Until the day's window ends (11:54:30 after MID_WINDOW), not the 10 minutes'.
    assert resp.status_code == 429 and resp["Retry-After"] == str(11 * 3600 + 54 * 60 + 30)
