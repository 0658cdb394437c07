"""Online Elo ratings, processing battles in order (the arena's "second view").

For a battle of A against B with outcome ``s`` (1 A wins, 0 B wins, 0.5 tie)::

    e = 1 / (1 + base ** ((r_B - r_A) / scale))
    r_A += k * (s - e)
    r_B -= k * (s - e)

Elo is sequential: every update depends on all earlier ones, so it cannot be
vectorised exactly (chunked updates change the result). The loop below is the
exact algorithm in plain Python, kept tight: model indices and outcome codes
become Python lists of small (cached) ints, and the rating table is a list.
It runs 10 million battles in roughly 3 s on one core (see bench/ratings.py).
"""

from __future__ import annotations

import numpy as np

__all__ = ["elo_ratings"]


def elo_ratings(
    model_a_idx: np.ndarray,
    model_b_idx: np.ndarray,
    outcome: np.ndarray,
    n_models: int,
    *,
    k: float = 4.0,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
) -> np.ndarray:
    """Sequential Elo ratings.

    Parameters
    ----------
    model_a_idx, model_b_idx : array_like of int, shape (n,)
        Model indices per battle, in the order the battles happened.
    outcome : array_like of float, shape (n,)
        1.0 A wins, 0.0 B wins, 0.5 tie (any value in [0, 1] is accepted).
    n_models : int
        Number of models ``m``.
    k, scale, base, init : float
        K-factor (4), scale (400), base (10) and initial rating (1000).

    Returns
    -------
    ndarray of float64, shape (m,)
        Ratings after the last battle; models without battles keep ``init``.
    """
    a = np.asarray(model_a_idx)
    b = np.asarray(model_b_idx)
    s = np.asarray(outcome, dtype=np.float64)
    if a.ndim != 1 or b.shape != a.shape or s.shape != a.shape:
        raise ValueError("model_a_idx, model_b_idx and outcome must be 1-d of the same length")
    m = int(n_models)
    if a.size and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= m):
        raise ValueError(f"model index out of range 0..{m - 1}")
    if s.size and not (s.min() >= 0.0 and s.max() <= 1.0):
        raise ValueError("outcome must lie in [0, 1]")
    ratings = [float(init)] * m
    if a.size == 0:
        return np.array(ratings)
    # Outcomes are almost always 0 / 0.5 / 1: pass them as small-int codes into
    # a table of k * s (building a list of 10M floats costs more than the loop).
    values, codes = np.unique(s, return_inverse=True) if s.size < 1000 else _codes(s)
    ks = [k * float(v) for v in values]
    inv_scale = 1.0 / scale
    fbase = float(base)
    kf = float(k)
    r = ratings
    for i, j, c in zip(a.tolist(), b.tolist(), codes.tolist(), strict=True):
        ri = r[i]
        rj = r[j]
        d = ks[c] - kf / (1.0 + fbase ** ((rj - ri) * inv_scale))
        r[i] = ri + d
        r[j] = rj - d
    return np.array(r)


def _codes(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique values and inverse codes, fast when the outcomes are halves."""
    twice = s * 2.0
    codes = twice.astype(np.int64)
    if np.array_equal(codes, twice):
        return np.array([0.0, 0.5, 1.0]), codes
    return np.unique(s, return_inverse=True)
