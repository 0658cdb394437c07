"""Aggregation of battles into pair counts."""

import numpy as np
import pytest

from ratings.aggregate import aggregate_battles
from ratings.matrices import (
    battle_count_matrix,
    both_bad_rate,
    observed_win_matrix,
    predicted_win_matrix,
)


def test_it_counts_wins_ties_and_both_bad_per_unordered_pair():
    a = np.array([0, 1, 0, 2, 1])
    b = np.array([1, 0, 1, 1, 2])
    s = np.array([1.0, 1.0, 0.5, 0.5, 0.0])
    bb = np.array([False, False, False, True, False])
    c = aggregate_battles(a, b, s, n_models=3, both_bad=bb)
    assert c.i.tolist() == [0, 1]
    assert c.j.tolist() == [1, 2]
    assert c.win_i.tolist() == [1.0, 0.0]  # 0 beat 1 once; 1 never beat 2
    assert c.win_j.tolist() == [1.0, 1.0]
    assert c.tie.tolist() == [1.0, 1.0]
    assert c.n_raw.tolist() == [3, 2]
    assert c.both_bad.tolist() == [0.0, 1.0, 1.0]
    assert c.score_i.tolist() == [1.5, 0.5]


def test_it_applies_per_battle_weights():
    c = aggregate_battles(
        np.array([0, 0]), np.array([1, 1]), np.array([1.0, 0.0]), weights=np.array([2.0, 0.5])
    )
    assert c.win_i.tolist() == [2.0]
    assert c.win_j.tolist() == [0.5]
    assert c.n_raw.tolist() == [2]


@pytest.mark.parametrize(
    ("a", "b", "s", "message"),
    [
        ([0], [0], [1.0], "itself"),
        ([0], [1], [0.3], "outcome"),
        ([0], [1], [np.nan], "outcome"),
        ([0], [5], [1.0], "out of range"),
    ],
)
def test_it_rejects_bad_battles(a, b, s, message):
    with pytest.raises(ValueError, match=message):
        aggregate_battles(np.array(a), np.array(b), np.array(s), n_models=3)


def test_matrices_follow_the_counts_and_scores():
    a = np.array([0, 0, 1])
    b = np.array([1, 1, 0])
    s = np.array([1.0, 0.5, 1.0])
    c = aggregate_battles(a, b, s, n_models=3, both_bad=np.array([False, True, False]))
    obs = observed_win_matrix(c)
    assert obs[0, 1] == pytest.approx(0.5)
    assert np.isnan(obs[0, 2])
    assert battle_count_matrix(c)[1, 0] == 3
    np.testing.assert_allclose(both_bad_rate(c), [1 / 3, 1 / 3, 0.0])
    pred = predicted_win_matrix(np.array([1400.0, 1000.0]))
    assert pred[0, 1] == pytest.approx(10 / 11)
    assert pred[0, 1] + pred[1, 0] == pytest.approx(1.0)
