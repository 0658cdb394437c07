"""The vote's JSON body takes choice and reasons only: a misspelt field is a 400
before anything is recorded, not a vote recorded without it."""

import json

from evals import services
from evals.models import Battle, Vote


def _vote(client, battle, body: dict):
    return client.post(
        f"/arena/battles/{battle.id}/vote",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def test_a_misspelt_field_is_refused_and_nothing_recorded(client, alice, arena):
    battle = services.battle_serve(user=alice)
    client.force_login(alice)
    resp = _vote(client, battle, {"choice": "tie", "reason": ["length"]})
    assert resp.status_code == 400
    assert resp.json() == {
        "code": "unknown_fields",
        "detail": "Unknown fields: 'reason'. A vote takes choice, reasons.",
    }
    assert not Vote.objects.exists()
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED
    # Spelt right, the same vote counts.
    tag = Vote.REASON_TAGS[0]
    resp = _vote(client, battle, {"choice": "tie", "reasons": [tag]})
    assert resp.status_code == 200, resp.content
    assert Vote.objects.get().reasons == [tag]
