"""Closed-form (sandwich) intervals for Bradley-Terry and style-controlled scores.

The sandwich (robust, Huber-White) covariance of the fitted strengths is::

    V = H^-1 J H^-1

with ``H`` the Hessian of the penalised negative log-likelihood at the fit and
``J`` the variance of the score, estimated from the residuals: per pair,
``sum over battles of w**2 (y - p)**2``, which the win / tie / loss counts give
exactly (``w`` the battle weight; for a pair of weighted battles, its mean
weight stands in for each). Ties make ``J`` smaller than the model-based
Fisher information ``p (1 - p)`` per battle, so sandwich intervals are the
honest ones on tie-heavy data; reweighted battles make ``J`` differ from ``H``,
so the plain inverse Hessian would be wrong there.

With a Gaussian prior of precision ``lam`` (``fit.prior_lam``), ``lam`` is also
added to ``J`` (the prior counted as one more observation of each strength),
so ``V`` reduces to the posterior covariance ``H^-1`` when the model is right,
and a model with one vote still gets an interval as wide as the prior and its
vote allow, never zero.

An interval is ``score +- z * se`` where ``se`` is the standard error of the
score as published: a contrast with the component's mean (or with the
anchor), so it matches how the bootstrap percentiles are taken. One Cholesky
factorisation of an ``m x m`` matrix: a few milliseconds at 200 models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.special import expit, ndtri

from ratings.aggregate import PairCounts
from ratings.bootstrap import rank_from_intervals
from ratings.bt import BTFit

__all__ = ["SandwichResult", "contrast_se", "sandwich_bt", "sandwich_covariance"]


@dataclass(frozen=True)
class SandwichResult:
    """Result of :func:`sandwich_bt`.

    Attributes
    ----------
    lower, upper : ndarray of float64, shape (m,)
        Interval bounds; equal to the score for unrated models (and the anchor).
    se : ndarray of float64, shape (m,)
        Standard error of each published score, in rating points.
    rank : ndarray of int64, shape (m,)
        As :func:`ratings.bootstrap.rank_from_intervals`.
    ci : float
        Coverage level.
    """

    lower: np.ndarray
    upper: np.ndarray
    se: np.ndarray
    rank: np.ndarray
    ci: float


def sandwich_covariance(counts: PairCounts, fit: BTFit) -> np.ndarray:
    """Sandwich covariance of the strengths of a Bradley-Terry fit.

    Parameters
    ----------
    counts : PairCounts
        The counts ``fit`` was fitted on.
    fit : BTFit
        The fit.

    Returns
    -------
    ndarray of float64, shape (m, m)
        ``H^-1 J H^-1`` in natural-log units (module docstring).
    """
    m, i, j = counts.n_models, counts.i, counts.j
    p = expit(fit.theta[i] - fit.theta[j])
    n = counts.n
    mean_w = np.divide(n, counts.n_raw, out=np.ones_like(n), where=counts.n_raw > 0)
    # Squared residuals of i's score per battle, summed by outcome.
    resid2 = counts.win_i * (1.0 - p) ** 2 + counts.tie * (0.5 - p) ** 2 + counts.win_j * p**2
    hess = _laplacian(i, j, n * p * (1.0 - p), m)
    hess[np.diag_indices(m)] += fit.reg
    score_var = _laplacian(i, j, mean_w * resid2, m)
    score_var[np.diag_indices(m)] += fit.prior_lam
    chol = linalg.cho_factor(hess, check_finite=False)
    left = linalg.cho_solve(chol, score_var, check_finite=False)
    return linalg.cho_solve(chol, left.T, check_finite=False)


def _bt_se(counts: PairCounts, fit: BTFit) -> np.ndarray:
    """Standard errors of the published scores without forming ``V`` itself.

    With ``X = P H^-1`` (``P`` the centring / anchoring of the scores), the
    variance of score ``k`` is ``x_k^T J x_k``: one factorisation, one solve
    and one product (about 2.3 m³ flops instead of 4.3 m³ for ``P V P^T``).
    """
    m, i, j = counts.n_models, counts.i, counts.j
    p = expit(fit.theta[i] - fit.theta[j])
    n = counts.n
    mean_w = np.divide(n, counts.n_raw, out=np.ones_like(n), where=counts.n_raw > 0)
    resid2 = counts.win_i * (1.0 - p) ** 2 + counts.tie * (0.5 - p) ** 2 + counts.win_j * p**2
    hess = _laplacian(i, j, n * p * (1.0 - p), m)
    hess[np.diag_indices(m)] += fit.reg
    proj = _projection(fit.component, fit.anchor)
    # H is symmetric, so (P H^-1)^T = H^-1 P^T.
    xt = linalg.cho_solve(linalg.cho_factor(hess, check_finite=False), proj.T, check_finite=False)
    score_var = _laplacian(i, j, mean_w * resid2, m)
    score_var[np.diag_indices(m)] += fit.prior_lam
    var = np.einsum("lk,lk->k", xt, score_var @ xt)
    alpha = fit.scale / np.log(fit.base)
    return alpha * np.sqrt(np.maximum(var, 0.0))


def _projection(component, anchor):
    comp = np.asarray(component)
    size = np.bincount(comp).astype(np.float64)
    centre = (comp[:, None] == comp[None, :]) / size[comp][:, None]
    if anchor is not None:
        rows = comp == comp[anchor]
        centre[rows] = 0.0
        centre[rows, anchor] = 1.0
    return np.eye(comp.size) - centre


def _laplacian(i, j, w, m):
    out = np.zeros((m, m))
    out[i, j] = -w
    out[j, i] = -w
    out[np.arange(m), np.arange(m)] = np.bincount(i, w, m) + np.bincount(j, w, m)
    return out


def contrast_se(
    cov: np.ndarray, component: np.ndarray, anchor: int | None, alpha: float
) -> np.ndarray:
    """Standard errors of published scores from the strengths' covariance.

    Parameters
    ----------
    cov : ndarray of float64, shape (m, m)
        Covariance of the strengths (natural-log units).
    component : ndarray of int, shape (m,)
        Component per model; scores are centred per component.
    anchor : int, optional
        Anchor model: its component is expressed relative to it instead.
    alpha : float
        Rating points per natural-log unit (``scale / ln(base)``).

    Returns
    -------
    ndarray of float64, shape (m,)
        Standard error of each score (0 for the anchor).
    """
    proj = _projection(component, anchor)
    var = np.einsum("kl,kl->k", proj @ cov, proj)
    return alpha * np.sqrt(np.maximum(var, 0.0))


def sandwich_bt(counts: PairCounts, fit: BTFit, *, ci: float = 0.95) -> SandwichResult:
    """Sandwich intervals and ranks of Bradley-Terry scores.

    Parameters
    ----------
    counts : PairCounts
        Aggregated battles over ``m`` models (possibly reweighted).
    fit : BTFit
        The point estimate (its prior, if any, enters ``J``; module docstring).
    ci : float
        Coverage; the bounds are ``score -+ z * se`` with ``z`` the
        ``(1 + ci) / 2`` normal quantile.

    Returns
    -------
    SandwichResult
    """
    if not 0 < ci < 1:
        raise ValueError("ci must be between 0 and 1")
    m = counts.n_models
    se = np.zeros(m) if m == 1 or counts.i.size == 0 else _bt_se(counts, fit)
    se = np.where(fit.rated, se, 0.0)
    z = float(ndtri(0.5 + ci / 2.0))
    lower, upper = fit.scores - z * se, fit.scores + z * se
    return SandwichResult(
        lower=lower,
        upper=upper,
        se=se,
        rank=rank_from_intervals(lower, upper, fit.component),
        ci=ci,
    )
