"""The leaderboard table shared by service, REST and CLI."""

import numpy as np
import pytest

from ratings.aggregate import aggregate_battles
from ratings.style import FEATURE_NAMES


def table(*args, **kwargs):
    from ratings.table import leaderboard_table

    return leaderboard_table(*args, **kwargs)


def test_it_returns_ranked_rows_and_meta():
    rng = np.random.default_rng(3)
    m, n = 5, 3000
    strength = np.linspace(-1, 1, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    s = (rng.random(n) < 1 / (1 + np.exp(strength[b] - strength[a]))).astype(float)
    bb = rng.random(n) < 0.05
    s[bb] = 0.5
    counts = aggregate_battles(a, b, s, n_models=m, both_bad=bb)
    names = [f"m{k}" for k in range(m)]
    rows, meta = table(names, counts, rounds=200, anchor="m0", anchor_score=900.0)
    assert [r["model"] for r in rows] == ["m4", "m3", "m2", "m1", "m0"]
    assert rows[0]["rank"] == 1
    assert rows[-1]["score"] == pytest.approx(900.0)
    assert set(rows[0]) >= {
        "rank",
        "model",
        "score",
        "lower",
        "upper",
        "votes",
        "win_rate",
        "both_bad_rate",
        "component",
    }
    assert all(r["lower"] <= r["score"] <= r["upper"] for r in rows)
    assert sum(r["votes"] for r in rows) == 2 * n
    assert meta["method"] == "bradley-terry"
    assert meta["n_battles"] == n
    assert meta["params"]["anchor"] == "m0"


def test_a_single_model_has_the_initial_score_and_no_interval():
    counts = aggregate_battles(np.array([], int), np.array([], int), np.array([]), n_models=1)
    rows, meta = table(["solo"], counts)
    assert rows == [
        {
            "rank": None,
            "model": "solo",
            "score": 1000.0,
            "lower": None,
            "upper": None,
            "votes": 0,
            "win_rate": None,
            "both_bad_rate": 0.0,
            "component": 0,
        }
    ]
    assert meta["warnings"]


def test_no_battles_is_a_clear_error():
    counts = aggregate_battles(np.array([], int), np.array([], int), np.array([]), n_models=2)
    with pytest.raises(ValueError, match="no battles"):
        table(["a", "b"], counts)


def test_an_unknown_anchor_is_a_warning_not_a_crash():
    counts = aggregate_battles(np.array([0, 1]), np.array([1, 0]), np.array([1.0, 1.0]))
    rows, meta = table(["a", "b"], counts, rounds=50, anchor="zzz")
    assert any("anchor" in w for w in meta["warnings"])
    assert sum(r["score"] for r in rows) == pytest.approx(2000.0)


def test_style_control_adds_raw_scores_and_coefficients():
    rng = np.random.default_rng(4)
    m, n = 4, 2000
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    s = rng.integers(0, 3, n) / 2
    fa = rng.poisson(5, (n, 4)).astype(float)
    fb = rng.poisson(5, (n, 4)).astype(float)
    counts = aggregate_battles(a, b, s, n_models=m)
    style = {"model_a_idx": a, "model_b_idx": b, "outcome": s, "features_a": fa, "features_b": fb}
    rows, meta = table(list("abcd"), counts, rounds=20, style=style)
    assert meta["method"] == "bradley-terry+style"
    assert set(meta["style_coefficients"]) == set(FEATURE_NAMES)
    assert all("raw_score" in r and r["lower"] <= r["upper"] for r in rows)
