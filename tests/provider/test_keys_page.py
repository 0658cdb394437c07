"""A key made on the /provider/ page: post/redirect/get, so a reload of the page
creates nothing, and the secret is shown exactly once."""

import re

from datafi.accounts import services as account_services
from datafi.accounts.models import ApiKey
from tests.provider.helpers import auth


def _secret(html: str) -> str:
    start = html.index('id="new-key-secret">') + len('id="new-key-secret">')
    return html[start : html.index("</pre>", start)]


def test_a_new_key_redirects_and_a_reload_creates_no_second_key(client, orgs, bob):
    client.force_login(bob)
    resp = client.post(
        "/provider/zephyrine-labs/keys", {"name": "uploads", "scopes": ["answers:write"]}
    )
    assert resp.status_code == 302 and resp["Location"].startswith("/provider/")
    key = ApiKey.objects.get()
    assert key.name == "uploads" and key.scopes == ["answers:write"] and key.created_by == bob
    # Until it is shown, neither the session row nor the cookie holds the secret.
    waiting = str(dict(client.session)) + client.cookies["provider_new_key"].value

    shown = client.get(resp["Location"])
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    assert "this is the only time the secret is shown" in html
    assert "data-copy" in html  # the Copy button's hook
    secret = _secret(html)
    assert secret.startswith(f"dfk_{key.prefix}_")
    assert secret not in waiting and key.prefix not in client.cookies["provider_new_key"].value
    assert shown.cookies["provider_new_key"]["max-age"] == 0  # the cookie is dropped
    assert client.get("/api/v1/me", **auth(secret)).status_code == 200

    # A reload is a GET now: nothing new, and the secret is gone.
    again = client.get("/provider/").content.decode()
    assert ApiKey.objects.count() == 1
    assert key.prefix in again and secret not in again and 'id="new-key"' not in again
    assert not any(secret in str(v) for v in client.session.values())


def test_a_refused_key_form_still_answers_with_its_error_and_keeps_nothing(client, orgs, bob):
    client.force_login(bob)
    resp = client.post("/provider/zephyrine-labs/keys", {"name": "x"})
    assert resp.status_code == 400 and 'id="new-key"' not in resp.content.decode()
    assert not ApiKey.objects.exists()
    assert 'id="new-key"' not in client.get("/provider/").content.decode()


def test_a_secret_waiting_in_the_session_is_not_shown_after_leaving_the_organisation(
    client, orgs, bob, carol
):
    # Bob makes a key, then loses his seat before the page that shows it loads:
    # the page then shows no secret of an organisation he is no longer in.
    account_services.membership_add(organization=orgs["zephyrine"], user=carol, role="owner")
    client.force_login(bob)
    resp = client.post("/provider/zephyrine-labs/keys", {"name": "k", "scopes": ["data:read"]})
    assert resp.status_code == 302
    orgs["zephyrine"].memberships.filter(user=bob).delete()
    html = client.get("/provider/").content.decode()
    assert 'id="new-key"' not in html and "dfk_" not in html


def test_the_secret_is_shown_only_to_the_browser_that_made_the_key(client, orgs, bob):
    # The session alone (another browser of the same session, a copy of the
    # session table) cannot open the secret: the one-time key is in the cookie.
    client.force_login(bob)
    resp = client.post("/provider/zephyrine-labs/keys", {"name": "k", "scopes": ["data:read"]})
    assert resp.status_code == 302
    del client.cookies["provider_new_key"]
    html = client.get("/provider/").content.decode()
    assert 'id="new-key"' not in html
    assert not re.search(r"dfk_[0-9a-f]+_[A-Za-z0-9_-]{8}", html)  # only the prefix is listed
    assert ApiKey.objects.count() == 1  # the key stands; its owner can revoke it


def test_the_keys_times_are_written_as_my_votes_writes_them_in_the_readers_language(
    client, orgs, bob
):
    # The provider page wrote "2026-12-04 18:23" while My votes and the flags used
    # the language's short date and time: one page, one way of writing a time.
    from django.utils import timezone, translation
    from django.utils.formats import date_format

    client.force_login(bob)
    client.post("/provider/zephyrine-labs/keys", {"name": "uploads", "scopes": ["data:read"]})
    key = ApiKey.objects.get()
    for language in ("en", "id"):
        client.cookies["django_language"] = language
        html = client.get("/provider/").content.decode()
        with translation.override(language):
            shown = date_format(timezone.localtime(key.created_at), "SHORT_DATETIME_FORMAT")
        assert f'<time datetime="{key.created_at.isoformat()}">{shown}</time>' in html
        assert key.created_at.strftime("%Y-%m-%d %H:%M") not in html
