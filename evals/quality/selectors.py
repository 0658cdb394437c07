"""Reads for quality: predicted outcomes, pair histories, points multiplier, reports."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import date, datetime

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from evals.models import Battle, EvalModel, PairStat, Vote
from evals.quality.models import BattleSampling, VoterFlag, VoterReliability
from evals.quality.stats import BOTH_BAD, HI_WON, LO_WON, TIE

# --- predicted outcomes ---------------------------------------------------------------

PREDICTION_REG = 1.0
_scores_lock = threading.Lock()
_scores_cache: dict = {"at": 0.0, "version": -1, "scores": {}}


def _votes_version() -> int:
    return PairStat.objects.aggregate(n=Sum("voted"))["n"] or 0


def scores_from_votes() -> dict[int, float]:
    """Bradley-Terry scores fitted to every counted (not excluded) vote, by model id.

    Reads the rating engine's pair counts (O(models²) rows), not the votes.
    """
    from ratings.aggregate import counts_from_pairs
    from ratings.bt import fit_bt
    from ratings.selectors import pair_count_totals

    rows = pair_count_totals()
    if not rows:
        return {}
    ids = sorted({r[0] for r in rows} | {r[1] for r in rows})
    index = {mid: k for k, mid in enumerate(ids)}
    lo = np.array([index[r[0]] for r in rows], dtype=np.int64)
    hi = np.array([index[r[1]] for r in rows], dtype=np.int64)
    wl, wh, t, bb = (np.array([r[k] for r in rows], dtype=np.float64) for k in (2, 3, 4, 5))
    # Ties and both-bad votes are both half a win each side.
    counts = counts_from_pairs(len(ids), lo, hi, wl, t + bb, wh)
    try:
        # A ridge of one (a N(0, 1) prior on strengths, about +-174 points) keeps
        # a young arena's predictions modest: with the engine's tiny default, a
        # model that has only won a handful of votes sits 2,000 points up and
        # every vote against it looks impossible. It is negligible once pairs
        # have hundreds of votes.
        fit = fit_bt(counts, reg=PREDICTION_REG)
    except ValueError:
        return {}
    return {mid: float(fit.scores[index[mid]]) for mid in ids}


def current_scores() -> dict[int, float]:
    """Current ratings by model id, used to predict outcomes.

    This is the one place that decides where predictions come from: a
    ridge-regularised Bradley-Terry fit on the rating engine's pair counts (not
    the leaderboard snapshot, whose near-zero ridge makes a young arena's
    predictions extreme), cached per process and refitted when the TTL runs out
    or the number of votes has grown by a tenth.
    """
    version = _votes_version()
    now = time.monotonic()
    with _scores_lock:
        cached = dict(_scores_cache)
    stale = (
        now - cached["at"] > settings.QUALITY_SCORES_TTL
        or version > cached["version"] * 1.1 + 5
        or version < cached["version"]
    )
    if not stale:
        return cached["scores"]
    scores = scores_from_votes()
    with _scores_lock:
        _scores_cache.update(at=now, version=version, scores=scores)
    return scores


def current_scores_forget() -> None:
    """Drop the cached fit (tests and the demo loader start from a clean slate)."""
    with _scores_lock:
        _scores_cache.update(at=0.0, version=-1, scores={})


def outcome_code(*, choice: str, model_a_id: int, lo: int) -> int:
    """A vote's outcome seen from the unordered pair (see evals.quality.stats)."""
    if choice == "tie":
        return TIE
    if choice == "both_bad":
        return BOTH_BAD
    winner_is_a = choice == "model_a"
    a_is_lo = model_a_id == lo
    return LO_WON if winner_is_a == a_is_lo else HI_WON


# --- consequences -------------------------------------------------------------------


def vote_points_multiplier(user) -> float:
    """Share of the base reward this voter's votes earn, in [0, 1].

    0 for a voter whose votes are excluded; otherwise rises linearly from the
    exclusion threshold to 1 at QUALITY_FULL_POINTS_RELIABILITY. A voter with no
    record yet earns in full (the prior score is above the full-points mark).
    """
    user_id = getattr(user, "pk", user)  # a user or a user id
    if not settings.QUALITY_DEFENCES or not user_id:
        return 1.0
    row = VoterReliability.objects.filter(user_id=user_id).values("score", "excluded").first()
    if row is None:
        return 1.0
    return points_multiplier_for(score=row["score"], excluded=row["excluded"])


def points_multiplier_for(*, score: float, excluded: bool) -> float:
    """The multiplier rule itself (see ``vote_points_multiplier``), for a row at hand."""
    if excluded:
        return 0.0
    low = settings.QUALITY_RELIABILITY_THRESHOLD
    full = max(settings.QUALITY_FULL_POINTS_RELIABILITY, low + 1e-9)
    return float(min(1.0, max(0.0, (score - low) / (full - low))))


# --- reports ------------------------------------------------------------------------


def reliability_histogram(*, bins: int = 10) -> list[dict]:
    """Voters per reliability bin of width 1/bins over [0, 1]."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    scores = np.fromiter(VoterReliability.objects.values_list("score", flat=True), dtype=np.float64)
    counts, _ = np.histogram(scores, bins=edges)
    return [
        {"low": round(float(edges[k]), 2), "high": round(float(edges[k + 1]), 2), "n": int(c)}
        for k, c in enumerate(counts)
    ]


def flagged_voters(*, limit: int = 50) -> list[dict]:
    """Voters with flags, most recent first, each with their flags' evidence."""
    flags = list(VoterFlag.objects.select_related("user").order_by("-created_at", "-id")[:500])
    by_user: dict[int, dict] = {}
    for flag in flags:
        entry = by_user.setdefault(
            flag.user_id,
            {"user_id": flag.user_id, "username": flag.user.username, "flags": []},
        )
        entry["flags"].append(
            {"reason": flag.reason, "evidence": flag.evidence, "created_at": flag.created_at}
        )
    rel = VoterReliability.objects.in_bulk(list(by_user))
    out = []
    for user_id, entry in list(by_user.items())[:limit]:
        r = rel.get(user_id)
        entry["score"] = r.score if r else None
        entry["excluded"] = bool(r and r.excluded)
        entry["votes"] = r.votes if r else 0
        out.append(entry)
    return out


def gold_summary() -> dict:
    """Gold battles voted and how often voters picked the better answer."""
    agg = VoterReliability.objects.aggregate(correct=Sum("gold_correct"), total=Sum("gold_total"))
    kept = VoterReliability.objects.filter(excluded=False).aggregate(
        correct=Sum("gold_correct"), total=Sum("gold_total")
    )
    total = agg["total"] or 0
    served = BattleSampling.objects.filter(gold_pair__isnull=False).count()
    return {
        "served": served,
        "voted": total,
        "correct": agg["correct"] or 0,
        "accuracy": (agg["correct"] or 0) / total if total else None,
        "counted_correct": kept["correct"] or 0,
        "counted_voted": kept["total"] or 0,
    }


def both_bad_by_model() -> list[dict]:
    """Per model: counted votes and the share that were "both bad"."""
    counted = Vote.objects.filter(battle__excluded=False)
    seats: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for side in ("battle__model_a_id", "battle__model_b_id"):
        rows = (
            counted.values(side)
            .annotate(n=Count("pk"), bb=Count("pk", filter=Q(choice="both_bad")))
            .order_by()
        )
        for row in rows:
            seats[row[side]][0] += row["n"]
            seats[row[side]][1] += row["bb"]
    names = dict(EvalModel.objects.filter(pk__in=list(seats)).values_list("pk", "name"))
    out = [
        {"model": names.get(mid, str(mid)), "votes": n, "both_bad": bb, "rate": bb / n if n else 0}
        for mid, (n, bb) in seats.items()
    ]
    return sorted(out, key=lambda r: -r["rate"])


def exclusions_by_reason() -> list[dict]:
    """Excluded battles per reason (the reason's text before any colon)."""
    rows = (
        Battle.objects.filter(excluded=True)
        .values("exclusion_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    merged: dict[str, int] = defaultdict(int)
    for row in rows:
        merged[row["exclusion_reason"].split(":", 1)[0]] += row["n"]
    return sorted(({"reason": r, "n": n} for r, n in merged.items()), key=lambda r: -r["n"])


def dashboard_data() -> dict:
    voted = Battle.objects.filter(status=Battle.Status.REVEALED)
    return {
        "voters": VoterReliability.objects.count(),
        "voters_excluded": VoterReliability.objects.filter(excluded=True).count(),
        "votes": voted.count(),
        "votes_excluded": voted.filter(excluded=True).count(),
        "flagged": flagged_voters(),
        "histogram": reliability_histogram(),
        "threshold": settings.QUALITY_RELIABILITY_THRESHOLD,
        "gold": gold_summary(),
        "both_bad": both_bad_by_model(),
        "exclusions": exclusions_by_reason(),
    }


def battle_shares(*, days: int, today: date | None = None) -> list[dict]:
    """Each provider's and model's share of served battle seats per UTC day, with
    display names and the day's gold battles, for the fairness page.

    The seat counting is the provider API's (``sampling_fairness``), so the page
    and ``/api/v1/fairness`` always agree.
    """
    from evals.provider.selectors import sampling_fairness

    data = sampling_fairness(days=days, today=today)
    start = datetime.combine(
        data["since"], datetime.min.time(), tzinfo=timezone.get_current_timezone()
    )
    gold = dict(
        Battle.objects.filter(served_at__gte=start, sampling__gold_pair__isnull=False)
        .annotate(day=TruncDate("served_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    slugs = {m["model"] for d in data["days"] for m in d["models"]}
    models = {
        m.slug: m for m in EvalModel.objects.select_related("organization").filter(slug__in=slugs)
    }
    orgs = {m.organization.slug: m.organization.name for m in models.values()}
    out = []
    for d in data["days"]:
        seats = 2 * d["battles"]

        def row(key, slug, n, name, seats=seats):
            return {key: slug, "name": name, "seats": n, "share": n / seats}

        out.append(
            {
                "day": d["date"].isoformat(),
                "battles": d["battles"],
                "gold_battles": gold.get(d["date"], 0),
                "providers": sorted(
                    (
                        row("provider", p["provider"], p["battles"], orgs[p["provider"]])
                        for p in d["providers"]
                    ),
                    key=lambda r: -r["seats"],
                ),
                "models": sorted(
                    (
                        row("model", m["model"], m["battles"], models[m["model"]].name)
                        | {"provider": m["provider"]}
                        for m in d["models"]
                    ),
                    key=lambda r: -r["seats"],
                ),
            }
        )
    return out
