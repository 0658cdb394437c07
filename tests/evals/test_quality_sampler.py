"""Sampler v3: pairs whose order is in doubt and new models first, a floor per model,
recorded odds."""

import math
import random
from collections import Counter

import pytest

from evals import sampler, services
from evals.quality import selectors
from evals.quality.models import BattleSampling
from tests.ratings.conftest import cast_votes


@pytest.fixture
def quiet(settings):
    settings.QUALITY_GOLD_RATE = 0.0
    settings.QUALITY_SAMPLER_NEW_MODEL_VOTES = 0  # nobody counts as new unless a test says so


@pytest.fixture
def open_limits(settings):
    # One voter casts many deliberate votes: no vote limits, no reliability checks.
    settings.QUALITY_DEFENCES = False
    settings.QUALITY_VOTES_PER_MINUTE_USER = settings.QUALITY_VOTES_PER_MINUTE_IP = 10_000


def _predictions(chain):
    """A fit of votes along a chain: ``chain`` is [(lo, hi, wins_lo, wins_hi), ...]."""
    return selectors.predictions_from_rows([(lo, hi, wl, wh, 0, 0) for lo, hi, wl, wh in chain])


def test_the_pair_whose_order_is_most_in_doubt_at_the_top_is_drawn_most(quiet):
    # Five models in a chain, 200 votes per neighbouring pair: 11 and 12 split
    # 104-96 (their order is in doubt), every other step is lopsided.
    predictions = _predictions(
        [(11, 12, 104, 96), (12, 13, 150, 50), (13, 14, 160, 40), (14, 15, 170, 30)]
    )
    assert sorted(predictions.scores, key=predictions.scores.get, reverse=True) == [
        11,
        12,
        13,
        14,
        15,
    ]
    pairs = [(a, b) for a in range(11, 16) for b in range(a + 1, 16)]
    weights = sampler.pair_weights(pairs, predictions=predictions, model_votes={})
    probs, lam = sampler.floor_mix(pairs, weights, 0.05)
    best = max(range(len(pairs)), key=probs.__getitem__)
    assert pairs[best] == (11, 12)
    assert lam < 0.5  # the floor feeds 14 and 15, it does not drown the choice
    # Uniform would give it a tenth; it gets more than a third.
    assert probs[best] > 0.35
    # 13 and 15 never met, but their order is not in question: the old rule
    # favoured pairs without votes, this one does not.
    assert probs[pairs.index((13, 15))] < probs[best] / 10


def test_at_equal_doubt_the_top_of_the_table_comes_before_the_bottom(quiet):
    # A mirror image: 11-12 at the top and 14-15 at the bottom are equally close
    # and equally voted. Outcome odds and vote counts (the old rule) cannot tell
    # them apart; their place in the table can.
    predictions = _predictions(
        [(11, 12, 52, 48), (12, 13, 80, 20), (13, 14, 80, 20), (14, 15, 52, 48)]
    )
    top, bottom = sampler.pair_weights(
        [(11, 12), (14, 15)], predictions=predictions, model_votes={}
    )
    assert top > 1.5 * bottom


def test_without_votes_every_pair_weighs_the_same(settings, quiet):
    settings.QUALITY_SAMPLER_BASE = 0.25
    pairs = [(1, 2), (1, 3), (2, 3)]
    weights = sampler.pair_weights(pairs, predictions=selectors.NO_PREDICTIONS, model_votes={})
    assert weights == [1.25] * 3  # QUALITY_SAMPLER_BASE + 1


def test_a_model_the_fit_has_not_seen_weighs_as_the_average_pair(settings, quiet):
    # The plan puts most votes on one or two pairs; a newcomer's pairs weigh as
    # the average pair (the new-model boost favours it), not as the best one,
    # which would hand it most of the arena until the next refit.
    predictions = _predictions([(11, 12, 104, 96), (12, 13, 150, 50)])
    w = sampler.pair_weights(
        [(11, 12), (12, 13), (11, 99), (13, 99)], predictions=predictions, model_votes={}
    )
    assert w[2] == w[3] == pytest.approx(settings.QUALITY_SAMPLER_BASE + 1.0)
    assert max(w[:2]) > w[2]


def test_new_models_get_a_boost(settings, quiet):
    settings.QUALITY_SAMPLER_NEW_MODEL_VOTES = 100
    old, new = sampler.pair_weights(
        [(1, 2), (1, 3)],
        predictions=selectors.NO_PREDICTIONS,
        model_votes={1: 500, 2: 500, 3: 10},
    )
    assert new == pytest.approx(2 * old)


def test_the_floor_lifts_every_model_to_its_share():
    pairs = [(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    # Model 4's pairs weigh almost nothing.
    weights = [10, 10, 0.01, 10, 0.01, 0.01]
    # A floor of 0.6: at least 60% of the uniform share (1/4 here), 0.15 of the seats.
    probs, lam = sampler.floor_mix(pairs, weights, 0.6)
    share = Counter()
    for (a, b), p in zip(pairs, probs, strict=True):
        share[a] += p / 2
        share[b] += p / 2
    assert sum(probs) == pytest.approx(1.0)
    assert min(share.values()) == pytest.approx(0.15)
    assert 0 < lam < 1
    # No floor needed, no mixing.
    assert sampler.floor_mix(pairs, [1] * 6, 0.6)[1] == 0.0
    # A floor of the whole uniform share is the uniform distribution.
    _, lam_all = sampler.floor_mix(pairs, weights, 1.0)
    assert lam_all == pytest.approx(1.0)


def test_the_floor_leaves_the_sampler_a_choice_in_a_large_arena(settings):
    # 30 models: the uniform share is 1/30 of the seats. A floor that was a fixed
    # share of the seats (5%) exceeded it, so every draw became uniform and the
    # sampler's weights were thrown away from 20 models on.
    models = range(30)
    pairs = [(a, b) for a in models for b in models if a < b]
    weights = [100.0 if pair == (0, 1) else 1.0 for pair in pairs]
    probs, lam = sampler.floor_mix(pairs, weights, settings.QUALITY_SAMPLER_FLOOR)
    assert lam < 1
    assert probs[pairs.index((0, 1))] > 10 / len(pairs)  # the wanted pair, 10x uniform
    share = Counter()
    for (a, b), p in zip(pairs, probs, strict=True):
        share[a] += p / 2
        share[b] += p / 2
    uniform = 1 / 30
    assert min(share.values()) >= settings.QUALITY_SAMPLER_FLOOR * uniform - 1e-12


def _vote(user, n, strength, *, seed=0):
    """``n`` battles served to ``user`` and voted by the real path: the stronger
    model wins, equal strengths tie."""

    def choose(battle):
        a, b = strength[battle.model_a_id], strength[battle.model_b_id]
        return "tie" if a == b else ("model_a" if a > b else "model_b")

    cast_votes(user, n, choose=choose, seed=seed)
    selectors.current_scores_forget()


def test_the_floor_holds_in_what_is_actually_served(arena, alice, settings, quiet, open_limits):
    ids = sorted(m.id for m in arena["models"])
    starved = ids[0]
    # Three models always tie (their order is in doubt); the fourth always loses
    # (its place is settled, so the uncertainty weights leave it almost no seats).
    _vote(alice, 60, {m: (0 if m == starved else 1) for m in ids})

    def share_of_starved():
        """The starved model's expected share of seats, from the probabilities the
        served picks record, checked against how often it was actually served."""
        probability, seats = {}, Counter()
        for seed in range(300):
            pick = sampler.pick(user=alice, rng=random.Random(seed))
            a, b = pick.answer_a.model_id, pick.answer_b.model_id
            probability[(min(a, b), max(a, b))] = pick.probability
            seats[a] += 1
            seats[b] += 1
        # Every pair was drawn at least once, so the recorded odds are the whole draw.
        assert len(probability) == 6 and sum(probability.values()) == pytest.approx(1)
        share = sum(p for pair, p in probability.items() if starved in pair) / 2
        # The draws follow the recorded odds: the starved model sits in a pick with
        # probability 2 * share; 300 picks stay within five standard deviations.
        sd = math.sqrt(2 * share * (1 - 2 * share) / 300) / 2
        assert abs(seats[starved] / 600 - share) < 5 * sd
        return share

    settings.QUALITY_SAMPLER_FLOOR = 0.0
    assert share_of_starved() < 0.12  # uniform would give it 0.25
    settings.QUALITY_SAMPLER_FLOOR = 0.8  # of the uniform share, 1/4: 0.2 of the seats
    assert share_of_starved() == pytest.approx(0.2)


def test_every_battle_records_the_probability_of_its_pair(arena, alice, bob, quiet):
    for user in (alice, bob):
        battle = services.battle_serve(user=user)
        row = BattleSampling.objects.get(battle=battle)
        assert 0 < row.probability <= 1
        assert row.weight > 0 and row.gold_pair_id is None and row.words > 0


def test_the_draws_distribution_is_reused_only_for_the_same_fit_counts_and_settings(
    quiet, settings
):
    # The serve reuses the last distribution while the fit and the vote counts
    # are the very same objects; a refit, new counts or a setting recompute it.
    chain = [(11, 12, 104, 96), (12, 13, 150, 50), (13, 14, 160, 40)]
    pairs = [(a, b) for a in range(11, 15) for b in range(a + 1, 15)]
    first, votes = _predictions(chain), {11: 5, 12: 50, 13: 50, 14: 50}

    def fresh(predictions, model_votes):
        weights = sampler.pair_weights(pairs, predictions=predictions, model_votes=model_votes)
        probs, lam = sampler.floor_mix(pairs, weights, settings.QUALITY_SAMPLER_FLOOR)
        return weights, probs, lam

    got = sampler._pair_distribution(pairs, first, votes)
    assert got == fresh(first, votes)
    assert sampler._pair_distribution(list(pairs), first, votes) is got  # reused
    refit = _predictions([(11, 12, 30, 170), *chain[1:]])
    assert sampler._pair_distribution(pairs, refit, votes) == fresh(refit, votes) != got
    settings.QUALITY_SAMPLER_NEW_MODEL_VOTES = 10  # 11 has 5 votes: new, boosted
    boosted = sampler._pair_distribution(pairs, refit, votes)
    assert boosted == fresh(refit, votes) and boosted[0] != fresh(refit, {11: 50, 12: 50})[0]
    assert sampler._pair_distribution(pairs[:3], refit, votes) == (
        sampler.pair_weights(pairs[:3], predictions=refit, model_votes=votes),
        *sampler.floor_mix(
            pairs[:3],
            sampler.pair_weights(pairs[:3], predictions=refit, model_votes=votes),
            settings.QUALITY_SAMPLER_FLOOR,
        ),
    )
