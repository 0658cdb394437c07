"""Pairwise matrices for leaderboard plots: predicted and observed win rates.

All matrices are dense (m, m) float64 arrays indexed ``[row model, column
model]``; the diagonal and pairs that never met are NaN in the observed
matrix (callers that serialise to JSON turn NaN into null).
"""

from __future__ import annotations

import numpy as np

from ratings.aggregate import PairCounts

__all__ = [
    "battle_count_matrix",
    "both_bad_rate",
    "observed_win_matrix",
    "predicted_win_matrix",
]


def predicted_win_matrix(
    scores: np.ndarray, *, scale: float = 400.0, base: float = 10.0
) -> np.ndarray:
    """Win probability of row over column implied by the scores.

    Parameters
    ----------
    scores : array_like of float, shape (m,)
        Ratings on the ``scale`` / ``base`` scale.

    Returns
    -------
    ndarray of float64, shape (m, m)
        ``1 / (1 + base ** ((s_col - s_row) / scale))``; 0.5 on the diagonal.
    """
    s = np.asarray(scores, dtype=np.float64)
    diff = (s[None, :] - s[:, None]) / scale
    # Written via exp of a clipped exponent so extreme gaps give 0 or 1, not inf.
    return 1.0 / (1.0 + np.exp(np.clip(diff * np.log(base), -700.0, 700.0)))


def battle_count_matrix(counts: PairCounts) -> np.ndarray:
    """Unweighted number of battles per pair, symmetric.

    Returns
    -------
    ndarray of float64, shape (m, m)
    """
    m = counts.n_models
    out = np.zeros((m, m))
    out[counts.i, counts.j] = counts.n_raw
    out[counts.j, counts.i] = counts.n_raw
    return out


def observed_win_matrix(counts: PairCounts) -> np.ndarray:
    """Observed share of battles the row model won against the column model.

    Ties count half. NaN where the two never met and on the diagonal.

    Returns
    -------
    ndarray of float64, shape (m, m)
    """
    m = counts.n_models
    out = np.full((m, m), np.nan)
    n = counts.n
    ok = n > 0
    i, j = counts.i[ok], counts.j[ok]
    share = counts.score_i[ok] / n[ok]
    out[i, j] = share
    out[j, i] = 1.0 - share
    return out


def both_bad_rate(counts: PairCounts) -> np.ndarray:
    """Share of a model's (weighted) battles voted "both bad"; 0 without battles.

    Returns
    -------
    ndarray of float64, shape (m,)
    """
    battles = counts.model_weighted_battles()
    return np.divide(counts.both_bad, battles, out=np.zeros_like(battles), where=battles > 0)
