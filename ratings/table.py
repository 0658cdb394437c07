"""One leaderboard table for the service, the REST API and the CLI.

Everything that shows ratings calls :func:`leaderboard_table`, so the numbers
agree wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import linalg
from scipy.special import ndtri

from ratings.aggregate import (
    DEFAULT_MIN_PAIR_COUNT,
    PairCounts,
    aggregate_battles,
    inverse_pair_weights,
    reweight_pairs,
)
from ratings.bootstrap import bootstrap_bt, rank_from_intervals
from ratings.bt import DEFAULT_REG, comparison_components, fit_bt
from ratings.elo import elo_ratings
from ratings.matrices import both_bad_rate
from ratings.sandwich import contrast_se, sandwich_bt
from ratings.style import (
    FEATURE_NAMES,
    bootstrap_style,
    fit_style,
    style_hessian_and_score_variance,
)

__all__ = ["DEFAULT_PRIOR_SD", "INTERVAL_METHODS", "elo_table", "leaderboard_table"]

# Rating points; see ratings.bt ("Small samples") and the methodology page.
DEFAULT_PRIOR_SD = 400.0
INTERVAL_METHODS = ("bootstrap", "sandwich")


def _style_sandwich(style, sfit, weights, ci):
    hess, score_var = style_hessian_and_score_variance(
        style["model_a_idx"],
        style["model_b_idx"],
        style["outcome"],
        style["features_a"],
        style["features_b"],
        sfit,
        weights=weights,
    )
    chol = linalg.cho_factor(hess, check_finite=False)
    left = linalg.cho_solve(chol, score_var, check_finite=False)
    cov = linalg.cho_solve(chol, left.T, check_finite=False)
    m = sfit.scores.size
    alpha = sfit.scale / np.log(sfit.base)
    se = contrast_se(cov[:m, :m], sfit.component, sfit.anchor, alpha)
    se = np.where(sfit.rated, se, 0.0)
    z = float(ndtri(0.5 + ci / 2.0))
    return sfit.scores - z * se, sfit.scores + z * se


def _battle_pair_weights(a, b, min_pair_count):
    """Inverse pair-frequency weight of every battle, mean 1."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, pair, n = np.unique(
        lo * (max(a.max(), b.max()) + 1) + hi, return_inverse=True, return_counts=True
    )
    w = inverse_pair_weights(n, min_pair_count=min_pair_count)[pair]
    return w / w.mean()


def _resolve_anchor(names: Sequence[str], anchor, rated, warnings) -> int | None:
    if anchor is None:
        return None
    if isinstance(anchor, int | np.integer):
        idx = int(anchor)
        if not 0 <= idx < len(names):
            raise ValueError(f"anchor index {idx} out of range")
    else:
        matches = [k for k, name in enumerate(names) if name == anchor]
        if not matches:
            warnings.append(f"anchor model {anchor!r} is not in this data; scores are centred")
            return None
        idx = matches[0]
    if not rated[idx]:
        warnings.append(f"anchor model {names[idx]!r} has no battles; scores are centred")
        return None
    return idx


def leaderboard_table(
    names: Sequence[str],
    counts: PairCounts,
    *,
    rounds: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
    anchor: str | int | None = None,
    anchor_score: float | None = None,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
    reg: float = DEFAULT_REG,
    prior_sd: float | None = DEFAULT_PRIOR_SD,
    interval: str = "bootstrap",
    reweight: bool = False,
    min_pair_count: int = DEFAULT_MIN_PAIR_COUNT,
    style: Mapping[str, Any] | None = None,
    style_rounds: int | None = None,
    n_jobs: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Bradley-Terry leaderboard rows with bootstrap intervals.

    Parameters
    ----------
    names : sequence of str, length m
        Model names; ``names[k]`` is model index ``k`` of ``counts``.
    counts : PairCounts
        Aggregated battles (:func:`ratings.aggregate.aggregate_battles` or
        :func:`ratings.aggregate.counts_from_pairs`).
    rounds : int
        Bootstrap rounds for the intervals (0: no intervals).
    ci : float
        Interval coverage (0.95 gives 2.5 / 97.5 percentiles).
    seed : int
        Bootstrap seed (same data + seed = same table).
    anchor : str or int, optional
        Model name (or index) held at ``anchor_score`` (default ``init``) so
        scores are comparable across snapshots. Without it, or when the anchor
        has no battles here, each component is centred at mean ``init``.
    anchor_score : float, optional
        Score of the anchor model.
    scale, base, init, reg : float
        Rating scale (400 / 10 / 1000) and ridge (see :mod:`ratings.bt`).
    prior_sd : float or None
        Standard deviation, in rating points, of the Gaussian prior on the
        strengths (default 400; None: plain maximum likelihood).
    interval : {"bootstrap", "sandwich"}
        How intervals are computed: percentile bootstrap over the counts, or
        the closed-form sandwich (robust) estimator (:mod:`ratings.sandwich`).
    reweight : bool
        Weight battles inversely to their pair's frequency
        (:func:`ratings.aggregate.reweight_pairs`), as LMArena does.
    min_pair_count : int
        Floor of the pair count in those weights (50).
    style : mapping, optional
        Per-battle data for style control: ``model_a_idx``, ``model_b_idx``,
        ``outcome`` (shape (n,)), ``features_a``, ``features_b`` (shape (n, k),
        raw features as from :func:`ratings.style.extract_features`), optional
        ``weights`` (n,) and ``feature_names``. When given, ``score`` / ``lower``
        / ``upper`` are style-controlled and ``raw_score`` holds plain BT.
    style_rounds : int, optional
        Bootstrap rounds for style control (each refits every battle;
        default ``min(rounds, 100)``).
    n_jobs : int, optional
        Bootstrap threads.

    Returns
    -------
    rows : list of dict
        One per model, best first: ``rank`` (int, or None without battles),
        ``model``, ``score``, ``lower``, ``upper`` (None without interval),
        ``votes`` (battles fought), ``win_rate`` (ties count half; None without
        battles), ``both_bad_rate``, ``component`` (scores compare only
        within one component), plus ``raw_score`` with style control.
    meta : dict
        ``method``, ``params``, ``n_battles``, ``n_models``,
        ``n_components``, ``warnings`` and, with style control,
        ``style_coefficients`` (feature -> rating points per standard deviation).

    Raises
    ------
    ValueError
        No models, no battles among several models, names not matching counts.
    """
    m = counts.n_models
    if len(names) != m:
        raise ValueError(f"{len(names)} names for {m} models")
    if interval not in INTERVAL_METHODS:
        raise ValueError(f"interval must be one of {', '.join(INTERVAL_METHODS)}")
    warnings: list[str] = []
    if reweight:
        counts = reweight_pairs(counts, min_pair_count=min_pair_count)
    fit0 = fit_bt(counts, scale=scale, base=base, init=init, reg=reg, prior_sd=prior_sd)
    anchor_idx = _resolve_anchor(names, anchor, fit0.rated, warnings)
    fit = fit_bt(
        counts,
        scale=scale,
        base=base,
        init=init,
        reg=reg,
        prior_sd=prior_sd,
        anchor=anchor_idx,
        anchor_score=anchor_score,
        theta0=fit0.theta,
    )
    warnings.extend(fit.warnings)
    params: dict[str, Any] = {
        "scale": scale,
        "base": base,
        "init": init,
        "reg": reg,
        "anchor": None if anchor_idx is None else names[anchor_idx],
        "anchor_score": None
        if anchor_idx is None
        else (init if anchor_score is None else anchor_score),
        "rounds": int(rounds),
        "ci": ci,
        "seed": seed,
        "prior_sd": prior_sd,
        "interval": interval,
        "reweight": bool(reweight),
    }
    if reweight:
        params["min_pair_count"] = int(min_pair_count)
    meta: dict[str, Any] = {
        "method": "bradley-terry",
        "params": params,
        "n_battles": counts.n_battles,
        "n_models": m,
        "n_components": fit.n_components,
        "prior": None
        if prior_sd is None
        else (
            f"Gaussian prior on strengths, mean {init:g}, standard deviation "
            f"{prior_sd:g} rating points"
        ),
    }
    scores = fit.scores
    raw_scores = None
    rated = fit.rated
    has_interval = rounds > 0 and m > 1
    if style is None:
        if has_interval and interval == "sandwich":
            sw = sandwich_bt(counts, fit, ci=ci)
            lower, upper = sw.lower, sw.upper
        elif has_interval:
            boot = bootstrap_bt(counts, fit, rounds=rounds, ci=ci, seed=seed, n_jobs=n_jobs)
            lower, upper = boot.lower, boot.upper
        else:
            lower, upper = scores, scores
    else:
        names_f = tuple(style.get("feature_names", FEATURE_NAMES))
        s_weights = style.get("weights")
        if reweight:
            pw = _battle_pair_weights(
                np.asarray(style["model_a_idx"]), np.asarray(style["model_b_idx"]), min_pair_count
            )
            s_weights = pw if s_weights is None else np.asarray(s_weights) * pw
        sfit = fit_style(
            style["model_a_idx"],
            style["model_b_idx"],
            style["outcome"],
            style["features_a"],
            style["features_b"],
            n_models=m,
            weights=s_weights,
            feature_names=names_f,
            scale=scale,
            base=base,
            init=init,
            anchor=anchor_idx,
            anchor_score=anchor_score,
            reg=reg,
            prior_sd=prior_sd,
        )
        raw_scores = scores
        scores = sfit.scores
        s_rounds = min(rounds, 100) if style_rounds is None else int(style_rounds)
        params["style_rounds"] = s_rounds
        if has_interval and interval == "sandwich":
            lower, upper = _style_sandwich(style, sfit, s_weights, ci)
        elif has_interval and s_rounds > 0:
            lower, upper = bootstrap_style(
                style["model_a_idx"],
                style["model_b_idx"],
                style["outcome"],
                style["features_a"],
                style["features_b"],
                sfit,
                rounds=s_rounds,
                ci=ci,
                seed=seed,
                weights=s_weights,
            )
        else:
            lower, upper = scores, scores
        has_interval = has_interval and (s_rounds > 0 or interval == "sandwich")
        meta["method"] = "bradley-terry+style"
        meta["style_coefficients"] = {
            name: float(c) for name, c in zip(sfit.feature_names, sfit.coef_points, strict=True)
        }
    rank = rank_from_intervals(lower, upper, fit.component)
    votes = counts.model_battles()
    weighted = counts.model_weighted_battles()
    wins = counts.model_scores()
    bb_rate = both_bad_rate(counts)
    rows = []
    for k in range(m):
        ok = bool(rated[k])
        row = {
            "rank": int(rank[k]) if ok else None,
            "model": str(names[k]),
            "score": float(scores[k]),
            "lower": float(lower[k]) if ok and has_interval else None,
            "upper": float(upper[k]) if ok and has_interval else None,
            "votes": int(votes[k]),
            "win_rate": float(wins[k] / weighted[k]) if weighted[k] > 0 else None,
            "both_bad_rate": float(bb_rate[k]),
            "component": int(fit.component[k]),
        }
        if raw_scores is not None:
            row["raw_score"] = float(raw_scores[k])
        rows.append(row)
    rows.sort(key=lambda r: (r["rank"] is None, r["component"], r["rank"] or 0, -r["score"]))
    meta["warnings"] = list(dict.fromkeys(warnings))
    return rows, meta


def elo_table(
    names: Sequence[str],
    model_a_idx: np.ndarray,
    model_b_idx: np.ndarray,
    outcome: np.ndarray,
    *,
    both_bad: np.ndarray | None = None,
    k: float = 4.0,
    scale: float = 400.0,
    base: float = 10.0,
    init: float = 1000.0,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Online Elo leaderboard rows, in the same shape as :func:`leaderboard_table`.

    Parameters
    ----------
    names : sequence of str, length m
        Model names; ``names[k]`` is model index ``k``.
    model_a_idx, model_b_idx : array_like of int, shape (n,)
        Model indices per battle, in the order the battles happened.
    outcome : array_like of float, shape (n,)
        1 A wins, 0 B wins, 0.5 tie or both bad.
    both_bad : array_like of bool, shape (n,), optional
        Both-bad votes (for ``both_bad_rate``).
    k, scale, base, init : float
        Elo K-factor (4), scale (400), base (10), initial rating (1000).

    Returns
    -------
    rows, meta
        As :func:`leaderboard_table`; ``lower`` / ``upper`` are None (online Elo
        has no interval here) and ``rank`` is 1 + the number of models of the
        same component with a strictly higher rating.

    Raises
    ------
    ValueError
        No battles, or names not matching the indices.
    """
    m = len(names)
    a = np.asarray(model_a_idx, dtype=np.int64)
    b = np.asarray(model_b_idx, dtype=np.int64)
    s = np.asarray(outcome, dtype=np.float64)
    if a.size == 0:
        raise ValueError("no battles to rate")
    counts = aggregate_battles(a, b, s, n_models=m, both_bad=both_bad)
    scores = elo_ratings(a, b, s, m, k=k, scale=scale, base=base, init=init)
    component, rated = comparison_components(counts)
    comps = np.unique(component[rated]).size
    warnings = []
    if comps > 1:
        warnings.append(
            f"the comparison graph has {comps} disconnected pieces; "
            "ratings compare only within a piece"
        )
    rank = rank_from_intervals(scores, scores, component)
    votes = counts.model_battles()
    weighted = counts.model_weighted_battles()
    wins = counts.model_scores()
    bb_rate = both_bad_rate(counts)
    rows = []
    for idx in range(m):
        ok = bool(rated[idx])
        rows.append(
            {
                "rank": int(rank[idx]) if ok else None,
                "model": str(names[idx]),
                "score": float(scores[idx]),
                "lower": None,
                "upper": None,
                "votes": int(votes[idx]),
                "win_rate": float(wins[idx] / weighted[idx]) if weighted[idx] > 0 else None,
                "both_bad_rate": float(bb_rate[idx]),
                "component": int(component[idx]),
            }
        )
    rows.sort(key=lambda r: (r["rank"] is None, r["component"], r["rank"] or 0, -r["score"]))
    meta = {
        "method": "elo",
        "params": {"k": k, "scale": scale, "base": base, "init": init},
        "n_battles": counts.n_battles,
        "n_models": m,
        "n_components": int(comps),
        "warnings": warnings,
    }
    return rows, meta
