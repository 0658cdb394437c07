"""The vote's JSON body takes choice and reasons only: a misspelt field is a 400
before anything is recorded, not a vote recorded without it."""

import json
import re

from django.test import Client

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


def test_a_form_post_with_an_unknown_field_is_refused_and_nothing_recorded(client, alice, arena):
    battle = services.battle_serve(user=alice)
    client.force_login(alice)
    resp = client.post(
        f"/arena/battles/{battle.id}/vote",
        {"choice": "tie", "reason": Vote.REASON_TAGS[0]},
    )
    assert resp.status_code == 400
    assert "Unknown fields: &#x27;reason&#x27;. A vote takes choice, reasons." in resp.text
    assert not Vote.objects.exists()
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED


def test_a_form_post_asking_for_json_gets_the_error_shape(client, alice, arena):
    battle = services.battle_serve(user=alice)
    client.force_login(alice)
    resp = client.post(
        f"/arena/battles/{battle.id}/vote",
        {"choice": "tie", "points": "1000"},
        HTTP_ACCEPT="application/json",
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "unknown_fields"
    assert not Vote.objects.exists()


def test_the_arena_pages_own_form_post_still_votes(alice, arena):
    # Every field the no-JS form sends: the CSRF token, the button's choice,
    # the reason chips. A client that checks CSRF, as a browser's post is.
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get("/arena/")
    battle = Battle.objects.get()
    vote_form = re.search(r'<form[^>]*id="vote-form".*?</form>', page.text, re.S).group(0)
    fields = set(re.findall(r'name="([a-z_]+)"', vote_form))
    assert fields == {"csrfmiddlewaretoken", "choice", "reasons"}, fields
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    tags = Vote.REASON_TAGS[:2]
    resp = client.post(
        f"/arena/battles/{battle.id}/vote",
        {"csrfmiddlewaretoken": token, "choice": "model_a", "reasons": tags},
    )
    assert resp.status_code == 302, resp.content
    assert Vote.objects.get().reasons == list(tags)
