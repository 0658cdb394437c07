"""One layer for the site's own JSON endpoints (datafi.api.site_endpoint): the
same log-in check, error shape and error page everywhere, beside DRF's layer
for the provider API."""

import uuid

import pytest

BATTLE = uuid.UUID(
    "0608adc5-bf91-4f69-a0b3-e3fa952c4eeb"
)  # fixed: xdist workers must collect the same ids
# (method, path) of every endpoint the site's pages call, by app.
ENDPOINTS = [
    ("get", "/api/arena/next"),
    ("post", f"/arena/battles/{BATTLE}/vote"),
    ("post", f"/arena/battles/{BATTLE}/skip"),
    ("post", "/live/battles"),
    ("get", "/api/rewards/summary"),
    ("post", "/api/rewards/redemptions"),
    ("post", "/api/rewards/claim"),
    ("get", "/api/rewards/claim-call"),
    ("post", "/api/wallet/link"),
    ("get", f"/api/market/datasets/arena-prefs/versions/1/proof/{BATTLE}"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_a_json_client_that_is_not_logged_in_gets_the_one_401(client, method, path):
    if method == "get":
        resp = client.get(path, headers={"Accept": "application/json"})
    else:
        resp = client.post(path, data="{}", content_type="application/json")
    assert resp.status_code == 401
    assert set(resp.json()) == {"code", "detail"} and resp.json()["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", [f"/arena/battles/{BATTLE}/vote", f"/arena/battles/{BATTLE}/skip", "/votes/appeal"]
)
def test_a_form_post_that_is_not_logged_in_goes_to_log_in_and_back(client, path):
    resp = client.post(path, {"choice": "tie"})
    assert resp.status_code == 302
    assert resp["Location"] == f"/accounts/login/?next={path}"


def test_a_refusal_is_the_error_shape_for_json_and_the_error_page_for_a_form(client, alice):
    client.force_login(alice)
    path = f"/arena/battles/{BATTLE}/vote"
    as_json = client.post(path, data={"choice": "tie"}, content_type="application/json")
    assert as_json.status_code == 404
    assert as_json.json() == {"code": "not_found", "detail": "No such battle."}
    as_form = client.post(path, {"choice": "tie"})
    assert as_form.status_code == 404 and as_form["Content-Type"].startswith("text/html")
    assert "No such battle." in as_form.content.decode()


def test_the_chain_being_down_is_a_503_that_says_nothing_was_lost(client, alice, monkeypatch):
    from rewards import chain
    from rewards.services import payouts

    def down(**kwargs):
        raise chain.ChainUnavailable("node unreachable")

    monkeypatch.setattr(payouts, "claim_request", down)
    monkeypatch.setattr(payouts, "worker_tick_on_demand", lambda: None)
    client.force_login(alice)
    resp = client.post("/api/rewards/claim", data="{}", content_type="application/json")
    assert resp.status_code == 503 and resp.json()["code"] == "chain_unavailable"
    assert "Nothing was lost" in resp.json()["detail"]
