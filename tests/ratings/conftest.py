"""Helpers for the ratings service tests: votes are cast through the real services."""

import random

import pytest

from datafi.flows import fold


@pytest.fixture(autouse=True)
def _rating_pipeline_only(settings):
    """These tests drive the rating pipeline with scripted voters who vote
    instantly and in bulk. Quality's defences (limits, reading speed, outlier
    tests; tested in tests/evals/test_quality_*) would rightly refuse or exclude
    them, so they are off here."""
    settings.QUALITY_DEFENCES = False


def cast_votes(user, n: int, choose=None, seed: int = 0) -> list:
    """Serve and vote ``n`` battles for ``user``; ``choose(battle)`` picks the verdict."""
    from evals import services

    rng = random.Random(seed)
    choices = ["model_a", "model_b", "tie", "both_bad"]
    battles = []
    for _ in range(n):
        battle = services.battle_serve(user=user)
        choice = choose(battle) if choose else rng.choice(choices)
        fold.vote_cast(user=user, battle_id=battle.id, choice=choice)
        battles.append((battle, choice))
    return battles


def strongest_wins(order):
    """A verdict rule: the model earlier in ``order`` (a list of ids) wins."""

    def choose(battle):
        return (
            "model_a"
            if order.index(battle.model_a_id) < order.index(battle.model_b_id)
            else "model_b"
        )

    return choose


@pytest.fixture
def refresh():
    from ratings.services import refresh_dirty

    def run():
        return refresh_dirty(worker="test-worker")

    return run


@pytest.fixture(autouse=True)
def _quick_bootstrap(settings):
    # Slices of a handful of votes make bootstrap rounds degenerate and slow
    # (full refits); the service tests need intervals, not 1,000 of them.
    settings.RATINGS_BOOTSTRAP_ROUNDS = 100
    settings.RATINGS_STYLE_ROUNDS = 10
