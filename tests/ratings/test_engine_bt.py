"""Bradley-Terry fit on aggregated counts: known answers, an independent fit, edge cases."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize

from ratings.aggregate import aggregate_battles, counts_from_pairs, index_models
from ratings.bt import fit_bt

ALPHA = 400 / math.log(10)


def battles_from_table(table):
    """Expand {(winner, loser): count} into per-battle index arrays."""
    a, b = [], []
    for (winner, loser), count in table.items():
        a += [winner] * count
        b += [loser] * count
    return np.array(a), np.array(b), np.ones(len(a))


def test_it_rebuilds_the_wikipedia_worked_example():
    # https://en.wikipedia.org/wiki/Bradley%E2%80%93Terry_model, "Worked example":
    # 22 games among A, B, C, D; the MM iteration normalised to a geometric mean
    # of 1 ends at p = (0.640, 1.043, 0.660, 2.270), printed to three decimals.
    # arena-rank's test_bradley_terry.py rebuilds the same example.
    ATOL = 1e-3
    A, B, C, D = range(4)
    table = {(A, B): 2, (B, A): 3, (A, D): 1, (D, A): 4, (B, C): 5, (C, B): 3, (C, D): 1, (D, C): 3}
    a, b, s = battles_from_table(table)
    fit = fit_bt(aggregate_battles(a, b, s, n_models=4))
    # theta is mean-zero, so exp(theta) has geometric mean 1 like Wikipedia's p.
    np.testing.assert_allclose(np.exp(fit.theta), [0.640, 1.043, 0.660, 2.270], atol=ATOL)
    assert fit.scores.mean() == pytest.approx(1000.0)


def simulate(m, n, seed, tie_rate=0.2):
    rng = np.random.default_rng(seed)
    strength = rng.normal(0.0, 0.6, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    p = 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    u = rng.random(n)
    tie = rng.random(n) < tie_rate
    s = np.where(tie, 0.5, (u < p).astype(float))
    return strength, a, b, s


def test_it_agrees_with_a_plain_logistic_regression_on_expanded_rows():
    m = 12
    _, a, b, s = simulate(m, 4000, seed=1)
    fit = fit_bt(aggregate_battles(a, b, s, n_models=m))

    # Independent fit: one logistic row per battle, a tie as two half-weight
    # rows (one win each way), minimised by scipy's BFGS with its own gradient.
    rows_a = np.r_[a, a]
    rows_b = np.r_[b, b]
    y = np.r_[np.where(s == 0.5, 1.0, s), np.where(s == 0.5, 0.0, s)]
    w = np.r_[np.where(s == 0.5, 0.5, 1.0), np.where(s == 0.5, 0.5, 0.0)]

    def nll(free):
        theta = np.r_[0.0, free]  # model 0 fixed at 0 removes the free shift
        z = theta[rows_a] - theta[rows_b]
        return np.sum(w * (np.logaddexp(0, z) - y * z))

    res = minimize(nll, np.zeros(m - 1), method="BFGS", options={"gtol": 1e-9})
    theta = np.r_[0.0, res.x]
    expected = 1000 + ALPHA * (theta - theta.mean())
    np.testing.assert_allclose(fit.scores, expected, atol=0.01)


def test_it_recovers_known_strengths_from_simulated_data():
    m = 20
    strength, a, b, s = simulate(m, 200_000, seed=2, tie_rate=0.0)
    fit = fit_bt(aggregate_battles(a, b, s, n_models=m))
    truth = 1000 + ALPHA * (strength - strength.mean())
    assert np.max(np.abs(fit.scores - truth)) < 15.0
    assert np.corrcoef(fit.scores, truth)[0, 1] > 0.999


def test_it_holds_the_anchor_at_its_score_and_only_shifts_the_others():
    _, a, b, s = simulate(8, 3000, seed=3)
    counts = aggregate_battles(a, b, s, n_models=8)
    free = fit_bt(counts)
    anchored = fit_bt(counts, anchor=3, anchor_score=1200.0)
    assert anchored.scores[3] == pytest.approx(1200.0)
    np.testing.assert_allclose(np.diff(anchored.scores), np.diff(free.scores), atol=1e-9)


def test_it_rejects_an_empty_set_of_battles_with_a_clear_message():
    counts = aggregate_battles(np.array([], int), np.array([], int), np.array([]), n_models=3)
    with pytest.raises(ValueError, match="no battles"):
        fit_bt(counts)
    with pytest.raises(ValueError, match="no models"):
        fit_bt(aggregate_battles(np.array([], int), np.array([], int), np.array([]), n_models=0))


def test_a_single_model_keeps_the_initial_score():
    counts = aggregate_battles(np.array([], int), np.array([], int), np.array([]), n_models=1)
    fit = fit_bt(counts)
    assert fit.scores.tolist() == [1000.0]
    assert not fit.rated[0]


def test_a_model_that_only_wins_stays_finite():
    a = np.array([0, 0, 0, 1, 2, 1])
    b = np.array([1, 2, 1, 2, 1, 2])
    s = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.5])
    fit = fit_bt(aggregate_battles(a, b, s, n_models=3))
    assert np.all(np.isfinite(fit.scores))
    assert fit.scores[0] > fit.scores[1] + 500
    assert fit.scores[0] < 1000 + 4000  # finite by the ridge, documented in bt.py


def test_a_disconnected_graph_is_rated_per_component_with_a_warning():
    # {0, 1} and {2, 3} never met; model 4 never played.
    a = np.array([0, 0, 1, 2, 2, 3])
    b = np.array([1, 1, 0, 3, 3, 2])
    s = np.array([1.0, 1.0, 1.0, 0.0, 0.5, 1.0])
    fit = fit_bt(aggregate_battles(a, b, s, n_models=5))
    assert fit.component[0] == fit.component[1] != fit.component[2] == fit.component[3]
    assert fit.component[4] not in fit.component[:4]
    assert fit.n_components == 2
    assert any("disconnected" in w for w in fit.warnings)
    assert any("no battles" in w for w in fit.warnings)
    assert fit.scores[:2].mean() == pytest.approx(1000.0)
    assert fit.scores[2:4].mean() == pytest.approx(1000.0)
    assert fit.scores[4] == 1000.0
    assert not np.isnan(fit.scores).any()


def test_stored_pair_rows_give_the_same_counts_as_the_battles():
    _, a, b, s = simulate(6, 500, seed=4)
    direct = aggregate_battles(a, b, s, n_models=6)
    rows = counts_from_pairs(
        6,
        np.r_[direct.j, direct.i[:3]],
        np.r_[direct.i, direct.j[:3]],
        np.r_[direct.win_j, np.zeros(3)],
        np.r_[direct.tie, np.zeros(3)],
        np.r_[direct.win_i, np.zeros(3)],
        n_raw=np.r_[direct.n_raw, np.zeros(3)],
    )
    np.testing.assert_array_equal(rows.i, direct.i)
    np.testing.assert_allclose(rows.win_i, direct.win_i)
    np.testing.assert_allclose(fit_bt(rows).scores, fit_bt(direct).scores)


def test_index_models_maps_names_to_sorted_indices():
    names, ia, ib = index_models(np.array(["b", "a", "c"]), np.array(["a", "c", "b"]))
    assert names.tolist() == ["a", "b", "c"]
    assert ia.tolist() == [1, 0, 2]
    assert ib.tolist() == [0, 2, 1]
