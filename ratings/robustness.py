"""How many votes hold the top of a leaderboard: the fewest whose removal changes it.

Exact minimisation is a combinatorial search, so this is a greedy search that
returns an **upper bound**: a set of that many votes whose removal is verified
(by refitting) to change the top model; a cleverer choice might need fewer.

Method
------
For each challenger ``c`` (every model but the top one, ``t``), build a removal
plan from the current fit: the votes that most move ``theta_t - theta_c`` per
vote come first. From the Bradley-Terry score equations, removing one win of
``t`` over ``j`` lowers ``t``'s score gradient by ``1 - p_tj`` and removing one
loss of ``c`` to ``j`` raises ``c``'s by ``p_cj`` (``p`` the fitted win
probabilities), each divided by that model's Fisher information; a win of
``t`` over ``c`` counts on both sides. Ties are left alone (removing one moves
a score by ``|0.5 - p|``, never more than a decisive vote). Then binary search
on ``k`` for the smallest prefix of the plan whose removal, refitted, puts
another model on top. The answer is the smallest ``k`` over all challengers.

Binary search assumes that removing more of the plan never restores the
top model, which holds for these monotone plans in practice; the returned
``k`` is refitted and verified either way, so it is always a valid upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ratings.aggregate import PairCounts
from ratings.bt import fit_bt

__all__ = ["Robustness", "fewest_votes_to_change_top"]

# Scores closer than this (natural-log units) count as a tie, which keeps the top.
TIE_TOL = 1e-7


@dataclass(frozen=True)
class Robustness:
    """Result of :func:`fewest_votes_to_change_top`.

    Attributes
    ----------
    votes : int or None
        Votes whose removal changes the top model (an upper bound), or None when
        no removal plan changes it (e.g. a single rated model).
    top : int
        Index of the current top model.
    challenger : int or None
        Index of the model that takes the top after the removal.
    n_battles : int
        Battles the leaderboard rests on.
    share : float or None
        ``votes / n_battles``.
    top_wins_removed, challenger_losses_removed : int
        How the removed votes split between the two kinds.
    method : str
        Always ``"greedy upper bound"``.
    """

    votes: int | None
    top: int
    challenger: int | None
    n_battles: int
    share: float | None
    top_wins_removed: int = 0
    challenger_losses_removed: int = 0
    method: str = "greedy upper bound"

    def as_dict(self, names=None) -> dict:
        def name(k):
            return None if k is None else (str(names[k]) if names is not None else int(k))

        return {
            "votes": self.votes,
            "top": name(self.top),
            "challenger": name(self.challenger),
            "n_battles": self.n_battles,
            "share": self.share,
            "top_wins_removed": self.top_wins_removed,
            "challenger_losses_removed": self.challenger_losses_removed,
            "method": self.method,
        }


def _top(theta: np.ndarray, rated: np.ndarray, component: np.ndarray) -> int:
    """The leaderboard's top model: the strongest of the first component (scores
    compare only within a component, and the table lists component 0 first)."""
    first = component[np.flatnonzero(rated)[0]]
    masked = np.where(rated & (component == first), theta, -np.inf)
    return int(np.argmax(masked))


def _plan(counts: PairCounts, theta: np.ndarray, t: int, c: int):
    """Removal units for challenger ``c``, best first.

    Returns a list of ``(row, side, count, kind)``: remove up to ``count`` votes
    from pair row ``row``'s ``side`` ("i" = win_i, "j" = win_j); ``kind`` is
    "top" or "challenger" (which model the removal hurts or helps).
    """
    p = 1.0 / (1.0 + np.exp(theta[counts.j] - theta[counts.i]))  # P(i beats j) per row
    n = counts.n
    info = np.bincount(counts.i, n * p * (1 - p), counts.n_models) + np.bincount(
        counts.j, n * p * (1 - p), counts.n_models
    )
    info = np.maximum(info, 1e-12)
    units = []
    for row in range(counts.i.size):
        i, j = int(counts.i[row]), int(counts.j[row])
        p_ij = float(p[row])
        # Wins of t: side "i" if t is i, side "j" if t is j.
        for side, winner, loser, p_win in (("i", i, j, p_ij), ("j", j, i, 1.0 - p_ij)):
            available = int(round(counts.win_i[row] if side == "i" else counts.win_j[row]))
            if available <= 0:
                continue
            gain = 0.0
            kind = None
            if winner == t:
                gain += (1.0 - p_win) / info[t]
                kind = "top"
            if loser == c:
                # c lost this one: removing it helps c by P(c beats winner).
                gain += (1.0 - p_win) / info[c]
                kind = kind or "challenger"
            if kind is not None:
                units.append((gain, row, side, available, kind))
    units.sort(key=lambda u: -u[0])
    return [(row, side, count, kind) for _, row, side, count, kind in units]


def _remove(counts: PairCounts, plan, k: int) -> tuple[PairCounts, int, int]:
    win_i = counts.win_i.copy()
    win_j = counts.win_j.copy()
    n_raw = counts.n_raw.copy()
    left, top_n, chal_n = k, 0, 0
    for row, side, count, kind in plan:
        if left <= 0:
            break
        take = min(count, left)
        if side == "i":
            win_i[row] -= take
        else:
            win_j[row] -= take
        n_raw[row] -= take
        left -= take
        if kind == "top":
            top_n += take
        else:
            chal_n += take
    return replace(counts, win_i=win_i, win_j=win_j, n_raw=np.maximum(n_raw, 0)), top_n, chal_n


def _changes_top(counts: PairCounts, t: int) -> bool:
    """True when some other model of ``t``'s component now scores strictly above
    ``t`` (a tie keeps ``t``; another component's scores do not compare)."""
    try:
        fit = fit_bt(counts)
    except ValueError:
        return False  # nothing left to rate: there is no new top model
    others = np.where(fit.rated & (fit.component == fit.component[t]), fit.theta, -np.inf)
    others[t] = -np.inf
    return bool(others.max() > fit.theta[t] + TIE_TOL)


def fewest_votes_to_change_top(
    counts: PairCounts, *, max_challengers: int | None = None, top: int | None = None
) -> Robustness:
    """Upper bound on the fewest votes whose removal changes the top model.

    Parameters
    ----------
    counts : PairCounts
        Unweighted aggregated battles (weights are rounded to whole votes).
    max_challengers : int, optional
        Try only this many challengers, the closest to the top first (each
        costs a few refits). Fewer challengers still give a valid upper bound.
    top : int, optional
        The model the leaderboard shows first (its table breaks near-ties of
        the displayed score by name); by default the strongest of the first
        component.

    Returns
    -------
    Robustness
        ``votes`` is None when no plan changes the top (fewer than two rated
        models, or a top that no removal of wins and losses can dethrone).

    Raises
    ------
    ValueError
        From :func:`ratings.bt.fit_bt` when there are no battles.
    """
    fit = fit_bt(counts)
    t = _top(fit.theta, fit.rated, fit.component) if top is None else int(top)
    if not fit.rated[t]:
        raise ValueError(f"model {t} has no battles: it cannot be the top")
    n_battles = counts.n_battles
    best: tuple[int, int, int, int] | None = None  # (k, challenger, top_n, chal_n)
    challengers = [
        c
        for c in np.argsort(-fit.theta, kind="stable")
        if c != t and fit.rated[c] and fit.component[c] == fit.component[t]
    ]
    for c in challengers[:max_challengers]:
        c = int(c)
        plan = _plan(counts, fit.theta, t, c)
        total = sum(u[2] for u in plan)
        if total == 0:
            continue
        hi_counts, _, _ = _remove(counts, plan, total)
        if not _changes_top(hi_counts, t):
            continue
        lo, hi = 0, total  # f(lo) False (nothing removed), f(hi) True
        if best is not None:
            hi = min(hi, best[0])
            trial, _, _ = _remove(counts, plan, hi)
            if not _changes_top(trial, t):
                continue  # this challenger cannot beat the best found so far
        while hi - lo > 1:
            mid = (lo + hi) // 2
            trial, _, _ = _remove(counts, plan, mid)
            if _changes_top(trial, t):
                hi = mid
            else:
                lo = mid
        _, top_n, chal_n = _remove(counts, plan, hi)
        if best is None or hi < best[0]:
            best = (hi, c, top_n, chal_n)
    if best is None:
        return Robustness(votes=None, top=t, challenger=None, n_battles=n_battles, share=None)
    k, c, top_n, chal_n = best
    return Robustness(
        votes=k,
        top=t,
        challenger=c,
        n_battles=n_battles,
        share=k / n_battles if n_battles else None,
        top_wins_removed=top_n,
        challenger_losses_removed=chal_n,
    )
