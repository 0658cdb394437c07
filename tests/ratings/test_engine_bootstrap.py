"""Bootstrap intervals over pair counts: calibration, ranks, reproducibility."""

import math

import numpy as np

from ratings.aggregate import aggregate_battles
from ratings.bootstrap import bootstrap_bt, rank_from_intervals
from ratings.bt import fit_bt

ALPHA = 400 / math.log(10)


def simulated_counts(rng, strength, n):
    m = strength.size
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    s = (rng.random(n) < p).astype(float)
    return aggregate_battles(a, b, s, n_models=m)


def test_its_95_percent_intervals_cover_the_true_scores_95_percent_of_the_time():
    # 300 data sets from fixed true strengths; the truth is mean-centred like
    # the estimates, so both live on the same scale.
    rng = np.random.default_rng(2024)
    m = 10
    strength = rng.normal(0.0, 0.5, m)
    truth = 1000 + ALPHA * (strength - strength.mean())
    hits = total = 0
    for k in range(300):
        counts = simulated_counts(rng, strength, 3000)
        fit = fit_bt(counts)
        boot = bootstrap_bt(counts, fit, rounds=500, seed=k, n_jobs=1)
        hits += int(np.sum((boot.lower <= truth) & (truth <= boot.upper)))
        total += m
    coverage = hits / total
    assert 0.93 <= coverage <= 0.97, coverage


def test_it_is_reproducible_whatever_the_thread_count():
    rng = np.random.default_rng(5)
    counts = simulated_counts(rng, rng.normal(0, 0.5, 8), 2000)
    fit = fit_bt(counts)
    one = bootstrap_bt(counts, fit, rounds=120, seed=7, n_jobs=1)
    two = bootstrap_bt(counts, fit, rounds=120, seed=7, n_jobs=2)
    np.testing.assert_array_equal(one.lower, two.lower)
    np.testing.assert_array_equal(one.upper, two.upper)
    assert np.all(one.lower <= fit.scores) and np.all(fit.scores <= one.upper)


def test_rank_counts_models_surely_better():
    lower = np.array([1100.0, 1050.0, 900.0, 1060.0])
    upper = np.array([1200.0, 1090.0, 1000.0, 1120.0])
    assert rank_from_intervals(lower, upper).tolist() == [1, 2, 4, 1]
    # Across components nothing is comparable.
    assert rank_from_intervals(lower, upper, np.array([0, 0, 1, 1])).tolist() == [1, 2, 2, 1]


def test_sparse_data_with_one_sided_models_gives_finite_intervals():
    a = np.array([0, 0, 1, 1, 2, 3])
    b = np.array([1, 2, 2, 3, 3, 0])
    s = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    counts = aggregate_battles(a, b, s, n_models=5)
    fit = fit_bt(counts)
    boot = bootstrap_bt(counts, fit, rounds=200, seed=1)
    assert np.all(np.isfinite(boot.lower)) and np.all(np.isfinite(boot.upper))
    assert boot.lower[4] == boot.upper[4] == 1000.0  # never played: no interval


def test_an_anchored_bootstrap_pins_the_anchor():
    rng = np.random.default_rng(6)
    counts = simulated_counts(rng, rng.normal(0, 0.5, 6), 1500)
    fit = fit_bt(counts, anchor=2, anchor_score=800.0)
    boot = bootstrap_bt(counts, fit, rounds=100, seed=0)
    assert boot.lower[2] == boot.upper[2] == 800.0
