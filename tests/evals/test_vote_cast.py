import json
import uuid

import pytest

from evals import services
from evals.models import Battle, PairStat, Vote


def vote_json(client, battle_id, choice, reasons=None):
    return client.post(
        f"/arena/battles/{battle_id}/vote",
        data=json.dumps({"choice": choice, "reasons": reasons or []}),
        content_type="application/json",
    )


@pytest.fixture
def alice_battle(arena, alice):
    return services.battle_serve(user=alice)


def test_it_records_a_vote_and_reveals_both_models(client, alice, alice_battle):
    client.force_login(alice)
    resp = vote_json(client, alice_battle.id, "model_b", ["more_accurate"])
    assert resp.status_code == 200
    reveal = resp.json()["reveal"]
    alice_battle.refresh_from_db()
    assert reveal["model_a"]["name"] == alice_battle.model_a.name
    assert reveal["model_b"]["provider"] == alice_battle.model_b.organization.name
    vote = Vote.objects.get(battle=alice_battle)
    assert (vote.choice, vote.reasons) == ("model_b", ["more_accurate"])
    assert alice_battle.status == Battle.Status.REVEALED
    assert alice_battle.voted_at == alice_battle.revealed_at
    lo, hi = sorted([alice_battle.model_a_id, alice_battle.model_b_id])
    assert PairStat.objects.get(model_lo_id=lo, model_hi_id=hi).voted == 1


def test_it_rejects_a_second_vote(client, alice, alice_battle):
    client.force_login(alice)
    assert vote_json(client, alice_battle.id, "model_a").status_code == 200
    resp = vote_json(client, alice_battle.id, "model_b")
    assert resp.status_code == 409
    assert resp.json()["code"] == "already_voted"
    assert Vote.objects.get(battle=alice_battle).choice == "model_a"


def test_it_rejects_a_vote_on_someone_elses_battle(client, mallory, alice_battle):
    client.force_login(mallory)
    resp = vote_json(client, alice_battle.id, "model_a")
    assert resp.status_code == 403
    assert resp.json()["code"] == "not_your_battle"
    assert not Vote.objects.exists()
    alice_battle.refresh_from_db()
    assert alice_battle.status == Battle.Status.SERVED


def test_it_rejects_an_unknown_battle(client, alice, alice_battle):
    client.force_login(alice)
    resp = vote_json(client, uuid.uuid4(), "model_a")
    assert resp.status_code == 404
    assert resp.json()["code"] == "not_found"
    assert not Vote.objects.exists()


@pytest.mark.parametrize("choice", ["", "A", "model_c", None, 1, "TIE"])
def test_it_rejects_a_malformed_choice(client, alice, alice_battle, choice):
    client.force_login(alice)
    resp = client.post(
        f"/arena/battles/{alice_battle.id}/vote",
        data=json.dumps({"choice": choice}),
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "invalid_choice"
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    "body", [b"not json", b"[1,2]", json.dumps({"choice": "tie", "reasons": "x"}).encode()]
)
def test_it_rejects_malformed_bodies(client, alice, alice_battle, body):
    client.force_login(alice)
    resp = client.post(
        f"/arena/battles/{alice_battle.id}/vote", data=body, content_type="application/json"
    )
    assert resp.status_code == 400
    assert resp.json()["code"] in {"invalid_json", "invalid_reasons"}
    assert not Vote.objects.exists()


def test_it_rejects_unknown_reason_tags(client, alice, alice_battle):
    client.force_login(alice)
    resp = vote_json(client, alice_battle.id, "tie", ["bribed"])
    assert resp.status_code == 400
    assert "bribed" in resp.json()["detail"]
    assert not Vote.objects.exists()


def test_it_needs_an_account_to_vote(client, alice_battle):
    resp = vote_json(client, alice_battle.id, "tie")
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"
    assert not Vote.objects.exists()


def test_it_rejects_a_get_on_the_vote_url(client, alice, alice_battle):
    client.force_login(alice)
    assert client.get(f"/arena/battles/{alice_battle.id}/vote").status_code == 405


def test_a_plain_form_post_votes_and_redirects_to_the_reveal(client, alice, alice_battle):
    client.force_login(alice)
    resp = client.post(f"/arena/battles/{alice_battle.id}/vote", {"choice": "both_bad"})
    assert resp.status_code == 302
    page = client.get(resp["Location"])
    assert alice_battle.model_a.name in page.content.decode()
    assert Vote.objects.get(battle=alice_battle).choice == "both_bad"


def test_the_database_refuses_a_second_vote_row(alice_battle):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    Vote.objects.create(
        battle=alice_battle, choice="tie", time_to_vote_ms=1, created_at=timezone.now()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(
            battle=alice_battle, choice="model_a", time_to_vote_ms=1, created_at=timezone.now()
        )


def test_the_database_refuses_a_reveal_without_a_vote_time(alice_battle):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Battle.objects.filter(id=alice_battle.id).update(status="revealed")
