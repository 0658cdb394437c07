"""Bradley-Terry ratings by maximum likelihood on aggregated pair counts.

Model
-----
Model ``k`` has a strength ``theta_k`` (natural-log units). In a battle of
``i`` against ``j``::

    P(i beats j) = 1 / (1 + exp(theta_j - theta_i))

A tie counts half a win for each side (design.md: tie = both_bad = 0.5). The
published score is ``init + scale / ln(base) * theta``, so with the defaults
(scale 400, base 10, init 1000) a 400-point gap means 10:1 odds.

Fit
---
Newton's method with a backtracking line search on the negative
log-likelihood of the pair counts, so one iteration costs O(pairs + models³)
and never touches individual votes. The objective carries a tiny ridge
penalty ``reg * w / 2 * sum(theta**2)`` (``w`` the mean battle weight, 1 when
unweighted): it keeps a model that only ever won (or only lost) finite,
about 2,000 points from its opponents with the default ``reg = 1e-6``, instead
of running off to infinity, and it pins the otherwise free additive constant.
Because the likelihood does not change when a whole connected component is
shifted, the penalty's optimum has mean zero within every component; the
shift it causes on ordinary models is of order ``reg`` and negligible.

Small samples: a weak Gaussian prior
------------------------------------
With ``prior_sd`` (in rating points) every strength also gets a prior
``theta_k ~ N(0, sigma**2)``, ``sigma = prior_sd * ln(base) / scale``, i.e. a
penalty ``theta @ theta / (2 * sigma**2)``. The fit is then the posterior mode
(maximum a posteriori). A model with a handful of votes stays within a few
hundred points of the field unless its votes say otherwise, while with
hundreds of votes per model the prior's pull is a fraction of a point. The
leaderboard uses a 400-point prior (``RATINGS_PRIOR_SD``); ``prior_sd=None``
here gives the plain maximum-likelihood fit.

Disconnected comparisons
------------------------
When the graph of pairs that fought has several connected components, scores
are comparable only within a component. The fit then rates every component
separately, centres each at ``init`` (or at the anchor, for the anchor's
component), returns per-model component ids and a warning message. It does
not raise: a leaderboard with a newcomer that has not met the rest yet is a
normal state of a live arena.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from ratings.aggregate import PairCounts

__all__ = [
    "BTFit",
    "comparison_components",
    "fit_bt",
    "prior_precision",
    "scores_from_theta",
]

DEFAULT_SCALE = 400.0
DEFAULT_BASE = 10.0
DEFAULT_INIT = 1000.0
DEFAULT_REG = 1e-6


@dataclass(frozen=True)
class BTFit:
    """Result of :func:`fit_bt`.

    Attributes
    ----------
    scores : ndarray of float64, shape (m,)
        Published ratings (``init + scale / ln(base) * theta``, anchored).
    theta : ndarray of float64, shape (m,)
        Strengths in natural-log units, mean zero within each component.
    component : ndarray of int64, shape (m,)
        Connected component of each model; scores compare only within one.
    rated : ndarray of bool, shape (m,)
        False for models without any battle (their score is ``init`` or the
        anchor's component centre, and they have no interval).
    n_components : int
        Number of components among models that have battles.
    warnings : tuple of str
        Human-readable notes (disconnected graph, unrated models, ...).
    iterations : int
        Newton iterations used.
    reg : float
        Total penalty coefficient used: ``reg * mean weight`` plus the prior
        precision ``prior_lam``.
    prior_sd : float or None
        Standard deviation of the Gaussian prior on strengths, in rating
        points (None: no prior, plain maximum likelihood).
    prior_lam : float
        The prior's precision in natural-log units (0 without a prior).
    """

    scores: np.ndarray
    theta: np.ndarray
    component: np.ndarray
    rated: np.ndarray
    n_components: int
    iterations: int
    reg: float
    scale: float = DEFAULT_SCALE
    base: float = DEFAULT_BASE
    init: float = DEFAULT_INIT
    anchor: int | None = None
    anchor_score: float | None = None
    warnings: tuple[str, ...] = field(default=())
    prior_sd: float | None = None
    prior_lam: float = 0.0


def comparison_components(counts: PairCounts) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of the graph of pairs that fought.

    Parameters
    ----------
    counts : PairCounts
        Aggregated battles over ``m`` models.

    Returns
    -------
    component : ndarray of int64, shape (m,)
        Component label per model, numbered by first appearance (model order).
    rated : ndarray of bool, shape (m,)
        True for models with at least one battle.
    """
    m = counts.n_models
    graph = coo_matrix((np.ones(counts.i.size), (counts.i, counts.j)), shape=(m, m))
    _, labels = connected_components(graph, directed=False)
    # Renumber by first appearance so labels are stable and start at 0.
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))
    component = order[labels].astype(np.int64)
    rated = np.zeros(m, dtype=bool)
    rated[counts.i] = True
    rated[counts.j] = True
    return component, rated


def scores_from_theta(
    theta: np.ndarray,
    component: np.ndarray,
    *,
    scale: float = DEFAULT_SCALE,
    base: float = DEFAULT_BASE,
    init: float = DEFAULT_INIT,
    anchor: int | None = None,
    anchor_score: float | None = None,
) -> np.ndarray:
    """Turn strengths into published scores, centred or anchored per component.

    Parameters
    ----------
    theta : ndarray of float64, shape (m,) or (r, m)
        Strengths in natural-log units; a leading axis holds bootstrap rounds.
    component : ndarray of int, shape (m,)
        Component label per model.
    scale, base, init : float
        Score scale: ``init + scale / ln(base) * theta``.
    anchor : int, optional
        Index of a model whose score is held at ``anchor_score`` (default
        ``init``); its component is shifted accordingly. Other components,
        or all of them without an anchor, are centred at mean ``init``.
    anchor_score : float, optional
        Score of the anchor model.

    Returns
    -------
    ndarray of float64, same shape as ``theta``
    """
    theta = np.asarray(theta, dtype=np.float64)
    comp = np.asarray(component)
    n_comp = int(comp.max()) + 1 if comp.size else 0
    # Mean per component, computed with a one-hot matrix so a leading axis works.
    onehot = np.zeros((comp.size, n_comp))
    onehot[np.arange(comp.size), comp] = 1.0
    sizes = onehot.sum(axis=0)
    means = (theta @ onehot) / sizes
    centred = theta - means[..., comp]
    alpha = scale / math.log(base)
    out = init + alpha * centred
    if anchor is not None:
        target = init if anchor_score is None else float(anchor_score)
        in_comp = comp == comp[anchor]
        shift = target - out[..., anchor]
        out = out + np.where(in_comp, 1.0, 0.0) * np.asarray(shift)[..., None]
    return out


def prior_precision(
    prior_sd: float | None, *, scale: float = DEFAULT_SCALE, base: float = DEFAULT_BASE
) -> float:
    """Precision (1 / variance, natural-log units) of a prior of ``prior_sd`` points.

    Returns 0 for ``None`` (no prior).
    """
    if prior_sd is None:
        return 0.0
    if not prior_sd > 0:
        raise ValueError("prior_sd must be positive (rating points)")
    sigma = float(prior_sd) * math.log(base) / scale
    return 1.0 / (sigma * sigma)


def _objective(theta, i, j, n, s, lam, offset=None):
    d = theta[i] - theta[j]
    f = float(np.sum(n * np.logaddexp(0.0, d) - s * d) + 0.5 * lam * theta @ theta)
    return f if offset is None else f - float(offset @ theta)


def newton_solve(
    i: np.ndarray,
    j: np.ndarray,
    n: np.ndarray,
    s: np.ndarray,
    m: int,
    lam: float,
    theta0: np.ndarray,
    component: np.ndarray,
    *,
    tol: float = 1e-10,
    max_iter: int = 200,
    offset: np.ndarray | None = None,
) -> tuple[np.ndarray, int, bool]:
    """Minimise the penalised BT negative log-likelihood by damped Newton.

    Parameters
    ----------
    i, j : ndarray of int, shape (p,)
        Pair members.
    n, s : ndarray of float64, shape (p,)
        Weighted battles and weighted score of ``i`` per pair.
    m : int
        Number of models.
    lam : float
        Ridge coefficient (> 0).
    theta0 : ndarray of float64, shape (m,)
        Starting point.
    component : ndarray of int, shape (m,)
        Connected component per model (see :func:`comparison_components`).
    offset : ndarray of float64, shape (m,), optional
        Linear term ``-offset @ theta`` added to the objective: a prior
        centred at ``offset / lam`` instead of 0 (the randomised-prior
        bootstrap of :mod:`ratings.bootstrap`).

    Returns
    -------
    theta : ndarray, shape (m,)
    iterations : int
    converged : bool
    """
    comp_size = np.bincount(component).astype(np.float64)
    theta = theta0.astype(np.float64, copy=True)
    theta -= (np.bincount(component, theta) / comp_size)[component]
    diag_idx = np.arange(m)
    f = _objective(theta, i, j, n, s, lam, offset)
    for it in range(1, max_iter + 1):
        d = theta[i] - theta[j]
        p = expit(d)
        gp = n * p - s
        grad = np.bincount(i, gp, m) - np.bincount(j, gp, m) + lam * theta
        if offset is not None:
            grad = grad - offset
        # Shifting a component changes nothing but the penalty, whose curvature
        # there is only lam: rounding noise in that direction would be amplified
        # 1/lam times, so it is projected out (theta stays centred per component).
        grad -= (np.bincount(component, grad) / comp_size)[component]
        w = n * p * (1.0 - p)
        hess = np.zeros((m, m))
        hess[i, j] = -w
        hess[j, i] = -w
        hess[diag_idx, diag_idx] = np.bincount(i, w, m) + np.bincount(j, w, m) + lam
        step = linalg.cho_solve(linalg.cho_factor(hess, check_finite=False), grad)
        slope = float(grad @ step)
        t = 1.0
        while True:
            cand = theta - t * step
            f_new = _objective(cand, i, j, n, s, lam, offset)
            # The slack absorbs rounding in f, which is a sum over all pairs.
            if f_new <= f - 1e-4 * t * slope + 1e-12 * abs(f) or t < 1e-10:
                break
            t *= 0.5
        theta, f = cand, f_new
        if np.max(np.abs(t * step)) < tol:
            return theta, it, True
    return theta, max_iter, False


def effective_reg(counts: PairCounts, reg: float = DEFAULT_REG) -> float:
    """Ridge coefficient for ``counts``: ``reg`` times the mean battle weight."""
    raw = float(counts.n_raw.sum())
    mean_w = float(counts.n.sum()) / raw if raw > 0 else 1.0
    return reg * (mean_w if mean_w > 0 else 1.0)


def fit_bt(
    counts: PairCounts,
    *,
    scale: float = DEFAULT_SCALE,
    base: float = DEFAULT_BASE,
    init: float = DEFAULT_INIT,
    anchor: int | None = None,
    anchor_score: float | None = None,
    reg: float = DEFAULT_REG,
    prior_sd: float | None = None,
    theta0: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> BTFit:
    """Fit Bradley-Terry scores to aggregated pair counts.

    Parameters
    ----------
    counts : PairCounts
        Aggregated battles over ``m`` models (see :mod:`ratings.aggregate`).
    scale, base, init : float
        Score scale; defaults 400, 10, 1000.
    anchor : int, optional
        Index of a model held at ``anchor_score`` (default ``init``); without
        one, each component is centred at mean ``init``.
    anchor_score : float, optional
        Score given to the anchor model.
    reg : float
        Ridge strength relative to the mean battle weight (module docstring).
    prior_sd : float, optional
        Standard deviation of a Gaussian prior on the strengths, in rating
        points (module docstring); None fits by plain maximum likelihood.
    theta0 : ndarray of float64, shape (m,), optional
        Warm start in natural-log units.
    tol : float
        Convergence threshold on the largest Newton step, in natural-log units
        (1e-10 is ~2e-8 rating points).
    max_iter : int
        Iteration cap.

    Returns
    -------
    BTFit

    Raises
    ------
    ValueError
        No models, no battles between two or more models, a bad anchor index,
        or non-positive ``scale`` / ``base`` not above 1.
    """
    m = counts.n_models
    if m < 1:
        raise ValueError("cannot rate: there are no models")
    if not (scale > 0 and base > 1):
        raise ValueError("scale must be positive and base greater than 1")
    if anchor is not None and not 0 <= int(anchor) < m:
        raise ValueError(f"anchor index {anchor} out of range 0..{m - 1}")
    anchor = None if anchor is None else int(anchor)
    warnings: list[str] = []
    if m == 1:
        score = init if anchor_score is None or anchor is None else float(anchor_score)
        return BTFit(
            scores=np.array([score]),
            theta=np.zeros(1),
            component=np.zeros(1, dtype=np.int64),
            rated=np.zeros(1, dtype=bool),
            n_components=0,
            iterations=0,
            reg=0.0,
            scale=scale,
            base=base,
            init=init,
            anchor=anchor,
            anchor_score=anchor_score,
            warnings=("only one model: it keeps the initial score and has no interval",),
        )
    if counts.n_battles == 0 or float(counts.n.sum()) <= 0:
        raise ValueError(f"cannot rate: no battles among the {m} models")
    component, rated = comparison_components(counts)
    n_components = int(np.unique(component[rated]).size)
    if n_components > 1:
        warnings.append(
            f"the comparison graph has {n_components} disconnected parts; "
            "scores are comparable only within the same component"
        )
    n_unrated = int((~rated).sum())
    if n_unrated:
        warnings.append(
            f"{n_unrated} model(s) have no battles; they show the initial score, no interval"
        )
    prior_lam = prior_precision(prior_sd, scale=scale, base=base)
    lam = effective_reg(counts, reg) + prior_lam
    start = np.zeros(m) if theta0 is None else np.asarray(theta0, dtype=np.float64)
    theta, iters, ok = newton_solve(
        counts.i,
        counts.j,
        counts.n,
        counts.score_i,
        m,
        lam,
        start,
        component,
        tol=tol,
        max_iter=max_iter,
    )
    if not ok:
        warnings.append(f"Bradley-Terry fit stopped after {iters} iterations before converging")
    # Exact centring per component (the optimum is centred up to rounding).
    onehot_means = np.bincount(component, theta) / np.bincount(component)
    theta = theta - onehot_means[component]
    scores = scores_from_theta(
        theta,
        component,
        scale=scale,
        base=base,
        init=init,
        anchor=anchor,
        anchor_score=anchor_score,
    )
    return BTFit(
        scores=scores,
        theta=theta,
        component=component,
        rated=rated,
        n_components=n_components,
        iterations=iters,
        reg=lam,
        scale=scale,
        base=base,
        init=init,
        anchor=anchor,
        anchor_score=anchor_score,
        warnings=tuple(warnings),
        prior_sd=prior_sd,
        prior_lam=prior_lam,
    )
