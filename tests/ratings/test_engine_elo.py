"""Online Elo."""

import numpy as np
import pytest

from ratings.elo import elo_ratings


def test_it_matches_a_hand_computed_three_battle_example():
    # K=4, scale 400, base 10, start 1000; models A=0, B=1, C=2.
    # 1. A beats B: e_A = 0.5, A +2 -> 1002, B -> 998.
    # 2. B ties C: e_B = 1 / (1 + 10**(2/400)) = 0.4971218..., d = 4 * (0.5 - e_B)
    #    = 0.0115128..., B -> 998.0115128, C -> 999.9884872.
    # 3. C beats A: e_C = 1 / (1 + 10**((1002 - 999.9884872) / 400)) = 0.4971052...,
    #    d = 4 * (1 - e_C) = 2.0115791, C -> 1002.0000663, A -> 999.9884209.
    r = elo_ratings(np.array([0, 1, 2]), np.array([1, 2, 0]), np.array([1.0, 0.5, 1.0]), 3)
    np.testing.assert_allclose(r, [999.9884209, 998.0115128, 1002.0000663], atol=1e-6)


def test_the_order_of_battles_matters_and_rating_is_conserved():
    a = np.array([0, 1, 0, 2])
    b = np.array([1, 2, 2, 1])
    s = np.array([1.0, 0.0, 0.5, 1.0])
    r = elo_ratings(a, b, s, 4)
    assert r.sum() == pytest.approx(4000.0)
    assert r[3] == 1000.0
    assert not np.allclose(r, elo_ratings(a[::-1], b[::-1], s[::-1], 4))


def test_it_handles_no_battles_and_rejects_bad_outcomes():
    assert elo_ratings(np.array([], int), np.array([], int), np.array([]), 2).tolist() == [
        1000.0,
        1000.0,
    ]
    with pytest.raises(ValueError):
        elo_ratings(np.array([0]), np.array([1]), np.array([2.0]), 2)
