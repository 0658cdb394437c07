import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from datafi.accounts import services as account_services
from datafi.accounts.models import ApiKey
from tests.provider.helpers import auth, make_key


def test_a_key_is_stored_only_as_a_hash_of_its_secret(orgs, bob):
    new = account_services.api_key_create(
        organization=orgs["zephyrine"], name="ci", scopes=["data:read"], created_by=bob
    )
    key = ApiKey.objects.get()
    prefix, secret = new.plaintext.split("_", 2)[1:]
    assert new.plaintext.startswith("dfk_") and key.prefix == prefix
    assert secret not in str(ApiKey.objects.values().get())
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert len(secret) >= 40


def test_it_authenticates_a_key_and_reports_its_scopes(client, orgs, bob):
    key = make_key(orgs["zephyrine"], scopes=["data:read"])
    resp = client.get("/api/v1/me", **auth(key))
    assert resp.status_code == 200
    assert resp.json() == {
        "operator": False,
        "organizations": ["zephyrine-labs"],
        "scopes": ["data:read"],
        "key": key.split("_")[1],
    }


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer dfk_x_y z",
        "Bearer nonsense",
        "Bearer dfk_000000000000_wrongsecret",
        "Token abc",
    ],
)
def test_it_refuses_a_missing_or_malformed_key_with_401(client, orgs, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    resp = client.get("/api/v1/me", **extra)
    if header == "Token abc":  # not ours: treated as no credentials
        assert resp.status_code == 401
        return
    assert resp.status_code == 401
    body = resp.json()
    assert set(body) == {"code", "detail"}
    assert body["code"] in {"not_authenticated", "invalid_key"}
    assert resp["WWW-Authenticate"].startswith("Bearer")


def test_a_right_prefix_with_a_wrong_secret_is_refused(client, orgs, bob_key):
    prefix = bob_key.split("_")[1]
    resp = client.get("/api/v1/me", **auth(f"dfk_{prefix}_not-the-secret"))
    assert resp.status_code == 401 and resp.json()["code"] == "invalid_key"


def test_a_revoked_key_is_refused_with_its_own_code(client, revoked_key):
    resp = client.get("/api/v1/me", **auth(revoked_key))
    assert resp.status_code == 401
    assert resp.json()["code"] == "key_revoked"


def test_last_used_is_written_at_most_once_a_minute(client, bob_key):
    key = ApiKey.objects.get(prefix=bob_key.split("_")[1])
    assert key.last_used_at is None
    client.get("/api/v1/me", **auth(bob_key))
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/me", **auth(bob_key))
    assert not any("UPDATE" in q["sql"] for q in ctx.captured_queries)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timezone.timedelta(minutes=2))
    client.get("/api/v1/me", **auth(bob_key))
    key.refresh_from_db()
    assert key.last_used_at > first


def test_a_key_without_the_scope_gets_403(client, orgs):
    key = make_key(orgs["zephyrine"], scopes=["answers:write"])
    resp = client.get("/api/v1/battles", **auth(key))
    assert resp.status_code == 403
    assert resp.json()["code"] == "missing_scope"


def test_unknown_scopes_are_refused(orgs):
    from datafi.api import ApiError

    with pytest.raises(ApiError):
        account_services.api_key_create(organization=orgs["zephyrine"], name="x", scopes=["root"])
    with pytest.raises(ApiError):
        account_services.api_key_create(organization=orgs["zephyrine"], name="x", scopes=[])
    assert not ApiKey.objects.exists()


def test_a_logged_in_user_without_an_organisation_gets_403(client, alice, orgs):
    client.force_login(alice)
    resp = client.get("/api/v1/models")
    assert resp.status_code == 403 and resp.json()["code"] == "no_organization"


def test_requests_are_throttled_per_key(client, settings, orgs, bob_key, mallory_key):
    settings.PROVIDER_API_THROTTLE_RATES = {"api_key": "3/min", "export": "3/min"}
    for _ in range(3):
        assert client.get("/api/v1/me", **auth(bob_key)).status_code == 200
    resp = client.get("/api/v1/me", **auth(bob_key))
    assert resp.status_code == 429
    assert resp.json()["code"] == "throttled"
    assert "Retry-After" in resp
    # Another key has its own budget.
    assert client.get("/api/v1/me", **auth(mallory_key)).status_code == 200


# --- the /provider/ page --------------------------------------------------------------


def test_an_owner_creates_a_key_and_sees_its_secret_only_once(client, orgs, bob):
    client.force_login(bob)
    resp = client.post(
        "/provider/zephyrine-labs/keys",
        {"name": "uploads", "scopes": ["answers:write"]},
        follow=True,  # post/redirect/get: the page after the redirect shows it
    )
    assert resp.status_code == 200 and resp.redirect_chain[0][1] == 302
    html = resp.content.decode()
    key = ApiKey.objects.get(name="uploads")
    assert key.scopes == ["answers:write"] and key.created_by == bob
    start = html.index('id="new-key-secret">') + len('id="new-key-secret">')
    secret = html[start : html.index("</pre>", start)]
    assert secret.startswith(f"dfk_{key.prefix}_")
    assert client.get("/api/v1/me", **auth(secret)).status_code == 200
    again = client.get("/provider/").content.decode()
    assert key.prefix in again and secret not in again


def test_an_owner_revokes_a_key_on_the_page(client, orgs, bob, bob_key):
    client.force_login(bob)
    prefix = bob_key.split("_")[1]
    resp = client.post(f"/provider/zephyrine-labs/keys/{prefix}/revoke")
    assert resp.status_code == 302
    assert ApiKey.objects.get(prefix=prefix).revoked_at is not None
    assert client.get("/api/v1/me", **auth(bob_key)).status_code == 401


def test_nobody_manages_another_organisations_keys(client, orgs, mallory, bob_key):
    client.force_login(mallory)
    prefix = bob_key.split("_")[1]
    assert client.post(f"/provider/zephyrine-labs/keys/{prefix}/revoke").status_code == 404
    assert client.post(f"/provider/quorvex-ai/keys/{prefix}/revoke").status_code == 404
    resp = client.post("/provider/zephyrine-labs/keys", {"name": "x", "scopes": ["data:read"]})
    assert resp.status_code == 404
    assert ApiKey.objects.get(prefix=prefix).revoked_at is None
    assert ApiKey.objects.count() == 1


def test_a_plain_member_cannot_create_keys(client, orgs, carol):
    account_services.membership_add(organization=orgs["zephyrine"], user=carol, role="member")
    client.force_login(carol)
    resp = client.post("/provider/zephyrine-labs/keys", {"name": "x", "scopes": ["data:read"]})
    assert resp.status_code == 404
    assert not ApiKey.objects.exists()


def test_a_key_form_without_scopes_is_refused_and_creates_nothing(client, orgs, bob):
    client.force_login(bob)
    resp = client.post("/provider/zephyrine-labs/keys", {"name": "x"})
    assert resp.status_code == 400
    assert not ApiKey.objects.exists()


def test_a_new_user_sets_up_an_organisation_and_owns_it(client, alice, db):
    client.force_login(alice)
    resp = client.post("/provider/organizations", {"name": "Nimbus Works"})
    assert resp.status_code == 302
    page = client.get("/provider/").content.decode()
    assert "Nimbus Works" in page and "Create key" in page
    dup = client.post("/provider/organizations", {"name": "nimbus works"})
    assert dup.status_code == 409


def test_the_provider_page_needs_a_login(client, db):
    resp = client.get("/provider/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_an_owner_adds_a_member(client, orgs, bob, carol):
    client.force_login(bob)
    assert client.post("/provider/zephyrine-labs/members", {"username": "carol"}).status_code == 302
    assert not carol.memberships.exists()  # invited: a seat once carol accepts
    client.force_login(carol)
    assert client.post("/provider/invitations/zephyrine-labs/accept").status_code == 302
    assert carol.memberships.get().role == "member"
    client.force_login(bob)
    bad = client.post("/provider/zephyrine-labs/members", {"username": "nobody"})
    assert bad.status_code == 400
