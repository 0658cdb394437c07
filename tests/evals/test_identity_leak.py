"""Model identity never leaves the server before the vote."""

import json
from pathlib import Path

import pytest

from datafi.flows import fold
from evals import services

DEMO = Path(__file__).resolve().parents[2] / "evals" / "demo" / "demo.json"


def _dump(resp) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in resp.items())
    cookies = "\n".join(str(c) for c in resp.cookies.values())
    return f"{resp.status_code}\n{headers}\n{cookies}\n{resp.content.decode('utf-8', 'replace')}"


def pre_vote_responses(client, user):
    """Every response a voter can get before voting on their open battle."""
    client.force_login(user)
    out = [client.get("/"), client.get("/arena/")]
    battle = services.battle_serve(user=user)
    out += [
        client.get(f"/arena/battles/{battle.id}/"),
        client.get("/api/arena/next", HTTP_ACCEPT="application/json"),
        client.get("/arena/", HTTP_ACCEPT="application/json"),
        # Failed votes must not reveal anything either.
        client.post(
            f"/arena/battles/{battle.id}/vote",
            data=json.dumps({"choice": "nope"}),
            content_type="application/json",
        ),
        client.post(f"/arena/battles/{battle.id}/vote", {"choice": "nope"}),
    ]
    return battle, out


def assert_no_identity(responses, identities):
    for resp in responses:
        text = _dump(resp).lower()
        for ident in identities:
            assert ident not in text, f"{ident!r} leaked in a pre-vote response"


def test_it_never_names_models_before_the_vote(client, alice, identities):
    battle, responses = pre_vote_responses(client, alice)
    assert all(r.status_code < 500 for r in responses)
    assert_no_identity(responses, identities)
    # Also no model primary key in the battle JSON.
    data = client.get("/api/arena/next").json()
    assert set(data) == {"id", "status", "prompt", "a", "b", "vote_url"}
    assert set(data["a"]) == set(data["b"]) == {"html"}


def test_it_names_them_after_the_vote(client, alice, identities):
    battle, _ = pre_vote_responses(client, alice)
    resp = client.post(
        f"/arena/battles/{battle.id}/vote",
        data=json.dumps({"choice": "tie"}),
        content_type="application/json",
    )
    assert battle.model_a.name in json.dumps(resp.json())
    page = client.get(f"/arena/battles/{battle.id}/").content.decode()
    assert battle.model_a.name in page and battle.model_b.name in page


@pytest.mark.skipif(not DEMO.exists(), reason="demo data not built")
def test_the_demo_set_never_names_models_before_the_vote(client, db, alice):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)
    demo = json.loads(DEMO.read_text())
    identities = {m["name"].lower() for m in demo["models"]}
    identities |= {p["name"].lower() for p in demo["providers"]}
    identities |= {p["slug"].lower() for p in demo["providers"]}
    client.force_login(alice)
    for _ in range(15):
        _, responses = pre_vote_responses(client, alice)
        assert_no_identity(responses, identities)
        battle = services.battle_serve(user=alice)
        fold.vote_cast(user=alice, battle_id=battle.id, choice="tie")
