"""Helpers for the quality tests: votes cast through the services on a test clock."""

from contextlib import nullcontext
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from datafi.flows import fold
from evals import services
from evals.quality import services as quality
from evals.quality.models import VoterFlag, VoterReliability
from evals.quality.simulate import SimClock, simulated_time

START = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)


def cast(user, clock: SimClock, *, seconds: float, choice="model_a", ip=None, rng=None):
    """Serve ``user`` a battle, wait ``seconds`` on ``clock``, vote.

    ``choice`` is a vote, or a function of the served battle that returns one
    (a voter who reads the answers)."""
    with simulated_time(clock):
        battle = services.battle_serve(user=user, rng=rng)
        clock.advance(seconds * 1000)
        if callable(choice):
            choice = choice(battle)
        reveal = fold.vote_cast(user=user, battle_id=battle.id, choice=choice, ip=ip)
        clock.advance(1000)
    return reveal


def clock() -> SimClock:
    return SimClock(START)


def flag_as_ring(user, clock: SimClock | None = None) -> None:
    """What the ring sweep does to a voter it catches: a kept flag and an
    exclusion (at the test clock's time, which then moves on, if one is given)."""
    with simulated_time(clock) if clock else nullcontext(), transaction.atomic():
        VoterReliability.objects.get_or_create(user=user)
        rel = VoterReliability.objects.select_for_update().get(user=user)
        rel.flags = [*rel.flags, "ring"]
        VoterFlag.objects.create(
            user=user,
            reason="ring",
            evidence={"model": "Halcyon-9", "wins": 9, "battles": 10, "expected_wins": 5},
            created_at=timezone.now(),
        )
        quality.voter_exclude(
            rel=rel, reason="unreliable voter: ring favouring Halcyon-9", now=timezone.now()
        )
        rel.save()
    if clock:
        clock.advance(1000)
