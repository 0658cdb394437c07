"""Calibrated at every sample size: the weak prior, sandwich and bootstrap intervals."""

import math

import numpy as np
import pytest

from ratings.aggregate import aggregate_battles
from ratings.bootstrap import bootstrap_bt
from ratings.bt import fit_bt
from ratings.sandwich import sandwich_bt
from ratings.table import DEFAULT_PRIOR_SD, leaderboard_table

ALPHA = 400 / math.log(10)
FIELD_SD = 150.0  # rating points: about the spread of a public arena's models


def simulate(rng, strength, n, tie_rate=0.3):
    """Battles from Bradley-Terry with ties: E[outcome] is exactly the BT probability.

    A tie happens with probability ``4 * tie_rate * p * (1 - p)`` (most often
    between equals, as in real arenas); the rest are wins with the probability
    that keeps the expected score at ``p``.
    """
    m = strength.size
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    tie = 4 * tie_rate * p * (1 - p)
    win = (p - tie / 2) / (1 - tie)
    s = np.where(rng.random(n) < tie, 0.5, (rng.random(n) < win).astype(float))
    return a, b, s


def coverage(votes_per_model, *, sets, method, m=10, seed=0, rounds=200):
    rng = np.random.default_rng(seed)
    hits = total = 0
    for k in range(sets):
        strength = rng.normal(0.0, FIELD_SD / ALPHA, m)
        truth = 1000 + ALPHA * (strength - strength.mean())
        a, b, s = simulate(rng, strength, m * votes_per_model // 2)
        counts = aggregate_battles(a, b, s, n_models=m)
        fit = fit_bt(counts, prior_sd=DEFAULT_PRIOR_SD)
        if method == "sandwich":
            res = sandwich_bt(counts, fit)
        else:
            res = bootstrap_bt(counts, fit, rounds=rounds, seed=k, n_jobs=1)
        ok = fit.rated
        hits += int(np.sum((res.lower <= truth) & (truth <= res.upper) & ok))
        total += int(ok.sum())
    return hits / total


@pytest.mark.parametrize("votes_per_model", [20, 50, 200, 2000])
def test_its_sandwich_intervals_cover_the_truth_93_to_97_percent_at_every_sample_size(
    votes_per_model,
):
    # 150 simulated arenas of 10 models (1,500 intervals: the coverage's
    # standard error is 0.6 points), true strengths drawn anew for each.
    assert (
        0.93 <= coverage(votes_per_model, sets=150, method="sandwich", seed=votes_per_model) <= 0.97
    )


@pytest.mark.parametrize("votes_per_model", [20, 2000])
def test_its_bootstrap_intervals_cover_the_truth_at_small_and_large_samples(votes_per_model):
    # Fewer sets (each is 200 refits): a looser band around 95%.
    cov = coverage(votes_per_model, sets=40, method="bootstrap", seed=votes_per_model)
    assert 0.92 <= cov <= 0.985


def test_without_the_prior_small_samples_are_not_calibrated():
    # The check above has teeth: plain maximum likelihood at 20 votes per model
    # has intervals far off 95% (one-sided models run off by thousands of points).
    rng = np.random.default_rng(3)
    hits = total = 0
    for _ in range(100):
        strength = rng.normal(0.0, FIELD_SD / ALPHA, 10)
        truth = 1000 + ALPHA * (strength - strength.mean())
        a, b, s = simulate(rng, strength, 40)
        counts = aggregate_battles(a, b, s, n_models=10)
        fit = fit_bt(counts)
        res = sandwich_bt(counts, fit)
        hits += int(np.sum((res.lower <= truth) & (truth <= res.upper) & fit.rated))
        total += int(fit.rated.sum())
    assert not 0.93 <= hits / total <= 0.97


def test_a_single_vote_gives_a_score_near_the_field_and_a_real_interval():
    # "Other" with one vote published 2,044 against -44 with zero-width intervals.
    counts = aggregate_battles(np.array([0]), np.array([1]), np.array([1.0]), n_models=2)
    for interval in ("bootstrap", "sandwich"):
        rows, meta = leaderboard_table(["a", "b"], counts, rounds=200, interval=interval)
        top, bottom = rows
        assert top["model"] == "a"
        assert 1100 < top["score"] < 1250 and 750 < bottom["score"] < 900
        for row in rows:
            assert row["upper"] - row["lower"] > 200
        # One vote cannot tell them apart: both share rank 1.
        assert top["rank"] == bottom["rank"] == 1
    assert "400 rating points" in meta["prior"]
    assert meta["params"]["prior_sd"] == DEFAULT_PRIOR_SD


def test_a_twelve_vote_slice_publishes_no_absurd_score():
    # Coding + Spanish with 12 votes showed 2,808 and -1,084; every rank 1.
    rng = np.random.default_rng(12)
    a = rng.integers(0, 6, 12)
    b = (a + rng.integers(1, 6, 12)) % 6
    s = (a < b).astype(float)  # lower index always wins: one-sided models
    counts = aggregate_battles(a, b, s, n_models=6)
    rows, _ = leaderboard_table([f"m{k}" for k in range(6)], counts, rounds=200)
    for row in rows:
        if row["votes"]:
            # Plain maximum likelihood gives 4,057 .. -1,973 here.
            assert 500 < row["score"] < 1500
            assert 100 < row["lower"] < row["score"] < row["upper"] < 1900
            assert row["upper"] - row["lower"] > 100


def test_style_control_with_few_votes_stays_near_the_field():
    # Style-controlled overall with 215 votes showed 721 with interval -489..1,339.
    rng = np.random.default_rng(215)
    m, n = 12, 215
    strength = rng.normal(0.0, FIELD_SD / ALPHA, m)
    a, b, s = simulate(rng, strength, n)
    fa = rng.integers(50, 800, (n, 4)).astype(float)
    fb = rng.integers(50, 800, (n, 4)).astype(float)
    style = {"model_a_idx": a, "model_b_idx": b, "outcome": s, "features_a": fa, "features_b": fb}
    counts = aggregate_battles(a, b, s, n_models=m)
    names = [f"m{k}" for k in range(m)]
    for interval in ("bootstrap", "sandwich"):
        rows, meta = leaderboard_table(
            names, counts, rounds=50, style=style, style_rounds=50, interval=interval
        )
        assert meta["method"] == "bradley-terry+style"
        for row in rows:
            assert 400 < row["lower"] < row["score"] < row["upper"] < 1600, row
