"""Reads for quality: predicted outcomes, pair histories, points multiplier, reports."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from evals.models import Battle, EvalModel, PairStat, Vote
from evals.quality.models import BattleSampling, VoterFlag, VoterReliability
from evals.quality.stats import BOTH_BAD, HI_WON, LO_WON, TIE
from ratings.active import design_allocation, posterior_covariance
from ratings.aggregate import counts_from_pairs
from ratings.bt import fit_bt
from ratings.selectors import pair_count_totals

# --- predicted outcomes ---------------------------------------------------------------

PREDICTION_REG = 1.0
_scores_lock = threading.Lock()
_scores_cache: dict = {"at": 0.0, "version": -1, "predictions": None}


@dataclass(frozen=True)
class Predictions:
    """One fit of the counted votes: scores to predict outcomes, and what the
    sampler needs (each pair's share of the next votes as the greedy design
    plans them, see :func:`ratings.active.design_allocation`), both by model id."""

    scores: dict[int, float]
    # Row/column of each model id in ``utility``.
    index: dict[int, int]
    utility: np.ndarray

    def pair_utility(self, lo: int, hi: int) -> float | None:
        """Planned share of votes on ``(lo, hi)``; None when either model is not in the fit."""
        a, b = self.index.get(lo), self.index.get(hi)
        if a is None or b is None:
            return None
        return float(self.utility[a, b])


NO_PREDICTIONS = Predictions(scores={}, index={}, utility=np.zeros((0, 0)))


def _votes_version() -> int:
    return PairStat.objects.aggregate(n=Sum("voted"))["n"] or 0


def predictions_from_rows(rows) -> Predictions:
    """Fit ``rows`` of (model_lo, model_hi, wins_lo, wins_hi, ties, both_bad).

    No database access: the sampling benchmark feeds it simulated counts, so it
    measures exactly what the arena serves.
    """
    if not rows:
        return NO_PREDICTIONS
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
        return NO_PREDICTIONS
    cov = posterior_covariance(counts.i, counts.j, counts.n, fit.theta, fit.reg)
    utility = design_allocation(
        fit.theta,
        cov,
        votes=settings.QUALITY_SAMPLER_PLAN_VOTES,
        neighbours=settings.QUALITY_SAMPLER_NEIGHBOURS,
        top_scale=settings.QUALITY_SAMPLER_TOP_SCALE,
    )
    return Predictions(
        scores={mid: float(fit.scores[index[mid]]) for mid in ids}, index=index, utility=utility
    )


def current_predictions(*, votes: int | None = None) -> Predictions:
    """The current fit (scores and the sampler's pair utilities), cached per process.

    This is the one place that decides where predictions come from: a
    ridge-regularised Bradley-Terry fit on the rating engine's pair counts (not
    the leaderboard snapshot, whose near-zero ridge makes a young arena's
    predictions extreme), refitted when the TTL runs out or the number of votes
    has grown by a tenth. ``votes`` is the number of voted battles when the
    caller has just read it (the sampler sums the pair stats it reads anyway):
    one query less on the serve path.
    """
    version = _votes_version() if votes is None else votes
    now = time.monotonic()
    with _scores_lock:
        cached = dict(_scores_cache)
    stale = (
        cached["predictions"] is None
        or now - cached["at"] > settings.QUALITY_SCORES_TTL
        or version > cached["version"] * 1.1 + 5
        # Fewer votes than the fit saw: the counts were reset (a test, the demo
        # loader). Not a count a few seconds old (the sampler's copy of the pair
        # stats lags the fold's): refitting on every serve until it caught up
        # would cost more than the lag.
        or version < cached["version"] * 0.9 - 5
    )
    if not stale:
        return cached["predictions"]
    predictions = predictions_from_rows(pair_count_totals())
    with _scores_lock:
        _scores_cache.update(at=now, version=version, predictions=predictions)
    return predictions


def current_scores(*, votes: int | None = None) -> dict[int, float]:
    """Current ratings by model id, used to predict outcomes (see ``current_predictions``)."""
    return current_predictions(votes=votes).scores


def current_scores_forget() -> None:
    """Drop the cached fit (tests and the demo loader start from a clean slate)."""
    with _scores_lock:
        _scores_cache.update(at=0.0, version=-1, predictions=None)


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


# --- plain words: what a judgement means for the voter ---------------------------------

# Lazy (module constants): read in the voter's language when shown; every use
# below formats them with %, which evaluates them then.
APPEAL_HINT = gettext_lazy(
    "If you think this is wrong, ask for a review (appeal): an operator reads the "
    "evidence and can clear it, and your votes then count again."
)
FLAG_TITLES = {
    "gold_accuracy": gettext_lazy("Misses on check battles"),
    "disagreement": gettext_lazy("Votes often against a clear favourite"),
    "too_fast": gettext_lazy("Votes faster than anyone can look at two answers"),
    "outlier": gettext_lazy("Votes unlike everyone else's on the same pairs"),
    "favouritism": gettext_lazy("Favours one model"),
    "ring": gettext_lazy("One of many new accounts favouring one model"),
    "low_reliability": gettext_lazy("Votes not counted"),
}


def _halves() -> str:
    return _(
        "This halves your reliability score, so your votes earn fewer points; if the score "
        "falls below %(threshold)s your votes stop counting."
    ) % {"threshold": floatformat(settings.QUALITY_RELIABILITY_THRESHOLD, 2)}


def _seconds(ms: float) -> str:
    # Translators: a duration in seconds, e.g. "0.8 s" (the number in the reader's notation).
    return _("%(seconds)s s") % {"seconds": floatformat(ms / 1000, 1)}


def _n(value) -> int:
    """The count that picks a plural form: the evidence's number, or "many" when it is
    missing (shown as "?")."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 2


def _times_in_battles(ev: dict) -> dict:
    """'12 times', '20 battles' (each with its own plural) for the favouritism sentences."""
    wins, battles = ev.get("wins", "?"), ev.get("battles", "?")
    return {
        # Translators: completes "you picked <model> %(times)s in %(battles)s ...".
        "times": ngettext("%(wins)s time", "%(wins)s times", _n(wins)) % {"wins": wins},
        "battles": ngettext("%(battles)s battle", "%(battles)s battles", _n(battles))
        % {"battles": battles},
        "expected": f"{float(ev.get('expected_wins', 0)):.0f}",
    }


def _with_hint(saw: str, *, halves: str, extra: str = "") -> str:
    parts = [saw, halves, extra, str(APPEAL_HINT)]
    return " ".join(p for p in parts if p)


def flag_explanation(*, reason: str, evidence: dict) -> str:
    """What an automatic flag saw, what it means for the voter's points, what to do."""
    ev = evidence or {}
    halves = _halves()
    if reason == "gold_accuracy":
        saw = _(
            "We mix in a few battles where one answer is clearly better. You picked the "
            "better one in %(correct)s of %(total)s of them."
        ) % {"correct": ev.get("correct", "?"), "total": ev.get("total", "?")}
        return _with_hint(saw, halves=halves, extra=_("Reading both answers before voting helps."))
    if reason == "disagreement":
        saw = _(
            "On pairs where the crowd clearly prefers one model, your votes went the other "
            "way much more often than most people's."
        )
        return _with_hint(saw, halves=halves)
    if reason == "too_fast":
        votes = ev.get("votes", "?")
        saw = ngettext(
            "%(fast)s of your %(votes)s vote came less than "
            "%(seconds)s after the answers appeared, "
            "faster than anyone can look at two answers (a script or a stuck key does that). "
            "Those votes are not counted and earn nothing. Fast votes alone are fine: "
            "skimming in a few seconds only lowers a vote's points a little.",
            "%(fast)s of your %(votes)s votes came less than "
            "%(seconds)s after the answers appeared, "
            "faster than anyone can look at two answers (a script or a stuck key does that). "
            "Those votes are not counted and earn nothing. Fast votes alone are fine: "
            "skimming in a few seconds only lowers a vote's points a little.",
            _n(votes),
        ) % {
            "fast": ev.get("fast_votes", "?"),
            "votes": votes,
            "seconds": _seconds(settings.QUALITY_IMPOSSIBLE_VOTE_MS),
        }
        return _with_hint(saw, halves=halves)
    if reason == "outlier":
        votes = ev.get("votes", "?")
        saw = ngettext(
            "Taken together, your %(votes)s vote is very unlike everyone "
            "else's on the same pairs of models (a pattern a typical voter shows far less "
            "than once in ten thousand).",
            "Taken together, your %(votes)s votes are very unlike everyone "
            "else's on the same pairs of models (a pattern a typical voter shows far less "
            "than once in ten thousand).",
            _n(votes),
        ) % {"votes": votes}
        return _with_hint(saw, halves=halves)
    if reason == "favouritism":
        name = ev.get("model") or _model_name(ev.get("model_id"))
        saw = _(
            "You picked %(name)s %(times)s in %(battles)s "
            "where the ratings expected about %(expected)s."
        ) % {"name": name, **_times_in_battles(ev)}
        return _with_hint(saw, halves=halves)
    if reason == "ring":
        name = ev.get("model") or _model_name(ev.get("model_id"))
        group = ev.get("group") or {}
        values = {"name": name, "accounts": group.get("above_bound", "?"), **_times_in_battles(ev)}
        if ev.get("kept_by") == "cohort":
            hours = (ev.get("cohort") or {}).get("window_hours")
            values["hours"] = f"{float(hours):g}" if hours is not None else "?"
            saw = _(
                "Many new accounts (%(accounts)s) favour %(name)s together, far "
                "more than chance allows, and your account is among them: you picked it "
                "%(times)s in %(battles)s where about %(expected)s were expected, "
                "and it started voting within %(hours)s hours of many such accounts."
            )
        elif ev.get("kept_by") == "address" or ev.get("linked_by_network"):
            saw = _(
                "Many new accounts (%(accounts)s) favour %(name)s together, far "
                "more than chance allows, and your account is among them: you picked it "
                "%(times)s in %(battles)s where about %(expected)s were expected, "
                "from a network address other such accounts used."
            )
        else:
            saw = _(
                "Many new accounts (%(accounts)s) favour %(name)s together, far "
                "more than chance allows, and your account is among them: you picked it "
                "%(times)s in %(battles)s where about %(expected)s were expected."
            )
        return _with_hint(saw % values, halves=halves)
    if reason == "low_reliability":
        reasons = [str(FLAG_TITLES[r]).lower() for r in ev.get("flags", []) if r in FLAG_TITLES]
        why = f" ({'; '.join(reasons)})" if reasons else ""
        return _(
            "Your reliability score fell to %(score)s%(why)s, below "
            "%(threshold)s. Your "
            "votes, earlier ones included, are not counted in the leaderboard and new votes "
            "earn no points until an operator clears this. Points already paid stay yours. "
            "%(hint)s"
        ) % {
            "score": floatformat(float(ev.get("score", 0)), 2),
            "why": why,
            "threshold": floatformat(
                float(ev.get("threshold", settings.QUALITY_RELIABILITY_THRESHOLD)), 2
            ),
            "hint": APPEAL_HINT,
        }
    # Translators: %(reason)s is the check's internal name (e.g. "gold_accuracy").
    return _("An automatic check flagged your votes (%(reason)s). %(hint)s") % {
        "reason": reason,
        "hint": APPEAL_HINT,
    }


def _model_name(model_id) -> str:
    if model_id is None:
        return _("one model")
    name = EvalModel.objects.filter(pk=model_id).values_list("name", flat=True).first()
    return name or _("one model")


def voter_standing(*, user) -> dict:
    """Where a voter stands, in numbers and plain words: the points multiplier, whether
    their votes count, and each automatic flag with its explanation (newest first)."""
    user_id = getattr(user, "pk", user)
    rel = VoterReliability.objects.filter(user_id=user_id).first() if user_id else None
    defences = settings.QUALITY_DEFENCES
    excluded = bool(rel and rel.excluded and defences)
    multiplier = (
        points_multiplier_for(score=rel.score, excluded=rel.excluded)
        if rel is not None and defences
        else 1.0
    )
    flags = (
        [
            {
                "id": f.pk,
                "reason": f.reason,
                "title": str(FLAG_TITLES.get(f.reason, f.reason)),
                "explanation": flag_explanation(reason=f.reason, evidence=f.evidence),
                "evidence": f.evidence,
                "created_at": f.created_at,
            }
            for f in VoterFlag.objects.filter(user_id=user_id).order_by("-created_at", "-id")
        ]
        if user_id
        else []
    )
    if excluded:
        status = "excluded"
        summary = _("Your votes are not counted at the moment and earn no points. %(why)s") % {
            "why": flags[0]["explanation"] if flags else APPEAL_HINT
        }
    elif multiplier < 1.0:
        status = "reduced"
        summary = _(
            "Your votes count, and earn %(percent)d%% of the usual points "
            "because your reliability score is %(score)s (full points from "
            "%(full)s). Careful votes on the check battles (each has a known "
            "better answer) raise it."
        ) % {
            "percent": round(100 * multiplier),
            "score": floatformat(rel.score, 2),
            "full": floatformat(settings.QUALITY_FULL_POINTS_RELIABILITY, 2),
        } + (f" {APPEAL_HINT}" if flags else "")
    else:
        status = "good"
        summary = _("Your votes count in full.")
    return {
        "status": status,
        "counted": not excluded,
        "score": rel.score if rel is not None else None,
        "multiplier": multiplier,
        "votes": rel.votes if rel is not None else 0,
        "summary": summary,
        "flags": flags,
        "can_appeal": bool(flags),
    }


def vote_weight_explained(*, battle) -> dict:
    """Why one voted battle counted or not and what it earned, in plain words.

    ``battle`` is a voted ``Battle`` (its vote and sampling row are read if not
    selected). The speed share is recomputed from the stored time and word count
    with the current settings; the points are the ledger's."""
    from evals.quality.services import IMPOSSIBLE_REASON, vote_speed_weight

    vote = getattr(battle, "vote", None)
    if vote is None:
        return {"voted": False, "counted": False, "explanation": _("Not voted yet.")}
    sampling = BattleSampling.objects.filter(battle_id=battle.pk).first()
    words = sampling.words if sampling else 0
    speed = (
        vote_speed_weight(ms=vote.time_to_vote_ms, words=words)
        if words
        else (0.0 if vote.time_to_vote_ms < settings.QUALITY_IMPOSSIBLE_VOTE_MS else 1.0)
    )
    points = vote.points or 0  # what the fold (or an appeal) credited for this vote
    reason = battle.exclusion_reason or ""
    took = _seconds(vote.time_to_vote_ms)
    if speed == 0.0 or (battle.excluded and reason.startswith(IMPOSSIBLE_REASON)):
        code = "impossible_speed"
        text = _(
            "You voted %(took)s after the answers appeared, faster than anyone can look at "
            "two answers, so this vote is not counted and earns nothing. One slip does not "
            "affect your other votes."
        ) % {"took": took}
    elif battle.excluded and reason.startswith("unreliable voter"):
        code = "voter_excluded"
        standing = voter_standing(user=battle.voter_id)
        text = _("Not counted: your votes are excluded at the moment. %(why)s") % {
            "why": standing["flags"][0]["explanation"] if standing["flags"] else APPEAL_HINT
        }
    elif battle.excluded and reason.startswith("gold"):
        code = "calibration"
        text = _(
            "A check battle: one answer is known to be better. It measures how "
            "reliable votes are and is left out of the leaderboard; it earns points as usual."
        )
    elif battle.excluded:
        code = "battle_excluded"
        # Translators: %(reason)s is an operator's reason, stored in English.
        text = _(
            "This battle is left out of the leaderboard for a reason that is not about your "
            "vote (%(reason)s); it earns points as usual."
        ) % {"reason": reason}
    else:
        code = "counted"
        text = _("Counted in the leaderboard.")
    if speed and speed < 1.0 and code != "impossible_speed":
        text += " " + ngettext(
            "You decided in %(took)s on answers of %(words)d word; a vote quicker than the "
            "time to read them keeps %(percent)d%% of its points (skimming is fine, "
            "it only earns a little less).",
            "You decided in %(took)s on answers of %(words)d words; a vote quicker than the "
            "time to read them keeps %(percent)d%% of its points (skimming is fine, "
            "it only earns a little less).",
            words,
        ) % {"took": took, "words": words, "percent": round(100 * speed)}
    counted = not battle.excluded
    return {
        "voted": True,
        "counted": counted,
        "code": code,
        "speed_weight": speed,
        "seconds": vote.time_to_vote_ms / 1000,
        "points": int(points),
        "explanation": text,
    }


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


# Which battles the public fairness figures count. Only voted (revealed) ones:
# counting an open battle names its pair to anyone who reads the figures before
# and after the voter fetches it, and an abandoned or errored battle closes at a
# moment its voter can choose (skip it right after fetching, and the figures
# would name the pair of answers just seen, which stored battles reuse).
FAIRNESS_COUNTED_STATUSES = (Battle.Status.REVEALED,)
FAIRNESS_RULE = gettext_lazy(
    "Only battles that have been voted on count, on the day they were served. "
    "Battles still waiting for a vote are never counted, so these figures cannot tell "
    "anyone which models an open battle holds; abandoned and errored battles are left "
    "out too, because the moment a battle is abandoned is in its voter's hands."
)


def sampling_fairness(*, days: int, today: date | None = None) -> dict:
    """Each model's and provider's share of the counted battle seats per day.

    A battle has two seats; a model's share is its seats over all seats that
    day, so the shares of a day sum to 1 (a battle between two models of the
    same provider gives that provider both seats). Only battles in
    ``FAIRNESS_COUNTED_STATUSES`` count; this is the one counting behind
    ``/api/v1/fairness``, ``/api/quality/fairness`` and the fairness page.
    """
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    seats: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[date, int] = defaultdict(int)
    base = Battle.objects.filter(
        served_at__gte=start, status__in=FAIRNESS_COUNTED_STATUSES
    ).annotate(day=TruncDate("served_at"))
    for side in ("model_a_id", "model_b_id"):
        for row in base.values("day", side).annotate(n=Count("id")).order_by():
            seats[row["day"]][row[side]] += row["n"]
            if side == "model_a_id":
                totals[row["day"]] += row["n"]
    models = {
        m.pk: m
        for m in EvalModel.objects.select_related("organization").filter(
            pk__in={mid for day in seats.values() for mid in day}
        )
    }
    # A model in pre-release testing counts under no provider ("") until its
    # results, and its maker, are disclosed; then its seats count as its maker's.
    maker = {pk: m.organization.slug if m.maker_disclosed else "" for pk, m in models.items()}
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        battles = totals.get(day, 0)
        all_seats = 2 * battles
        per_provider: dict[str, int] = defaultdict(int)
        model_rows = []
        for mid, n in sorted(seats.get(day, {}).items(), key=lambda kv: models[kv[0]].slug):
            m = models[mid]
            per_provider[maker[mid]] += n
            model_rows.append(
                {
                    "model": m.slug,
                    "provider": maker[mid],
                    "battles": n,
                    "share": round(n / all_seats, 6),
                }
            )
        out.append(
            {
                "date": day,
                "battles": battles,
                "models": model_rows,
                "providers": [
                    {"provider": slug, "battles": n, "share": round(n / all_seats, 6)}
                    for slug, n in sorted(per_provider.items())
                ],
            }
        )
    return {"since": first, "until": today, "rule": str(FAIRNESS_RULE), "days": out}


def battle_shares(*, days: int, today: date | None = None) -> list[dict]:
    """Each provider's and model's share of counted battle seats per UTC day, with
    display names and the day's gold battles, for the fairness page.

    The seat counting is ``sampling_fairness``'s, so the page and
    ``/api/v1/fairness`` always agree.
    """
    data = sampling_fairness(days=days, today=today)
    start = datetime.combine(
        data["since"], datetime.min.time(), tzinfo=timezone.get_current_timezone()
    )
    gold = dict(
        Battle.objects.filter(
            served_at__gte=start,
            status__in=FAIRNESS_COUNTED_STATUSES,
            sampling__gold_pair__isnull=False,
        )
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
    orgs[""] = EvalModel.UNDISCLOSED_MAKER
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


def voter_reliability_scores(*, user_ids) -> dict[int, tuple[float, bool]]:
    """(score, excluded) per voter; a voter with no record yet has the prior (1.0, False)."""
    ids = list(set(user_ids))
    found = {
        uid: (score, excluded)
        for uid, score, excluded in VoterReliability.objects.filter(user_id__in=ids).values_list(
            "user_id", "score", "excluded"
        )
    }
    default = VoterReliability._meta.get_field("score").default
    return {uid: found.get(uid, (float(default), False)) for uid in ids}
