"""Active ranking: how much one more vote on a pair would settle the table's order.

The arena's sampler asks, for every pair of models, what a vote on it is worth.
A vote is worth the most where the *order* of the table is in doubt and the
vote would remove much of that doubt; this module puts a number on that.

Model
-----
From a Bradley-Terry fit we have strengths ``theta`` (natural-log units) and
their posterior covariance ``cov`` (the inverse Hessian of the penalised
likelihood, a Laplace approximation). For two models ``i`` ranked above ``j``
the estimated gap is ``d = theta_i - theta_j`` with standard error
``s = sqrt(c' cov c)``, ``c = e_i - e_j``, and the chance that they are shown in
the wrong order is about ``Phi(-|d| / s)``. We call ``q = 2 Phi(-|d| / s)`` the
order doubt: 1 for a coin flip, near 0 for a settled gap.

The *targets* are the pairs the table's order is made of: each model and the
next ``neighbours`` models below it in the current order (a model far down
the table is never confused with the leader, and looking further only costs
time). Each target carries an importance ``g`` that falls with the rank of
its upper model, ``g = 1 / (1 + rank / top_scale)``: the top of the table is
what people read, but every position counts.

One vote on a pair ``(a, b)`` with win probability ``p`` adds Fisher
information ``w = p (1 - p)`` along ``x = e_a - e_b``; by Sherman-Morrison it
removes the fraction::

    rho = w (c' cov x)**2 / ((1 + w x' cov x) * s**2)

of target ``c``'s variance. Votes on the pair itself help it most, votes on a
pair that shares a model or a path in the comparison graph help it less, and
a pair whose gap is settled helps nobody. The utility of ``(a, b)`` is::

    U_ab = sum over targets t of g_t * q_t * rho_ab,t

the expected share of the (weighted) order doubt that one more vote on it
removes. It is the classical greedy design for ranking (sample where the
posterior probability of a wrong order times the information gained is
largest), computed for every pair at once with one ``m x 3m x m`` matrix
product: about 20 ms at 200 models on one core (with the covariance's
factorisation), once per refit, never per pick.

Planning
--------
Sampling pairs in proportion to ``U`` spreads votes thinly (the one pair that
decides the top of a 12-model table drew about 7% of them). The sampler
instead draws from :func:`design_allocation`: the next votes planned one at a
time, each on the pair of highest ``U`` given the votes planned before it
(the covariance updated by Sherman-Morrison with each vote's expected
information), so returns diminish and the plan spreads only where doubt
stays. On ``bench/sampling.py`` this needed a third of uniform pairs' votes
on seed 0 where proportional weights needed a half.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.special import expit, ndtr

__all__ = ["design_allocation", "order_utility", "posterior_covariance"]


def posterior_covariance(
    i: np.ndarray, j: np.ndarray, n: np.ndarray, theta: np.ndarray, lam: float
) -> np.ndarray:
    """Inverse Hessian of a ridge-penalised Bradley-Terry fit at ``theta``.

    Parameters
    ----------
    i, j : ndarray of int, shape (pairs,)
        The models of each pair.
    n : ndarray of float64, shape (pairs,)
        Battles per pair (ties included).
    theta : ndarray of float64, shape (m,)
        Fitted strengths (natural-log units).
    lam : float
        Ridge (prior precision) of the fit; must be positive.

    Returns
    -------
    ndarray of float64, shape (m, m)
        ``(L + lam I)^-1``, ``L`` the Laplacian weighted by ``n p (1 - p)``.
    """
    m = theta.size
    p = expit(theta[i] - theta[j])
    w = n * p * (1.0 - p)
    hess = np.zeros((m, m))
    hess[i, j] -= w
    hess[j, i] -= w
    hess[np.arange(m), np.arange(m)] += np.bincount(i, w, m) + np.bincount(j, w, m) + lam
    return linalg.cho_solve(linalg.cho_factor(hess, check_finite=False), np.eye(m))


def _targets(theta: np.ndarray, neighbours: int, top_scale: float):
    """The order's target pairs (upper, lower model) and their importance."""
    m = theta.size
    order = np.argsort(-theta, kind="stable")
    upper, lower, importance = [], [], []
    for r in range(m - 1):
        for k in range(r + 1, min(m, r + 1 + neighbours)):
            upper.append(order[r])
            lower.append(order[k])
            importance.append(1.0 / (1.0 + r / top_scale))
    return np.array(upper), np.array(lower), np.array(importance)


def order_utility(
    theta: np.ndarray,
    cov: np.ndarray,
    *,
    neighbours: int = 3,
    top_scale: float = 0.5,
) -> np.ndarray:
    """Utility of one more vote on each pair for the table's order (module docstring).

    Parameters
    ----------
    theta : ndarray of float64, shape (m,)
        Strengths (natural-log units).
    cov : ndarray of float64, shape (m, m)
        Their posterior covariance.
    neighbours : int
        Each model's order with this many models below it is a target.
    top_scale : float
        Importance of a target whose upper model has rank ``r`` (0 = top) is
        ``1 / (1 + r / top_scale)``.

    Returns
    -------
    ndarray of float64, shape (m, m)
        Symmetric, zero diagonal, non-negative.
    """
    theta = np.asarray(theta, dtype=np.float64)
    m = theta.size
    if m < 2:
        return np.zeros((m, m))
    ti, tj, g = _targets(theta, neighbours, top_scale)
    # Cov times each target contrast: column t is cov @ (e_i - e_j).
    v = cov[:, ti] - cov[:, tj]  # (m, T)
    s2 = np.maximum(v[ti, np.arange(ti.size)] - v[tj, np.arange(ti.size)], 1e-300)
    doubt = 2.0 * ndtr(-np.abs(theta[ti] - theta[tj]) / np.sqrt(s2))
    gq = g * doubt / s2  # (T,)
    # sum_t gq_t (v[a, t] - v[b, t])**2 for every pair at once, as
    # A_a + A_b - 2 B_ab with B = v diag(gq) v': one matrix product.
    weighted = v * gq
    quad = np.einsum("at,at->a", weighted, v)
    cross = weighted @ v.T
    spread = np.maximum(quad[:, None] + quad[None, :] - 2.0 * cross, 0.0)
    p = expit(theta[:, None] - theta[None, :])
    w = p * (1.0 - p)
    diag = np.diag(cov)
    vx = diag[:, None] + diag[None, :] - 2.0 * cov  # x' cov x per pair
    out = w / (1.0 + w * vx) * spread
    np.fill_diagonal(out, 0.0)
    out = (out + out.T) / 2.0  # symmetric up to rounding; make it exact
    return out


def design_allocation(
    theta: np.ndarray,
    cov: np.ndarray,
    *,
    votes: int = 60,
    neighbours: int = 3,
    top_scale: float = 0.5,
) -> np.ndarray:
    """Where the next ``votes`` votes should go: the greedy sequential design.

    :func:`order_utility` values one vote. Sampling pairs in proportion to it
    spreads the votes thinly: the one pair that decides the top of the table
    gets a few per cent of them, while every pair with some doubt left keeps
    drawing votes. This plans ``votes`` votes one at a time instead: each goes
    to the pair of highest utility, then the covariance is updated as if that
    vote had been seen (Sherman-Morrison, with the vote's expected Fisher
    information ``p (1 - p)``; outcomes are not needed for the variance), so a
    pair's value falls as votes are planned on it and the next vote may go
    elsewhere. The result, each pair's share of the planned votes, is what
    the sampler draws from; it is recomputed at every refit, when real
    outcomes have moved the fit.

    Only the ``4 * votes`` pairs of highest one-vote utility are candidates (a
    pair the first step ranks below them would not be picked in ``votes``
    steps unless the plan changed the order that much), and each step updates
    every contrast it needs by a rank-one term: about 50 ms at 200 models, 2 ms
    at 12.

    Returns
    -------
    ndarray of float64, shape (m, m)
        Symmetric shares summing to 1 over the upper triangle (0 where no
        vote was planned); all zeros when ``m < 2``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    m = theta.size
    out = np.zeros((m, m))
    if m < 2 or votes < 1:
        return out
    first = order_utility(theta, cov, neighbours=neighbours, top_scale=top_scale)
    iu_a, iu_b = np.triu_indices(m, 1)
    k = min(iu_a.size, 4 * votes)
    best = np.argpartition(-first[iu_a, iu_b], k - 1)[:k]
    ca, cb = iu_a[best], iu_b[best]
    ti, tj, g = _targets(theta, neighbours, top_scale)
    t = np.arange(ti.size)
    gap = np.abs(theta[ti] - theta[tj])
    p = expit(theta[ca] - theta[cb])
    w = p * (1.0 - p)
    cov = np.array(cov, dtype=np.float64, copy=True)
    v = cov[:, ti] - cov[:, tj]  # (m, T): cov times each target contrast
    s2 = v[ti, t] - v[tj, t]  # each target's variance
    d = v[ca] - v[cb]  # (k, T): each candidate's contrast times cov times each target's
    vx = cov[ca, ca] + cov[cb, cb] - 2.0 * cov[ca, cb]  # each candidate's variance
    counts = np.zeros(k)
    for _ in range(votes):
        safe = np.maximum(s2, 1e-300)
        gq = g * 2.0 * ndtr(-gap / np.sqrt(safe)) / safe
        u = w / (1.0 + w * vx) * ((d * d) @ gq)
        c = int(np.argmax(u))
        counts[c] += 1
        # The planned vote's information, w x_c x_c', lowers the covariance by
        # coef x x' with x = cov x_c; every quantity above is a contrast of
        # it, so each gets the same rank-one correction.
        x = cov[:, ca[c]] - cov[:, cb[c]]
        coef = w[c] / (1.0 + w[c] * (x[ca[c]] - x[cb[c]]))
        xt, xc = x[ti] - x[tj], x[ca] - x[cb]
        cov -= coef * np.outer(x, x)
        d -= coef * np.outer(xc, xt)
        s2 -= coef * xt * xt
        vx -= coef * xc * xc
    out[ca, cb] = counts / votes
    out[cb, ca] = out[ca, cb]
    return out
