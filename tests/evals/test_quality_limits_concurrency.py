"""Vote limits under real concurrency (PostgreSQL row locks; skipped on SQLite)."""

import json
import time

import pytest
from django.db import transaction

from datafi.api import ApiError
from evals import services
from evals.models import Vote
from evals.quality.limits import vote_limits_consume
from evals.quality.models import RateCounter
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _start_of_a_minute(margin_s: float = 20.0) -> None:
    """Wait, if need be, until at least ``margin_s`` seconds of this minute are left."""
    second = time.time() % 60
    if second > 60 - margin_s:
        time.sleep(60 - second + 0.1)


def test_a_hundred_parallel_votes_from_one_address_accept_at_most_ten(arena, settings):
    from django.test import Client

    from datafi.accounts.models import User

    settings.QUALITY_VOTES_PER_MINUTE_IP = 10
    users = [User.objects.create_user(username=f"p{i}", password=None) for i in range(100)]
    battles = [services.battle_serve(user=u) for u in users]
    # The limit counts per calendar minute: a burst that straddles a minute
    # boundary meets two windows (it once let 18 through in CI). Start early in one.
    _start_of_a_minute()

    def vote(i):
        client = Client()
        client.force_login(users[i])
        resp = client.post(
            f"/arena/battles/{battles[i].id}/vote",
            data=json.dumps({"choice": "model_a"}),
            content_type="application/json",
            REMOTE_ADDR="198.51.100.77",
        )
        return resp.status_code, resp.json().get("code")

    results = run_concurrently(100, vote)
    codes = [r[0] for r in results]
    assert codes.count(200) == 10, codes
    assert codes.count(429) == 90
    assert {r[1] for r in results if r[0] == 429} == {"rate_limited"}
    assert Vote.objects.count() == 10
    assert RateCounter.objects.get(key="vote:ip:198.51.100.77:m").count == 10


def test_a_hundred_parallel_hits_on_one_user_counter_pass_at_most_ten(db, alice, settings):
    from django.utils import timezone

    settings.QUALITY_VOTES_PER_MINUTE_USER = 10
    now = timezone.now()

    def hit(i):
        try:
            with transaction.atomic():
                vote_limits_consume(user_id=alice.pk, ip=None, now=now)
            return "ok"
        except ApiError as exc:
            return exc.code

    results = run_concurrently(100, hit)
    assert results.count("ok") == 10, results
    assert results.count("rate_limited") == 90
    assert RateCounter.objects.get(key=f"vote:user:{alice.pk}:m").count == 10
