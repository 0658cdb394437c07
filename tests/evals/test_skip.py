"""Skip: another battle is served; the skipped one is kept, never counted, paid or revealed."""

import json

from django.test import override_settings

from datafi.flows import fold
from evals import selectors, services
from evals.models import Battle, Vote
from evals.provider.exports import ExportSpec, export_count
from evals.quality.selectors import battle_shares
from ratings.models import BattleOutcome
from rewards.models import LedgerTransaction


def _skip(client, battle, json_=True):
    headers = {"HTTP_ACCEPT": "application/json"} if json_ else {}
    return client.post(f"/arena/battles/{battle.id}/skip", **headers)


def test_it_serves_another_battle_and_records_the_skip(arena, alice, client):
    client.force_login(alice)
    first = services.battle_serve(user=alice)
    resp = _skip(client, first, json_=False)
    assert resp.status_code == 302 and resp["Location"] == "/arena/"
    first.refresh_from_db()
    assert first.status == Battle.Status.SKIPPED
    assert first.voted_at is None and first.revealed_at is None
    second = services.battle_serve(user=alice)
    assert second.id != first.id
    assert client.get("/arena/").context["battle"]["id"] == str(second.id)


def test_a_skipped_battle_never_reveals_its_models(arena, alice, client, identities):
    client.force_login(alice)
    battle = services.battle_serve(user=alice)
    body = _skip(client, battle).content.decode().lower()
    assert not any(name in body for name in identities), body
    assert client.get(f"/arena/battles/{battle.id}/").status_code == 404
    vote = client.post(
        f"/arena/battles/{battle.id}/vote",
        data=json.dumps({"choice": "model_a"}),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert vote.status_code == 409 and vote.json()["code"] == "battle_closed"
    assert not any(name in vote.content.decode().lower() for name in identities)
    assert str(battle.id) not in client.get("/votes/").content.decode()


# Without the quality rules, so that the voted battle below counts at once
# (a vote in the same millisecond as the serve is no human's).
@override_settings(QUALITY_DEFENCES=False)
def test_a_skipped_battle_is_never_counted_or_paid(arena, alice, client):
    client.force_login(alice)
    battle = services.battle_serve(user=alice)
    _skip(client, battle)
    fold.votes_fold()
    assert not Vote.objects.filter(battle=battle).exists()
    assert not BattleOutcome.objects.filter(battle_id=battle.id).exists()
    assert not LedgerTransaction.objects.filter(source_key=f"vote:{battle.id}").exists()
    shares = battle_shares(days=1)
    assert sum(d["battles"] for d in shares) == 0
    assert export_count(ExportSpec(format="arena-jsonl")) == 0
    # A battle that was voted on does count everywhere: the checks above can fail.
    voted = services.battle_serve(user=alice)
    fold.vote_cast(user=alice, battle_id=voted.id, choice="tie")
    assert BattleOutcome.objects.filter(battle_id=voted.id).exists()
    assert sum(d["battles"] for d in battle_shares(days=1)) == 1
    assert export_count(ExportSpec(format="arena-jsonl")) == 1


def test_it_refuses_to_skip_twice_someone_elses_or_a_voted_battle(arena, alice, mallory, client):
    battle = services.battle_serve(user=alice)
    client.force_login(mallory)
    assert _skip(client, battle).json()["code"] == "not_your_battle"
    client.force_login(alice)
    assert _skip(client, battle).status_code == 200
    again = _skip(client, battle)
    assert again.status_code == 409 and again.json()["code"] == "battle_closed"
    voted = services.battle_serve(user=alice)
    fold.vote_cast(user=alice, battle_id=voted.id, choice="tie")
    assert _skip(client, voted).json()["code"] == "already_voted"
    assert client.post("/arena/battles/not-a-uuid/skip").status_code == 404
    client.logout()
    anonymous = client.post(f"/arena/battles/{battle.id}/skip", HTTP_ACCEPT="application/json")
    assert anonymous.status_code == 401


@override_settings(ARENA_SKIPS_PER_DAY=5)
def test_it_caps_skips_per_day_and_shows_the_skip_rate_to_operators(arena, alice, carol, client):
    client.force_login(alice)
    for _ in range(5):
        assert _skip(client, services.battle_serve(user=alice)).status_code == 200
    battle = services.battle_serve(user=alice)
    refused = _skip(client, battle)
    assert refused.status_code == 429 and refused.json()["code"] == "skip_limit"
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED  # the refusal changed nothing
    rates = selectors.voter_skip_rates()
    assert rates[0]["username"] == "alice" and rates[0]["skipped"] == 5
    assert rates[0]["served"] == 6
    carol.is_staff = True
    carol.save()
    client.force_login(carol)
    page = client.get("/quality/").content.decode()
    assert "Skip rates" in page and "83%" in page


@override_settings(ARENA_SKIPS_PER_DAY=1)
def test_the_skip_limit_page_has_a_heading_in_words(arena, alice, client):
    # A person's form post past the limit got a page headed "429" (a walk-through).
    client.force_login(alice)
    client.post(f"/arena/battles/{services.battle_serve(user=alice).pk}/skip")
    page = client.post(f"/arena/battles/{services.battle_serve(user=alice).pk}/skip")
    assert page.status_code == 429
    text = page.content.decode()
    assert "<h1>Limit reached</h1>" in text and "<h1>429</h1>" not in text
    assert "Error code 429" in text
    page = client.post(
        f"/arena/battles/{services.battle_serve(user=alice).pk}/skip", HTTP_ACCEPT_LANGUAGE="id"
    )
    assert "<h1>Batas tercapai</h1>" in page.content.decode()
