"""Aggregate per-battle outcomes into per-pair counts.

Every rating method in :mod:`ratings` except online Elo and style control works
on these counts, so a refit costs O(models²) however many votes there are.

Conventions
-----------
- ``outcome`` is 1.0 when model A won, 0.0 when model B won and 0.5 for a tie.
  A "both bad" vote is a tie (0.5) *and* is counted on its own per model as a
  quality signal; it is passed as a separate boolean array.
- Pairs are unordered and stored once with ``i < j``; the side a model was
  shown on does not matter to Bradley-Terry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PairCounts",
    "aggregate_battles",
    "counts_from_pairs",
    "index_models",
    "inverse_pair_weights",
    "reweight_pairs",
]

DEFAULT_MIN_PAIR_COUNT = 50


@dataclass(frozen=True)
class PairCounts:
    """Per-pair outcome counts of a set of battles.

    Attributes
    ----------
    n_models : int
        Number of models ``m``; model indices run over ``0 .. m-1``.
    i, j : ndarray of int64, shape (p,)
        The ``p`` pairs that fought at least once, ``i < j``, sorted.
    win_i, tie, win_j : ndarray of float64, shape (p,)
        Weighted number of battles that ``i`` won, that were ties (including
        both-bad votes), and that ``j`` won.
    n_raw : ndarray of int64, shape (p,)
        Unweighted number of battles per pair (what the bootstrap resamples).
    both_bad : ndarray of float64, shape (m,)
        Weighted number of both-bad votes each model took part in.
    """

    n_models: int
    i: np.ndarray
    j: np.ndarray
    win_i: np.ndarray
    tie: np.ndarray
    win_j: np.ndarray
    n_raw: np.ndarray
    both_bad: np.ndarray

    @property
    def n(self) -> np.ndarray:
        """Weighted battles per pair, shape (p,)."""
        return self.win_i + self.tie + self.win_j

    @property
    def score_i(self) -> np.ndarray:
        """Weighted score of ``i`` against ``j`` (ties count half), shape (p,)."""
        return self.win_i + 0.5 * self.tie

    @property
    def n_battles(self) -> int:
        """Total unweighted number of battles."""
        return int(self.n_raw.sum())

    def model_battles(self) -> np.ndarray:
        """Unweighted number of battles per model, shape (m,)."""
        m = self.n_models
        return np.bincount(self.i, self.n_raw, minlength=m) + np.bincount(
            self.j, self.n_raw, minlength=m
        )

    def model_weighted_battles(self) -> np.ndarray:
        """Weighted number of battles per model, shape (m,)."""
        m, n = self.n_models, self.n
        # float(): bincount of an empty array is int64 even with float weights.
        return (np.bincount(self.i, n, m) + np.bincount(self.j, n, m)).astype(np.float64)

    def model_scores(self) -> np.ndarray:
        """Weighted score (wins + half the ties) of each model, shape (m,)."""
        m = self.n_models
        out = np.bincount(self.i, self.score_i, m) + np.bincount(self.j, self.n - self.score_i, m)
        return out.astype(np.float64)


def index_models(
    model_a: np.ndarray, model_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn model names into indices.

    Parameters
    ----------
    model_a, model_b : array_like of str, shape (n,)
        Model names per battle.

    Returns
    -------
    names : ndarray of str, shape (m,)
        Sorted unique names; index ``k`` refers to ``names[k]``.
    a_idx, b_idx : ndarray of int64, shape (n,)
        Indices of model A and model B per battle.
    """
    a = np.asarray(model_a)
    b = np.asarray(model_b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("model_a and model_b must be 1-d arrays of the same length")
    names, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    inverse = inverse.astype(np.int64, copy=False)
    return names, inverse[: a.size], inverse[a.size :]


def _check_outcome(s: np.ndarray) -> np.ndarray:
    """Return ``2 * outcome`` as int64 (2 = A wins, 1 = tie, 0 = B wins)."""
    if s.size and not (s.min() >= 0.0 and s.max() <= 1.0):  # also catches NaN
        raise ValueError("outcome must be 1 (A wins), 0 (B wins) or 0.5 (tie)")
    return (s * 2.0).astype(np.int64)


def aggregate_battles(
    model_a_idx: np.ndarray,
    model_b_idx: np.ndarray,
    outcome: np.ndarray,
    *,
    n_models: int | None = None,
    both_bad: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> PairCounts:
    """Aggregate battles into per-pair counts without a Python loop over battles.

    Parameters
    ----------
    model_a_idx, model_b_idx : array_like of int, shape (n,)
        Index of model A and model B per battle, in ``0 .. n_models-1``.
    outcome : array_like of float, shape (n,)
        1.0 when A won, 0.0 when B won, 0.5 for a tie or a both-bad vote.
    n_models : int, optional
        Number of models ``m``; default ``max index + 1``.
    both_bad : array_like of bool, shape (n,), optional
        True for both-bad votes. Their outcome must be 0.5.
    weights : array_like of float, shape (n,), optional
        Non-negative per-battle weights (default 1).

    Returns
    -------
    PairCounts
        Counts over the ``p`` pairs that fought.

    Raises
    ------
    ValueError
        On mismatched shapes, indices out of range, a model fighting itself,
        an outcome other than 0, 0.5 or 1, or a negative / non-finite weight.

    Notes
    -----
    One ``np.bincount`` over directed (A, B, outcome) cells does the work; the
    m x m x 3 result is then folded into unordered pairs, which costs O(m²).
    """
    a = np.asarray(model_a_idx)
    b = np.asarray(model_b_idx)
    s = np.asarray(outcome, dtype=np.float64)
    n = a.size
    if a.ndim != 1 or b.shape != a.shape or s.shape != a.shape:
        raise ValueError("model_a_idx, model_b_idx and outcome must be 1-d of the same length")
    if n and not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        raise ValueError("model indices must be integers")
    if n_models is None:
        n_models = int(max(a.max(initial=-1), b.max(initial=-1))) + 1
    m = int(n_models)
    if m < 0:
        raise ValueError("n_models must be non-negative")
    if n and (min(a.min(), b.min()) < 0 or max(a.max(), b.max()) >= m):
        raise ValueError(f"model index out of range 0..{m - 1}")
    twice = _check_outcome(s)
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != a.shape:
            raise ValueError("weights must have the same length as the battles")
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise ValueError("weights must be finite and non-negative")
    bb = None
    if both_bad is not None:
        bb = np.asarray(both_bad, dtype=bool)
        if bb.shape != a.shape:
            raise ValueError("both_bad must have the same length as the battles")
        if (twice[bb] != 1).any():
            raise ValueError("a both-bad vote must have outcome 0.5")

    # cell = (a * m + b) * 3 + 2 * outcome, built in place to spare memory passes.
    cell = a.astype(np.int64) * m
    cell += b
    cell *= 3
    cell += twice
    size = m * m * 3
    raw = np.bincount(cell, minlength=size).reshape(m, m, 3)
    # Truncation in _check_outcome only ever lowers a value, so equal sums mean
    # every outcome was exactly 0, 0.5 or 1.
    per_outcome = raw.reshape(-1, 3).sum(axis=0)
    if n and float(per_outcome @ np.arange(3.0)) != float(s.sum()) * 2.0:
        bad = np.flatnonzero(twice != s * 2.0)[0]
        raise ValueError(
            f"battle {bad}: outcome {s[bad]!r} is not 1 (A wins), 0 (B wins) or 0.5 (tie)"
        )
    diag = np.flatnonzero(raw[np.arange(m), np.arange(m)].sum(axis=1))
    if diag.size:
        bad = int(np.flatnonzero(a == b)[0])
        raise ValueError(f"battle {bad}: a model cannot battle itself")
    weighted = raw.astype(np.float64) if w is None else np.bincount(cell, w, size).reshape(m, m, 3)
    iu, ju = np.triu_indices(m, 1)
    # Seen from i < j: A=i wins (cell 2) plus B=i wins in the (j, i) cells (cell 0).
    win_i = weighted[iu, ju, 2] + weighted[ju, iu, 0]
    tie = weighted[iu, ju, 1] + weighted[ju, iu, 1]
    win_j = weighted[iu, ju, 0] + weighted[ju, iu, 2]
    n_raw = raw[iu, ju].sum(axis=1) + raw[ju, iu].sum(axis=1)
    keep = n_raw > 0
    bb_counts = np.zeros(m)
    if bb is not None and bb.any():
        wb = None if w is None else w[bb]
        bb_counts = np.bincount(a[bb], wb, m) + np.bincount(b[bb], wb, m)
    return PairCounts(
        n_models=m,
        i=iu[keep].astype(np.int64),
        j=ju[keep].astype(np.int64),
        win_i=win_i[keep],
        tie=tie[keep],
        win_j=win_j[keep],
        n_raw=n_raw[keep].astype(np.int64),
        both_bad=bb_counts.astype(np.float64),
    )


def counts_from_pairs(
    n_models: int,
    i: np.ndarray,
    j: np.ndarray,
    win_i: np.ndarray,
    tie: np.ndarray,
    win_j: np.ndarray,
    *,
    n_raw: np.ndarray | None = None,
    both_bad: np.ndarray | None = None,
) -> PairCounts:
    """Build :class:`PairCounts` from stored pair rows (e.g. a database table).

    Rows may come in either orientation and more than once; they are merged.

    Parameters
    ----------
    n_models : int
        Number of models ``m``.
    i, j : array_like of int, shape (r,)
        Model indices of each row, ``i != j``.
    win_i, tie, win_j : array_like of float, shape (r,)
        Weighted wins of ``i``, ties and wins of ``j`` of each row.
    n_raw : array_like of int, shape (r,), optional
        Unweighted battles per row (default: ``round(win_i + tie + win_j)``).
    both_bad : array_like of float, shape (m,), optional
        Both-bad votes per model (default zeros).

    Returns
    -------
    PairCounts
    """
    m = int(n_models)
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    cols = [np.asarray(x, dtype=np.float64) for x in (win_i, tie, win_j)]
    if any(c.shape != i.shape for c in cols) or j.shape != i.shape:
        raise ValueError("pair rows must all have the same length")
    if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= m):
        raise ValueError(f"model index out of range 0..{m - 1}")
    if (i == j).any():
        raise ValueError("a pair row must name two different models")
    if any((c < 0).any() or not np.all(np.isfinite(c)) for c in cols):
        raise ValueError("pair counts must be finite and non-negative")
    raw = np.rint(sum(cols)) if n_raw is None else np.asarray(n_raw, dtype=np.float64)
    flip = i > j
    lo = np.where(flip, j, i)
    hi = np.where(flip, i, j)
    wi = np.where(flip, cols[2], cols[0])
    wj = np.where(flip, cols[0], cols[2])
    key = lo * m + hi
    size = m * m
    acc = [np.bincount(key, x, size) for x in (wi, cols[1], wj, raw)]
    keys = np.flatnonzero(acc[0] + acc[1] + acc[2])
    bb = np.zeros(m) if both_bad is None else np.asarray(both_bad, dtype=np.float64)
    if bb.shape != (m,):
        raise ValueError("both_bad must have one entry per model")
    return PairCounts(
        n_models=m,
        i=keys // m,
        j=keys % m,
        win_i=acc[0][keys],
        tie=acc[1][keys],
        win_j=acc[2][keys],
        n_raw=np.maximum(np.rint(acc[3][keys]), 1).astype(np.int64),
        both_bad=bb,
    )


def reweight_pairs(
    counts: PairCounts, *, min_pair_count: int = DEFAULT_MIN_PAIR_COUNT
) -> PairCounts:
    """Weight battles inversely to how often their pair was sampled.

    Each battle of pair ``p`` gets weight ``1 / max(n_p, min_pair_count)``
    (``n_p`` its unweighted battles), as LMArena's arena-rank does, so that
    pairs a sampler favoured do not dominate the fit; weights are then scaled
    to a mean of 1 per battle, so the total weight equals the number of
    battles and a prior or ridge keeps its meaning. Unweighted counts
    (``n_raw``) are kept, which is what the bootstrap resamples.

    Parameters
    ----------
    counts : PairCounts
        Unweighted or weighted counts.
    min_pair_count : int
        Floor of the count in the weight (rare pairs are not blown up).

    Returns
    -------
    PairCounts
        The same pairs with reweighted ``win_i``, ``tie``, ``win_j`` and
        ``both_bad`` scaled by the overall factor.
    """
    w = inverse_pair_weights(counts.n_raw, min_pair_count=min_pair_count)
    scale = float(counts.n_raw.sum()) / float((w * counts.n).sum()) if counts.n_raw.size else 1.0
    w = w * scale
    return PairCounts(
        n_models=counts.n_models,
        i=counts.i,
        j=counts.j,
        win_i=counts.win_i * w,
        tie=counts.tie * w,
        win_j=counts.win_j * w,
        n_raw=counts.n_raw,
        both_bad=counts.both_bad,
    )


def inverse_pair_weights(
    pair_battles: np.ndarray, *, min_pair_count: int = DEFAULT_MIN_PAIR_COUNT
) -> np.ndarray:
    """``1 / max(n, min_pair_count)`` per pair (or per battle, given its pair's count).

    Parameters
    ----------
    pair_battles : array_like of int, shape (p,)
        Unweighted battles of each pair.
    min_pair_count : int
        Floor of the count.

    Returns
    -------
    ndarray of float64, shape (p,)
    """
    if min_pair_count < 1:
        raise ValueError("min_pair_count must be at least 1")
    n = np.asarray(pair_battles, dtype=np.float64)
    return 1.0 / np.maximum(n, float(min_pair_count))
