"""Helpers for the quality tests: votes cast through the services on a test clock."""

from datetime import UTC, datetime

from datafi.flows import fold
from evals import services
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
