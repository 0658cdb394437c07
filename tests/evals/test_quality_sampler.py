"""Sampler v2: uncertain pairs and new models first, a floor per model, recorded odds."""

import random
from collections import Counter

import pytest

from evals import sampler, services
from evals.models import PairStat
from evals.quality.models import BattleSampling


@pytest.fixture
def quiet(settings):
    settings.QUALITY_GOLD_RATE = 0.0
    settings.QUALITY_SAMPLER_NEW_MODEL_VOTES = 0  # nobody counts as new unless a test says so


def test_a_close_pair_weighs_more_than_a_foregone_conclusion(settings, quiet):
    scores = {1: 1000.0, 2: 1010.0, 3: 1400.0}
    close, lopsided = sampler.pair_weights(
        [(1, 2), (1, 3)], scores=scores, pair_votes={}, model_votes={}
    )
    # 400 points apart: p = 10/11, so 4 p (1 - p) = 40/121.
    assert lopsided == pytest.approx(0.25 + 40 / 121)
    assert close > 2 * lopsided
    # 4 p (1 - p) is 1 at p = 0.5: with base 0.25 a coin-flip pair weighs 1.25.
    assert sampler.pair_weights([(1, 2)], scores={}, pair_votes={}, model_votes={}) == [1.25]


def test_pairs_with_many_votes_weigh_less(quiet):
    few, many = sampler.pair_weights(
        [(1, 2), (3, 4)], scores={}, pair_votes={(3, 4): 150}, model_votes={}
    )
    assert many == pytest.approx(few / 2)  # 1 / sqrt(1 + 150 / 50)


def test_new_models_get_a_boost(settings, quiet):
    settings.QUALITY_SAMPLER_NEW_MODEL_VOTES = 100
    old, new = sampler.pair_weights(
        [(1, 2), (1, 3)], scores={}, pair_votes={}, model_votes={1: 500, 2: 500, 3: 10}
    )
    assert new == pytest.approx(2 * old)


def test_the_floor_lifts_every_model_to_its_share():
    pairs = [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    # Model 4's pairs weigh almost nothing.
    weights = [10, 10, 0.01, 10, 0.01, 0.01]
    probs, lam = sampler.floor_mix(pairs, weights, 0.15)
    share = Counter()
    for (a, b), p in zip(pairs, probs, strict=True):
        share[a] += p / 2
        share[b] += p / 2
    assert sum(probs) == pytest.approx(1.0)
    assert min(share.values()) == pytest.approx(0.15)
    assert 0 < lam < 1
    # No floor needed, no mixing.
    assert sampler.floor_mix(pairs, [1] * 6, 0.15)[1] == 0.0
    # A floor above the uniform share is capped at it (1/4 here).
    _, lam_all = sampler.floor_mix(pairs, weights, 0.9)
    assert lam_all == pytest.approx(1.0)


def test_the_floor_holds_in_what_is_actually_served(arena, alice, settings, quiet):
    settings.QUALITY_SAMPLER_FLOOR = 0.2
    ids = sorted(m.id for m in arena["models"])
    starved = ids[0]
    for i, lo in enumerate(ids):
        for hi in ids[i + 1 :]:
            PairStat.objects.create(
                model_lo_id=lo, model_hi_id=hi, voted=100_000 if starved in (lo, hi) else 0
            )
    seats = Counter()
    for seed in range(300):
        pick = sampler.pick(user=alice, rng=random.Random(seed))
        seats[pick.answer_a.model_id] += 1
        seats[pick.answer_b.model_id] += 1
    # Without the floor the starved model would get about 3% of the seats.
    assert seats[starved] / 600 > 0.15


def test_every_battle_records_the_probability_of_its_pair(arena, alice, bob, quiet):
    for user in (alice, bob):
        battle = services.battle_serve(user=user)
        row = BattleSampling.objects.get(battle=battle)
        assert 0 < row.probability <= 1
        assert row.weight > 0 and row.gold_pair_id is None and row.words > 0
