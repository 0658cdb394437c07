"""Style control: Bradley-Terry with answer-style covariates.

Following the arena's published method, the logit of "A beats B" is::

    theta_A - theta_B + sum_f beta_f * x_f

where ``x_f`` is the normalised difference of a style feature between the two
answers, ``(f_A - f_B) / (f_A + f_B)`` (0 when both are 0), standardised to
mean 0 and standard deviation 1 over the battles. The features are answer
length, markdown headers, list items and bold spans. The ``theta`` are the
style-controlled strengths, reported on the same 400 / base-10 / 1000 scale as
the raw ratings; ``beta`` says how much a one-standard-deviation style edge is
worth. Ties count half (a soft label of 0.5).

The fit works on per-battle rows (the features differ per battle): damped
Newton, one iteration costing O(battles * features² + (models + features)³),
with the same tiny ridge as :mod:`ratings.bt` (keeps one-sided models finite)
and, with ``prior_sd``, the same weak Gaussian prior on the strengths (not on
the style coefficients, which every battle informs).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.special import expit

from ratings.aggregate import aggregate_battles
from ratings.bt import DEFAULT_REG, comparison_components, prior_precision, scores_from_theta

__all__ = [
    "FEATURE_NAMES",
    "StyleFit",
    "bootstrap_style",
    "extract_features",
    "fit_style",
    "normalise_features",
    "style_hessian_and_score_variance",
]

FEATURE_NAMES = ("length", "headers", "list_items", "bold")

_CODE_BLOCK = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_TOKEN = re.compile(r"\w+|[^\w\s]")
_HEADER = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+?\*\*|__[^_\n]+?__")


def extract_features(text: str | None) -> np.ndarray:
    """Style features of one answer, by regular expressions.

    Parameters
    ----------
    text : str or None
        Markdown answer (None counts as empty).

    Returns
    -------
    ndarray of float64, shape (4,)
        ``length`` (word and punctuation tokens, a tokenizer-free stand-in for
        model tokens), ``headers`` (ATX ``#`` headers), ``list_items``
        (ordered and unordered) and ``bold`` (``**x**`` / ``__x__`` spans).
        Markdown inside fenced code blocks is not counted, its tokens are.
    """
    text = text or ""
    prose = _CODE_BLOCK.sub("", text)
    return np.array(
        [
            len(_TOKEN.findall(text)),
            len(_HEADER.findall(prose)),
            len(_LIST_ITEM.findall(prose)),
            len(_BOLD.findall(prose)),
        ],
        dtype=np.float64,
    )


def normalise_features(
    features_a: np.ndarray, features_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalised, standardised feature differences.

    Parameters
    ----------
    features_a, features_b : array_like of float, shape (n, k)
        Raw non-negative features of answer A and answer B.

    Returns
    -------
    x : ndarray of float64, shape (n, k)
        ``(f_A - f_B) / (f_A + f_B)`` standardised per column (a constant
        column stays 0).
    mean, std : ndarray of float64, shape (k,)
        The standardisation used (std 1 for constant columns).
    """
    fa = np.asarray(features_a, dtype=np.float64)
    fb = np.asarray(features_b, dtype=np.float64)
    if fa.ndim != 2 or fa.shape != fb.shape:
        raise ValueError("features_a and features_b must be 2-d arrays of the same shape")
    total = fa + fb
    diff = np.divide(fa - fb, total, out=np.zeros_like(total), where=total != 0)
    mean = diff.mean(axis=0) if diff.shape[0] else np.zeros(diff.shape[1])
    std = diff.std(axis=0) if diff.shape[0] else np.ones(diff.shape[1])
    std = np.where(std > 1e-12, std, 1.0)
    return (diff - mean) / std, mean, std


@dataclass(frozen=True)
class StyleFit:
    """Result of :func:`fit_style`.

    Attributes
    ----------
    scores : ndarray of float64, shape (m,)
        Style-controlled ratings (anchored / centred like :func:`ratings.bt.fit_bt`).
    theta : ndarray of float64, shape (m,)
        Strengths in natural-log units, centred per component.
    coef : ndarray of float64, shape (k,)
        Logit effect of a one-standard-deviation normalised style difference.
    coef_points : ndarray of float64, shape (k,)
        The same in rating points (``coef * scale / ln(base)``).
    feature_names : tuple of str
    component : ndarray of int64, shape (m,)
    rated : ndarray of bool, shape (m,)
    mean, std : ndarray of float64, shape (k,)
        Standardisation of the normalised differences.
    warnings : tuple of str
    """

    scores: np.ndarray
    theta: np.ndarray
    coef: np.ndarray
    coef_points: np.ndarray
    feature_names: tuple[str, ...]
    component: np.ndarray
    rated: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    iterations: int
    reg: float
    scale: float
    base: float
    init: float
    anchor: int | None
    anchor_score: float | None
    warnings: tuple[str, ...]
    prior_sd: float | None = None
    prior_lam: float = 0.0


def _newton_style(a, b, x, y, w, m, lam, comp, start, tol=1e-10, max_iter=100, offset=None):
    """Damped Newton on the penalised logistic loss; returns (params, iterations).

    ``lam`` is a scalar or one penalty per parameter (shape (m + k,));
    ``offset`` (shape (m + k,)) adds ``-offset @ params`` (a moved prior centre).
    """
    n, k = x.shape
    comp_size = np.bincount(comp, minlength=comp.max() + 1).astype(np.float64)
    params = start.copy()
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), (m + k,))
    off = np.zeros(m + k) if offset is None else offset

    def loss(par):
        z = par[a] - par[b] + x @ par[m:]
        return float(
            np.sum(w * (np.logaddexp(0.0, z) - y * z)) + 0.5 * par @ (lam * par) - off @ par
        )

    f = loss(params)
    diag = np.arange(m)
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        th, beta = params[:m], params[m:]
        z = th[a] - th[b] + x @ beta
        p = expit(z)
        r = w * (p - y)
        d = w * p * (1.0 - p)
        g_th = np.bincount(a, r, m) - np.bincount(b, r, m) + lam[:m] * th - off[:m]
        g_th -= (np.bincount(comp, g_th) / comp_size)[comp]  # free shift, see bt
        g_beta = x.T @ r + lam[m:] * beta - off[m:]
        pair = np.bincount(a * m + b, d, m * m).reshape(m, m)
        pair = pair + pair.T
        h = np.zeros((m + k, m + k))
        h[:m, :m] = -pair
        h[diag, diag] = pair.sum(axis=1) + lam[:m]
        dx = d[:, None] * x
        cross = np.stack(
            [np.bincount(a, dx[:, f], m) - np.bincount(b, dx[:, f], m) for f in range(k)], axis=1
        )
        h[:m, m:] = cross
        h[m:, :m] = cross.T
        h[m:, m:] = x.T @ dx + np.diag(lam[m:])
        grad = np.concatenate([g_th, g_beta])
        step = linalg.cho_solve(linalg.cho_factor(h, check_finite=False), grad)
        slope = float(grad @ step)
        t = 1.0
        while True:
            cand = params - t * step
            f_new = loss(cand)
            if f_new <= f - 1e-4 * t * slope + 1e-12 * abs(f) or t < 1e-10:
                break
            t *= 0.5
        params, f = cand, f_new
        if np.max(np.abs(t * step)) < tol:
            break
    return params, iterations


def fit_style(
    model_a_idx: np.ndarray,
    model_b_idx: np.ndarray,
    outcome: np.ndarray,
    features_a: np.ndarray,
    features_b: np.ndarray,
    *,
    n_models: int | None = None,
    weights: np.ndarray | None = None,
    feature_names: tuple[str, ...] = FEATURE_NAMES,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
    anchor: int | None = None,
    anchor_score: float | None = None,
    reg: float = DEFAULT_REG,
    prior_sd: float | None = None,
    _start: np.ndarray | None = None,
) -> StyleFit:
    """Fit style-controlled Bradley-Terry scores.

    Parameters
    ----------
    model_a_idx, model_b_idx : array_like of int, shape (n,)
        Model indices per battle.
    outcome : array_like of float, shape (n,)
        1 A wins, 0 B wins, 0.5 tie / both bad.
    features_a, features_b : array_like of float, shape (n, k)
        Raw style features of each answer (e.g. rows of :func:`extract_features`).
    n_models : int, optional
        Number of models ``m`` (default ``max index + 1``).
    weights : array_like of float, shape (n,), optional
        Per-battle weights.
    feature_names : tuple of str
        Names of the ``k`` feature columns.
    scale, base, init, anchor, anchor_score, reg, prior_sd
        As in :func:`ratings.bt.fit_bt` (the prior applies to the strengths only).

    Returns
    -------
    StyleFit

    Raises
    ------
    ValueError
        No battles, bad shapes or values.
    """
    a = np.asarray(model_a_idx, dtype=np.int64)
    b = np.asarray(model_b_idx, dtype=np.int64)
    y = np.asarray(outcome, dtype=np.float64)
    counts = aggregate_battles(a, b, y, n_models=n_models, weights=weights)
    m = counts.n_models
    if counts.n_battles == 0:
        raise ValueError(f"cannot rate: no battles among the {m} models")
    x, mean, std = normalise_features(features_a, features_b)
    if x.shape[0] != a.size:
        raise ValueError("features must have one row per battle")
    if len(feature_names) != x.shape[1]:
        raise ValueError("feature_names must name every feature column")
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    comp, rated = comparison_components(counts)
    warnings = []
    n_comp = int(np.unique(comp[rated]).size)
    if n_comp > 1:
        warnings.append(
            f"the comparison graph has {n_comp} disconnected parts; "
            "scores are comparable only within the same component"
        )
    k = x.shape[1]
    prior_lam = prior_precision(prior_sd, scale=scale, base=base)
    lam = np.full(m + k, reg * float(w.mean()))
    lam[:m] += prior_lam
    start = np.zeros(m + k) if _start is None else _start
    params, iters = _newton_style(a, b, x, y, w, m, lam, comp, start)
    theta = params[:m] - (np.bincount(comp, params[:m]) / np.bincount(comp))[comp]
    coef = params[m:]
    alpha = scale / math.log(base)
    scores = scores_from_theta(
        theta, comp, scale=scale, base=base, init=init, anchor=anchor, anchor_score=anchor_score
    )
    return StyleFit(
        scores=scores,
        theta=theta,
        coef=coef,
        coef_points=coef * alpha,
        feature_names=tuple(feature_names),
        component=comp,
        rated=rated,
        mean=mean,
        std=std,
        iterations=iters,
        reg=float(lam[0]),
        scale=scale,
        base=base,
        init=init,
        anchor=anchor,
        anchor_score=anchor_score,
        warnings=tuple(warnings),
        prior_sd=prior_sd,
        prior_lam=prior_lam,
    )


def bootstrap_style(
    model_a_idx: np.ndarray,
    model_b_idx: np.ndarray,
    outcome: np.ndarray,
    features_a: np.ndarray,
    features_b: np.ndarray,
    fit: StyleFit,
    *,
    rounds: int = 100,
    ci: float = 0.95,
    seed: int | None = 0,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of style-controlled scores by resampling battles.

    Each round draws multinomial battle multiplicities (= resampling battles
    with replacement) and refits, warm-started at ``fit``. With a prior, each
    round also redraws the prior's centre (see :mod:`ratings.bootstrap`).

    Parameters
    ----------
    model_a_idx, model_b_idx, outcome, features_a, features_b, weights
        The battles given to :func:`fit_style`, shapes (n,) and (n, k).
    fit : StyleFit
        The point estimate.
    rounds : int
        Bootstrap rounds (each is a full refit over all battles).
    ci : float
        Interval coverage.
    seed : int or None
        Seed of the ``numpy.random.Generator``.

    Returns
    -------
    lower, upper : ndarray of float64, shape (m,)
    """
    a = np.asarray(model_a_idx, dtype=np.int64)
    b = np.asarray(model_b_idx, dtype=np.int64)
    y = np.asarray(outcome, dtype=np.float64)
    m = fit.scores.size
    if rounds < 1 or a.size == 0:
        return fit.scores.copy(), fit.scores.copy()
    x, _, _ = normalise_features(features_a, features_b)
    w0 = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    rng = np.random.default_rng(seed)
    start = np.concatenate([fit.theta, fit.coef])
    k = x.shape[1]
    lam = _penalties(fit, m, k)
    samples = np.empty((rounds, m))
    for r in range(rounds):
        w = w0 * rng.multinomial(a.size, np.full(a.size, 1.0 / a.size))
        offset = None
        if fit.prior_lam > 0:
            offset = np.zeros(m + k)
            offset[:m] = rng.normal(0.0, math.sqrt(fit.prior_lam), m)
        params, _ = _newton_style(a, b, x, y, w, m, lam, fit.component, start, offset=offset)
        samples[r] = scores_from_theta(
            params[:m],
            fit.component,
            scale=fit.scale,
            base=fit.base,
            init=fit.init,
            anchor=fit.anchor,
            anchor_score=fit.anchor_score,
        )
    q = 100.0 * (1.0 - ci) / 2.0
    lower, upper = np.percentile(samples, [q, 100.0 - q], axis=0)
    lower = np.where(fit.rated, lower, fit.scores)
    upper = np.where(fit.rated, upper, fit.scores)
    return lower, upper


def _penalties(fit: StyleFit, m: int, k: int) -> np.ndarray:
    """Per-parameter penalty of ``fit``: ridge everywhere, plus the prior on strengths."""
    lam = np.full(m + k, fit.reg - fit.prior_lam)
    lam[:m] += fit.prior_lam
    return lam


def style_hessian_and_score_variance(
    model_a_idx: np.ndarray,
    model_b_idx: np.ndarray,
    outcome: np.ndarray,
    features_a: np.ndarray,
    features_b: np.ndarray,
    fit: StyleFit,
    *,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Penalised Hessian ``H`` and score variance ``J`` of a style fit.

    Parameters
    ----------
    model_a_idx, model_b_idx, outcome, features_a, features_b, weights
        The battles given to :func:`fit_style`, shapes (n,) and (n, k).
    fit : StyleFit
        The fit at which both are evaluated.

    Returns
    -------
    hess, score_var : ndarray of float64, shape (m + k, m + k)
        ``H`` includes the ridge and the prior; ``J`` is the sum over battles
        of ``w**2 (y - p)**2 g g^T`` (``g`` the battle's design row) plus the
        prior's precision on the strengths, so ``H^-1 J H^-1`` is the sandwich
        (robust) covariance of strengths and coefficients.
    """
    a = np.asarray(model_a_idx, dtype=np.int64)
    b = np.asarray(model_b_idx, dtype=np.int64)
    y = np.asarray(outcome, dtype=np.float64)
    x, _, _ = normalise_features(features_a, features_b)
    m, k = fit.scores.size, x.shape[1]
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=np.float64)
    p = expit(fit.theta[a] - fit.theta[b] + x @ fit.coef)
    hess = _gram(a, b, x, w * p * (1.0 - p), m)
    hess[np.diag_indices(m + k)] += _penalties(fit, m, k)
    score_var = _gram(a, b, x, (w * (y - p)) ** 2, m)
    score_var[np.arange(m), np.arange(m)] += fit.prior_lam
    return hess, score_var


def _gram(a, b, x, d, m):
    """``sum_n d_n g_n g_n^T`` for design rows ``g_n = (e_a - e_b, x_n)``, shape (m + k, m + k)."""
    k = x.shape[1]
    pair = np.bincount(a * m + b, d, m * m).reshape(m, m)
    pair = pair + pair.T
    out = np.zeros((m + k, m + k))
    out[:m, :m] = -pair
    out[np.arange(m), np.arange(m)] = pair.sum(axis=1)
    dx = d[:, None] * x
    cross = np.stack(
        [np.bincount(a, dx[:, f], m) - np.bincount(b, dx[:, f], m) for f in range(k)], axis=1
    ).reshape(m, k)
    out[:m, m:] = cross
    out[m:, :m] = cross.T
    out[m:, m:] = x.T @ dx
    return out
