"""Concurrent submissions against PostgreSQL's row locks (skipped on SQLite)."""

import json

import pytest

from evals import services
from evals.models import Battle, PairStat, Vote
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_concurrent_submissions_of_one_vote_store_exactly_one(arena, alice):
    from django.test import Client

    battle = services.battle_serve(user=alice)

    def submit(i):
        client = Client()
        client.force_login(alice)
        resp = client.post(
            f"/arena/battles/{battle.id}/vote",
            data=json.dumps({"choice": "model_a" if i % 2 else "model_b"}),
            content_type="application/json",
        )
        return resp.status_code

    codes = run_concurrently(50, submit)
    assert codes.count(200) == 1
    assert codes.count(409) == 49
    assert Vote.objects.filter(battle=battle).count() == 1
    lo, hi = sorted([battle.model_a_id, battle.model_b_id])
    assert PairStat.objects.get(model_lo_id=lo, model_hi_id=hi).voted == 1
    battle.refresh_from_db()
    assert battle.status == Battle.Status.REVEALED


def test_concurrent_serves_open_one_battle_per_voter(arena, alice):
    ids = run_concurrently(20, lambda i: services.battle_serve(user=alice).id)
    assert len(set(ids)) == 1
    assert Battle.objects.filter(voter=alice, status="served").count() == 1


def test_concurrent_first_votes_of_a_pair_count_every_vote(arena):
    # Folds racing to create a pair's stats row: one creates it, the others add to it.
    a, b = arena["models"][:2]
    run_concurrently(16, lambda i: services.pair_stat_bump(a.id, b.id, voted=1))
    lo, hi = sorted([a.id, b.id])
    assert PairStat.objects.get(model_lo_id=lo, model_hi_id=hi).voted == 16


def test_concurrent_serves_of_many_voters_are_all_counted_for_operators(arena, django_user_model):
    from datafi.accounts.services import user_create
    from evals import selectors

    users = [user_create(username=f"v{i}", password="pw-long-enough-1") for i in range(16)]
    battles = run_concurrently(16, lambda i: services.battle_serve(user=users[i]))
    for battle in battles:  # the admin lists the pairs that have stats rows
        services.pair_stat_bump(battle.model_a_id, battle.model_b_id, voted=0)
    served = selectors.pair_stats_with_served(PairStat.objects.all())
    assert sum(row.served for row in served) == 16
