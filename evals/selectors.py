"""Reads for evals that span relations."""

import functools
import html as html_lib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from evals.markdown import render
from evals.models import Battle, EvalModel, Vote
from evals.quality.models import VoterAppeal, VoterFlag, VoterReliability
from evals.quality.selectors import voter_standing
from evals.quality.services import GOLD_REASON, IMPOSSIBLE_REASON
from rewards import rules

# How long a process may show a renamed model under its old name in reveals.
IDENTITY_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class ModelIdentity:
    """What the reveal shows of a model."""

    name: str
    slug: str
    provider: str

    @classmethod
    def of(cls, model: EvalModel) -> "ModelIdentity":
        provider = model.organization.name if model.maker_disclosed else EvalModel.UNDISCLOSED_MAKER
        return cls(name=model.name, slug=model.slug, provider=provider)

    def as_dict(self) -> dict:
        return {"name": self.name, "slug": self.slug, "provider": self.provider}


_identities: dict = {"at": float("-inf"), "by_id": {}}
_identities_lock = threading.Lock()


def model_identities(model_ids) -> dict[int, ModelIdentity]:
    """Names of models by id for the reveal, from a per-process copy of the
    (small) models table: a vote needs no query for them. Reloaded when older
    than IDENTITY_TTL_SECONDS or when an id is missing (a model just added)."""
    now = time.monotonic()
    with _identities_lock:
        cached = _identities["by_id"]
        fresh = now - _identities["at"] < IDENTITY_TTL_SECONDS
    if not fresh or any(i not in cached for i in model_ids):
        cached = {
            m.id: ModelIdentity.of(m) for m in EvalModel.objects.select_related("organization")
        }
        with _identities_lock:
            _identities.update(at=now, by_id=cached)
    return {i: cached[i] for i in model_ids}


def model_identities_forget() -> None:
    """Drop this process's copy (after a model is saved; between tests)."""
    with _identities_lock:
        _identities.update(at=float("-inf"), by_id={})


def pair_stats_with_served(queryset):
    """Pair stats with ``served``: the pair's battles (stored and live, any status),
    counted when read; only the admin shows the figure, so the serve does not keep it."""
    battles = (
        Battle.objects.filter(
            Q(model_a=OuterRef("model_lo"), model_b=OuterRef("model_hi"))
            | Q(model_a=OuterRef("model_hi"), model_b=OuterRef("model_lo"))
        )
        .order_by()
        # COUNT as a plain function: an aggregate would group by the pair's two orders.
        .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return queryset.annotate(served=Coalesce(Subquery(battles), 0))


def battle_for_voter(*, user, battle_id) -> Battle | None:
    """The battle if it exists and was served to ``user``; else None."""
    return (
        Battle.objects.select_related(
            "prompt", "answer_a", "answer_b", "model_a__organization", "model_b__organization"
        )
        .filter(id=battle_id, voter=user)
        .first()
    )


def vote_for_battle(*, battle: Battle) -> Vote | None:
    return Vote.objects.filter(battle=battle).first()


def battle_public_dict(battle: Battle) -> dict:
    """What a voter may see of a battle before the vote: labels A and B only."""
    return {
        "id": str(battle.id),
        "status": battle.status,
        "prompt": {
            "html": _prompt_html(battle.prompt.text),
            "category": battle.prompt.category,
            "language": battle.prompt.language,
        },
        "a": {"html": battle.answer_a.html if battle.answer_a else ""},
        "b": {"html": battle.answer_b.html if battle.answer_b else ""},
        "vote_url": f"/arena/battles/{battle.id}/vote",
    }


@functools.lru_cache(maxsize=1024)
def _prompt_html(text: str) -> str:
    # A pure function of the text, rendered on every serve: a per-process memo
    # spares the Markdown parser and the sanitiser on the hot path.
    return render(text)


def _prompt_plain(text: str) -> str:
    # The prompt as a reader sees it, without its Markdown (a table's column).
    return html_lib.unescape(strip_tags(_prompt_html(text)))


def voter_stats(*, user) -> dict:
    """The voter's vote count, and whether they carry a flag, in one query (the
    arena is the hot page: the flag's wording is read only for a flagged voter)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery, Value
    from django.db.models.functions import Coalesce

    votes = (
        Vote.objects.filter(battle__voter=OuterRef("pk"))
        .order_by()
        .values("battle__voter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    flagged = VoterReliability.objects.filter(user=OuterRef("pk")).filter(
        Q(excluded=True) | ~Q(flags=[])
    )
    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            n_votes=Coalesce(Subquery(votes, output_field=IntegerField()), Value(0)),
            flagged=Exists(flagged),
        )
        .values("n_votes", "flagged")
        .first()
    ) or {"n_votes": 0, "flagged": False}
    return {"votes": row["n_votes"], "flagged": row["flagged"]}


def fold_backlog(*, now=None) -> dict:
    """Votes committed but not yet folded (pair counts, reliability, points): how
    many, and how long the oldest has waited."""
    queue = Vote.objects.filter(folded_at__isnull=True).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    oldest = queue["oldest"]
    age = ((now or timezone.now()) - oldest).total_seconds() if oldest else 0.0
    return {"votes": queue["n"], "oldest_age_s": round(max(age, 0.0), 1)}


def votes_since(*, seconds: int) -> int:
    """Votes cast in the last ``seconds`` (the index on created_at answers it)."""
    return Vote.objects.filter(created_at__gte=timezone.now() - timedelta(seconds=seconds)).count()


# --- what a voter is told about their own votes ---------------------------------------

# Lazy (read in the voter's language when shown); each completes "It does not
# count because your account is flagged: ...". Joined with str() in _flag_words.
FLAG_WORDS = {
    "gold_accuracy": gettext_lazy(
        "you picked the worse answer in several check battles whose better answer is known"
    ),
    "disagreement": gettext_lazy("your choices often go against what most voters prefer"),
    "too_fast": gettext_lazy("many of your votes came faster than anyone can look at two answers"),
    "outlier": gettext_lazy(
        "your votes form a pattern that is very unlikely for an attentive voter"
    ),
    "favouritism": gettext_lazy("your votes favour one model far more than its quality explains"),
    "ring": gettext_lazy("your account votes like a group of accounts that all favour one model"),
    "low_reliability": gettext_lazy(
        "your reliability score fell below the level at which votes count"
    ),
}


def _flag_words(reasons) -> str:
    words = [str(FLAG_WORDS.get(r, r.replace("_", " "))) for r in reasons]
    return "; ".join(words) if words else str(FLAG_WORDS["low_reliability"])


def _cast_while_flagged(reason: str) -> bool:
    return reason in (EXCLUDED_EARLIER, UNRELIABLE_PREFIX, f"{UNRELIABLE_PREFIX}:")


def exclusion_words(reason: str) -> str:
    """An exclusion reason as the voter reads it.

    ``reason`` is the stable English form stored on the battle; the words are
    translated here, at display time.
    """

    if reason.startswith("unreliable voter"):
        if _cast_while_flagged(reason):
            # Cast while the account was flagged: true while it is, and after an
            # appeal that covered only the votes before it cleared the flag.
            return _("It does not count: you cast it while your account was flagged.")
        detail = reason.partition(":")[2].strip()
        if detail.startswith("ring"):
            why = str(FLAG_WORDS["ring"])
        else:
            why = _flag_words([r.strip() for r in detail.split(",")])
        # Translators: %(why)s is one or more of the flag phrases ("your choices often go ...").
        return _("It does not count because your account is flagged: %(why)s.") % {"why": why}
    if reason.startswith(IMPOSSIBLE_REASON):
        return _(
            "It does not count and earns nothing: it came faster than anyone can look at "
            "two answers. One slip does not affect your other votes."
        )
    if reason == GOLD_REASON:
        return _(
            "This was a check battle with a known better answer: it measures how "
            "carefully votes are cast and is left out of the leaderboard."
        )
    # Translators: %(reason)s is an operator's reason, stored in English.
    return _("This battle is left out of the leaderboard: %(reason)s.") % {"reason": reason}


def _limit_words(*, points: int, cap: int, at) -> str:
    """Why a vote earned less than its weight gives: the daily points limit of
    its own UTC day (a vote of an earlier day, in My votes or topped up on
    appeal, was not held back by today's)."""
    day = rules.day_window(at)[0].date() if at is not None else None
    if day is None or day == rules.day_window(timezone.now())[0].date():
        if points == 0:
            return ngettext(
                "You reached today's limit of %(cap)d point; votes earn again after midnight UTC.",
                "You reached today's limit of %(cap)d points; votes earn again after midnight UTC.",
                cap,
            ) % {"cap": cap}
        return ngettext(
            "Only %(points)d fit under today's limit of %(cap)d point.",
            "Only %(points)d fit under today's limit of %(cap)d points.",
            cap,
        ) % {"points": points, "cap": cap}
    when = date_format(day, "DATE_FORMAT")
    if points == 0:
        return ngettext(
            "The limit of %(cap)d point a day was already reached on %(day)s (UTC), "
            "the day of this vote.",
            "The limit of %(cap)d points a day was already reached on %(day)s (UTC), "
            "the day of this vote.",
            cap,
        ) % {"cap": cap, "day": when}
    return ngettext(
        "Only %(points)d fit under the limit of %(cap)d point a day on %(day)s (UTC), "
        "the day of this vote.",
        "Only %(points)d fit under the limit of %(cap)d points a day on %(day)s (UTC), "
        "the day of this vote.",
        cap,
    ) % {"points": points, "cap": cap, "day": when}


def _reduced_words(*, full: int, base: int, weight: float, speed: float) -> str:
    """Why a counted vote earned less than full points, naming what cost them:
    its reading speed, the voter's reliability score, or both (weight = speed
    share x reliability share)."""
    speed = min(1.0, max(0.0, speed))
    slow_enough = speed >= 0.995
    reliable = speed > 0 and weight / speed >= 0.995
    values = {
        "full": full,
        "base": base,
        "weight": floatformat(weight, 2),
        "speed": round(100 * speed),
        "reliability": round(100 * weight / speed) if speed > 0 else 0,
    }
    if not slow_enough and reliable:
        return (
            ngettext(
                "It earns %(full)d of %(base)d point (weight %(weight)s): you decided before the "
                "time it takes to read both answers, and such a vote keeps %(speed)d%% of its "
                "points. Reading both answers earns full points.",
                "It earns %(full)d of %(base)d points (weight %(weight)s): you decided before the "
                "time it takes to read both answers, and such a vote keeps %(speed)d%% of its "
                "points. Reading both answers earns full points.",
                base,
            )
            % values
        )
    if slow_enough:
        return (
            ngettext(
                "It earns %(full)d of %(base)d point (weight %(weight)s): your reliability score "
                "is below the level for full points, so your votes keep %(reliability)d%% of "
                "them. Careful votes on the check battles raise it.",
                "It earns %(full)d of %(base)d points (weight %(weight)s): your reliability score "
                "is below the level for full points, so your votes keep %(reliability)d%% of "
                "them. Careful votes on the check battles raise it.",
                base,
            )
            % values
        )
    return (
        ngettext(
            "It earns %(full)d of %(base)d point (weight %(weight)s): you decided before the time "
            "it takes to read both answers (it keeps %(speed)d%%), and your reliability score is "
            "below the level for full points (it keeps %(reliability)d%%). Reading both answers "
            "and careful votes on the check battles raise it.",
            "It earns %(full)d of %(base)d points (weight %(weight)s): you decided before the time "
            "it takes to read both answers (it keeps %(speed)d%%), and your reliability score is "
            "below the level for full points (it keeps %(reliability)d%%). Reading both answers "
            "and careful votes on the check battles raise it.",
            base,
        )
        % values
    )


# Where a vote's words send the voter to ask for a review of it: the reveal after
# the vote points to My votes (REVIEW_IN_MY_VOTES); My votes itself points to
# the form at its top (REVIEW_ABOVE), or, while an appeal is waiting there and
# no other can be sent, says nothing of it (REVIEW_WAITING).
REVIEW_IN_MY_VOTES, REVIEW_ABOVE, REVIEW_WAITING = "in_my_votes", "above", "waiting"
_REVIEW_WORDS = {
    "wrong": {
        REVIEW_IN_MY_VOTES: gettext_lazy(
            "If you think that is wrong, ask for a review in My votes."
        ),
        REVIEW_ABOVE: gettext_lazy(
            "If you think that is wrong, ask for a review at the top of this page."
        ),
        REVIEW_WAITING: "",
    },
    "either": {
        REVIEW_IN_MY_VOTES: gettext_lazy(
            "It earns no points either; you can ask for a review in My votes."
        ),
        REVIEW_ABOVE: gettext_lazy(
            "It earns no points either; you can ask for a review at the top of this page."
        ),
        REVIEW_WAITING: gettext_lazy("It earns no points either."),
    },
    "flagged": {
        REVIEW_IN_MY_VOTES: gettext_lazy(
            "It earns no points because your account is flagged; you can ask for a review "
            "in My votes."
        ),
        REVIEW_ABOVE: gettext_lazy(
            "It earns no points because your account is flagged; you can ask for a review "
            "at the top of this page."
        ),
        REVIEW_WAITING: gettext_lazy("It earns no points because your account is flagged."),
    },
}


def _review_words(which: str, review: str) -> str:
    return str(_REVIEW_WORDS[which][review])


@dataclass(frozen=True)
class VoteOutcome:
    """What one vote earned and counted for, and why in plain words."""

    state: str  # "pending" (not folded in yet) or "folded"
    points: int
    weight: float | None
    counted: bool
    reason: str

    @classmethod
    def pending(cls, *, review: str = REVIEW_IN_MY_VOTES) -> "VoteOutcome":
        return cls(
            state="pending",
            points=0,
            weight=None,
            counted=True,
            reason=_("Your points are being worked out; they appear in My votes within a minute.")
            if review == REVIEW_IN_MY_VOTES
            else _("Your points are being worked out; they appear here within a minute."),
        )

    @classmethod
    def of(
        cls,
        *,
        points,
        weight,
        excluded: bool,
        exclusion_reason: str,
        at=None,
        speed=None,
        review: str = REVIEW_IN_MY_VOTES,
    ) -> "VoteOutcome":
        """``at``: when the vote was cast; its UTC day is the one whose points
        limit it counts against (said as "today's" only when that is today).
        ``speed``: the part of ``weight`` its reading speed made (the rest is the
        reliability score's), when the fold kept it; None for older votes.
        ``review``: where the words send the voter to ask for a review (see
        ``REVIEW_IN_MY_VOTES``)."""

        points = int(points or 0)
        base = rules.points_per_vote()
        w = 1.0 if weight is None else float(weight)
        full = rules.points_for(w) if base else 0
        reasons = []
        if excluded:
            reasons.append(exclusion_words(exclusion_reason))
        too_fast = excluded and exclusion_reason.startswith(IMPOSSIBLE_REASON)
        if base == 0:
            reasons.append(_("Votes earn no points on this server."))
        elif w <= 0 and too_fast:
            pass  # its exclusion's words say why it earns nothing (not the reliability score)
        elif w <= 0:
            reasons.append(
                _review_words("either", review)
                if excluded and _cast_while_flagged(exclusion_reason)
                else _review_words("flagged", review)
                if excluded and exclusion_reason.startswith("unreliable voter")
                else _(
                    "It earns no points because your reliability score is at the lowest level "
                    "that still counts."
                )
            )
        elif w < 1 and speed is not None:
            reasons.append(_reduced_words(full=full, base=base, weight=w, speed=float(speed)))
            reasons.append(_review_words("wrong", review))
        elif w < 1:
            reasons.append(
                ngettext(
                    "It earns %(full)d of %(base)d point (weight %(weight)s): a vote quicker "
                    "than reading both answers, or a reliability score below full points, earns "
                    "a smaller share. Reading both answers and careful votes on the check "
                    "battles raise it.",
                    "It earns %(full)d of %(base)d points (weight %(weight)s): a vote quicker "
                    "than reading both answers, or a reliability score below full points, earns "
                    "a smaller share. Reading both answers and careful votes on the check "
                    "battles raise it.",
                    base,
                )
                % {"full": full, "base": base, "weight": floatformat(w, 2)}
            )
            reasons.append(_review_words("wrong", review))
        if base and points < full:
            reasons.append(_limit_words(points=points, cap=rules.daily_cap(), at=at))
        return cls(
            state="folded",
            points=points,
            weight=None if weight is None else round(float(weight), 3),
            counted=not excluded,
            reason=" ".join(r for r in reasons if r),
        )

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "points": self.points,
            "weight": self.weight,
            "counted": self.counted,
            "reason": self.reason,
        }


def vote_outcome(*, vote: Vote, battle: Battle, review: str = REVIEW_IN_MY_VOTES) -> VoteOutcome:
    if vote.folded_at is None:
        return VoteOutcome.pending(review=review)
    return VoteOutcome.of(
        points=vote.points,
        weight=vote.weight,
        excluded=battle.excluded,
        exclusion_reason=battle.exclusion_reason,
        at=vote.created_at,
        speed=vote.speed_weight,
        review=review,
    )


MY_VOTES_PAGE_SIZE = 25


def my_votes_page(
    *, user, page: int = 1, page_size: int = MY_VOTES_PAGE_SIZE, review: str = REVIEW_ABOVE
) -> dict:
    """A page of the voter's votes, newest first, each with what it earned and why
    (``review``: what the words say of asking for a review, see ``REVIEW_ABOVE``)."""
    qs = (
        Vote.objects.filter(battle__voter=user)
        .select_related(
            "battle__prompt", "battle__model_a__organization", "battle__model_b__organization"
        )
        .order_by("-created_at", "-battle_id")
    )
    total = qs.count()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = []
    for vote in qs[(page - 1) * page_size : page * page_size]:
        battle = vote.battle
        rows.append(
            {
                "battle_id": str(battle.id),
                "prompt": battle.prompt.text,
                "prompt_plain": _prompt_plain(battle.prompt.text),
                "category": battle.prompt.category,
                "model_a": ModelIdentity.of(battle.model_a),
                "model_b": ModelIdentity.of(battle.model_b),
                "choice": vote.choice,
                "choice_label": str(Vote.Choice(vote.choice).label),
                "at": vote.created_at,
                "outcome": vote_outcome(vote=vote, battle=battle, review=review),
                # A check battle stays out of the leaderboard but pays as usual.
                "check": battle.excluded and battle.exclusion_reason == GOLD_REASON,
            }
        )
    return {"rows": rows, "page": page, "pages": pages, "total": total}


# The automatic judgements on single folded votes an appeal can undo (on Vote):
# a counted vote (a gold check earns as usual) that earned less than full
# points, and a vote left out for an impossible speed.
VOTE_DISCOUNTED = Q(weight__lt=1) & (
    Q(battle__excluded=False) | Q(battle__exclusion_reason=GOLD_REASON)
)
VOTE_TOO_FAST = Q(battle__excluded=True, battle__exclusion_reason__startswith=IMPOSSIBLE_REASON)
# The prefix of the reason of a battle left out because its voter was excluded
# as unreliable (``evals.quality.services.voter_exclude`` and the fold).
UNRELIABLE_PREFIX = "unreliable voter"
# A vote cast while its voter was excluded (the fold's words; ``quality.services``).
EXCLUDED_EARLIER = f"{UNRELIABLE_PREFIX}: excluded earlier"
# A vote left out because its voter was excluded. While the voter still is, it
# is part of their flag; after an appeal that covered only the votes before it
# was sent (see ``appeal_scope``), it is a judgement of its own to appeal.
VOTE_LEFT_OUT = Q(battle__excluded=True, battle__exclusion_reason__startswith=UNRELIABLE_PREFIX)
NO_DISCOUNTS = {"discounted": 0, "too_fast": 0, "left_out": 0}


def vote_discounts(*, user_ids) -> dict[int, dict]:
    """Per voter, how many folded votes are ``discounted``, ``too_fast`` and
    ``left_out`` (see ``VOTE_DISCOUNTED``, ``VOTE_TOO_FAST``, ``VOTE_LEFT_OUT``).
    Voters with none are left out."""
    rows = (
        Vote.objects.filter(battle__voter_id__in=list(user_ids), folded_at__isnull=False)
        .values("battle__voter_id")
        .annotate(
            discounted=Count("pk", filter=VOTE_DISCOUNTED),
            too_fast=Count("pk", filter=VOTE_TOO_FAST),
            left_out=Count("pk", filter=VOTE_LEFT_OUT),
        )
        .order_by()
    )
    return {
        r["battle__voter_id"]: {k: r[k] for k in NO_DISCOUNTS}
        for r in rows
        if r["discounted"] or r["too_fast"] or r["left_out"]
    }


def voter_flag_status(*, user) -> dict | None:
    """The automatic judgements on the voter in plain words: their flags (the
    quality rules' ``voter_standing``), the votes that earned less or were left
    out for speed, and their latest appeal; None when there is nothing to tell."""

    standing = voter_standing(user=user)
    current = VoterReliability.objects.filter(user=user).values_list("flags", flat=True).first()
    # Flag rows are kept as the record after a cleared appeal: show only the flags
    # the voter still carries, each once (newest first).
    live, seen = [], set()
    for flag in standing["flags"]:
        if flag["reason"] in (current or []) and flag["reason"] not in seen:
            seen.add(flag["reason"])
            live.append(flag)
    standing["live_flags"] = live
    appeal = VoterAppeal.objects.filter(user=user).order_by("-created_at", "-id").first()
    flagged = standing["status"] == "excluded" or bool(live)
    votes = vote_discounts(user_ids=[user.pk]).get(user.pk, NO_DISCOUNTS)
    discounted = not flagged and bool(votes["discounted"] or votes["too_fast"] or votes["left_out"])
    if not (flagged or discounted) and (appeal is None or appeal.status == VoterAppeal.Status.OPEN):
        return None
    return {
        "excluded": standing["status"] == "excluded",
        "flagged": flagged,
        "discounted": discounted,
        "summary": standing["summary"] if flagged else discount_words(standing, votes),
        "flags": standing["live_flags"] if flagged else [],
        "appeal": appeal,
        "appeal_covers": _appeal_covers_words(appeal),
        "can_appeal": (flagged or discounted)
        and (appeal is None or appeal.status != VoterAppeal.Status.OPEN),
    }


def discount_words(standing: dict, votes: dict) -> str:
    """What an unflagged voter can appeal, in plain words."""
    parts = []
    if standing["status"] == "reduced":
        parts.append(str(standing["summary"]))
    if votes["discounted"]:
        parts.append(
            ngettext(
                "%(n)d of your votes earned less than full points (a decision quicker than "
                "reading both answers, or a reliability score below full points).",
                "%(n)d of your votes earned less than full points (a decision quicker than "
                "reading both answers, or a reliability score below full points).",
                votes["discounted"],
            )
            % {"n": votes["discounted"]}
        )
    if votes["too_fast"]:
        parts.append(
            ngettext(
                "%(n)d vote was not counted because it came faster than anyone can look at "
                "two answers.",
                "%(n)d votes were not counted because they came faster than anyone can look "
                "at two answers.",
                votes["too_fast"],
            )
            % {"n": votes["too_fast"]}
        )
    if votes.get("left_out"):
        parts.append(
            ngettext(
                "%(n)d vote is still not counted: you cast it while your votes were excluded, "
                "after you had sent your appeal, and the decision on the appeal covered only "
                "the votes cast before it was sent.",
                "%(n)d votes are still not counted: you cast them while your votes were "
                "excluded, after you had sent your appeal, and the decision on the appeal "
                "covered only the votes cast before it was sent.",
                votes["left_out"],
            )
            % {"n": votes["left_out"]}
        )
    parts.append(
        _(
            "If you think a judgement was wrong, ask for a review: an operator reads the "
            "evidence and can restore the full points."
        )
    )
    return " ".join(parts)


def _when(at) -> str:
    return date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


def _appeal_covers_words(appeal) -> str:
    """What the voter's latest appeal covers (open) or covered (cleared), in plain words."""
    if appeal is None or appeal.status == VoterAppeal.Status.UPHELD:
        return ""
    if appeal.status == VoterAppeal.Status.OPEN:
        return _(
            "The review covers your votes up to then; votes you cast later are not part of it."
        )
    words = _(
        "The decision covered your votes up to %(when)s, when you sent the appeal; votes you "
        "cast after that were not part of it."
    ) % {"when": _when(appeal.created_at)}
    if appeal.votes_restored:
        words += " " + ngettext(
            "%(n)d vote that was left out counts again.",
            "%(n)d votes that were left out count again.",
            appeal.votes_restored,
        ) % {"n": appeal.votes_restored}
    return words


# --- what a decision on an appeal covers --------------------------------------------


@dataclass(frozen=True)
class AppealScope:
    """What an operator's decision on an appeal covers: the judgements on the
    voter's votes as they stood when the appeal was sent, that is the votes
    cast at or before ``until``. Later judgements are not part of it (the
    operator never saw them): they stay, and the voter can appeal them in turn."""

    user_id: int
    until: datetime
    # When the voter was excluded, if that came after the appeal was sent: the
    # exclusion stays, with the votes it leaves out (None: none such).
    exclusion_stays: datetime | None


def appeal_scope(*, appeal, rel=None) -> AppealScope:
    """The scope of a decision on ``appeal``; ``rel`` is the voter's reliability row
    when the caller holds it (locked, in the decision), else it is read."""
    if rel is None:
        rel = VoterReliability.objects.filter(user_id=appeal.user_id).first()
    later = (
        rel is not None
        and rel.excluded
        and rel.excluded_at is not None
        and rel.excluded_at > appeal.created_at
    )
    return AppealScope(
        user_id=appeal.user_id,
        until=appeal.created_at,
        exclusion_stays=rel.excluded_at if later else None,
    )


def appeal_left_out(*, scope: AppealScope):
    """The voter's battles left out by an automatic judgement that clearing the
    appeal undoes: voted at or before ``scope.until``, left out for an impossible
    speed or because the voter was excluded (unless an exclusion that came later
    stays: then every vote of theirs stays out of the leaderboard)."""
    reasons = Q(exclusion_reason__startswith=IMPOSSIBLE_REASON)
    if scope.exclusion_stays is None:
        reasons |= Q(exclusion_reason__startswith=UNRELIABLE_PREFIX)
    return Battle.objects.filter(
        reasons,
        voter_id=scope.user_id,
        status=Battle.Status.REVEALED,
        excluded=True,
        vote__created_at__lte=scope.until,
    )


def appeal_discounted(*, scope: AppealScope):
    """The voter's folded votes cast at or before ``scope.until`` that earned less
    than full points (``VOTE_DISCOUNTED``): clearing the appeal tops them up."""
    return Vote.objects.filter(
        VOTE_DISCOUNTED,
        battle__voter_id=scope.user_id,
        folded_at__isnull=False,
        created_at__lte=scope.until,
    )


@dataclass(frozen=True)
class AppealCoverage:
    """What a decision on an appeal covers, counted now (see ``appeals_coverage``)."""

    scope: AppealScope
    left_out: int  # votes left out because the voter was excluded
    too_fast: int  # votes left out for an impossible speed
    discounted: int  # counted votes that earned less than full points
    later: int  # votes cast after the appeal was sent, left out or discounted: not covered


def appeals_coverage(*, appeals, rels: dict | None = None) -> dict[int, AppealCoverage]:
    """By appeal id, what a decision on each appeal covers: two queries whatever
    the number of appeals (one when the voters' reliability rows are given)."""
    appeals = list(appeals)
    if not appeals:
        return {}
    if rels is None:
        rels = {
            r.user_id: r
            for r in VoterReliability.objects.filter(user_id__in={a.user_id for a in appeals})
        }
    out = {}
    by_user: dict[int, list] = {}
    for a in appeals:
        by_user.setdefault(a.user_id, []).append(a)
    # One grouped read per distinct cut-off a voter has (nearly always one: the
    # admin page reads one appeal, the dashboard one open appeal per voter).
    while by_user:
        batch = {u: items.pop() for u, items in by_user.items()}
        by_user = {u: items for u, items in by_user.items() if items}
        scopes = {u: appeal_scope(appeal=a, rel=rels.get(u)) for u, a in batch.items()}
        until = Case(
            *[When(battle__voter_id=u, then=Value(sc.until)) for u, sc in scopes.items()],
            output_field=DateTimeField(),
        )
        covered = Q(created_at__lte=F("until"))
        rows = (
            Vote.objects.filter(battle__voter_id__in=list(scopes), folded_at__isnull=False)
            .annotate(until=until)
            .values("battle__voter_id")
            .annotate(
                left_out=Count("pk", filter=VOTE_LEFT_OUT & covered),
                too_fast=Count("pk", filter=VOTE_TOO_FAST & covered),
                discounted=Count("pk", filter=VOTE_DISCOUNTED & covered),
                later=Count(
                    "pk",
                    filter=(VOTE_LEFT_OUT | VOTE_TOO_FAST | VOTE_DISCOUNTED)
                    & Q(created_at__gt=F("until")),
                ),
            )
            .order_by()
        )
        counts = {r["battle__voter_id"]: r for r in rows}
        for u, a in batch.items():
            r = counts.get(u, {})
            out[a.pk] = AppealCoverage(
                scope=scopes[u],
                left_out=r.get("left_out", 0),
                too_fast=r.get("too_fast", 0),
                discounted=r.get("discounted", 0),
                later=r.get("later", 0),
            )
    return out


def appeal_coverage_words(*, appeal, coverage: AppealCoverage) -> list[str]:
    """For the operator: which votes a decision on ``appeal`` covers, sentence by sentence."""
    until = _when(coverage.scope.until)
    if appeal.status != VoterAppeal.Status.OPEN:
        lines = [
            _(
                "The decision covered the votes cast up to %(until)s, when the voter sent "
                "the appeal."
            )
            % {"until": until}
        ]
        if appeal.status == VoterAppeal.Status.CLEARED:
            lines.append(
                ngettext(
                    "%(n)d vote counted again, %(points)d points credited.",
                    "%(n)d votes counted again, %(points)d points credited.",
                    appeal.votes_restored,
                )
                % {"n": appeal.votes_restored, "points": appeal.points_credited}
            )
        return lines
    stays = coverage.scope.exclusion_stays
    lines = [
        _(
            "A decision covers the votes cast up to %(until)s, when the voter sent the "
            "appeal; judgements on later votes are not part of it."
        )
        % {"until": until}
    ]
    if coverage.left_out and stays is None:
        lines.append(
            ngettext(
                "Clearing counts again %(n)d vote left out because the voter was excluded.",
                "Clearing counts again %(n)d votes left out because the voter was excluded.",
                coverage.left_out,
            )
            % {"n": coverage.left_out}
        )
    if coverage.too_fast:
        lines.append(
            ngettext(
                "Clearing restores %(n)d vote left out for an impossible speed.",
                "Clearing restores %(n)d votes left out for an impossible speed.",
                coverage.too_fast,
            )
            % {"n": coverage.too_fast}
        )
    if coverage.discounted:
        lines.append(
            ngettext(
                "Clearing tops up %(n)d vote that earned less than full points.",
                "Clearing tops up %(n)d votes that earned less than full points.",
                coverage.discounted,
            )
            % {"n": coverage.discounted}
        )
    if stays is not None:
        lines.append(
            _(
                "The voter was excluded on %(when)s, after sending the appeal: clearing "
                "does not lift that exclusion, and their votes stay out of the leaderboard "
                "while it stands (the voter can appeal it)."
            )
            % {"when": _when(stays)}
        )
    if coverage.later:
        lines.append(
            ngettext(
                "Not covered: %(n)d vote cast after the appeal was sent that is left out or "
                "earned less stays as it is.",
                "Not covered: %(n)d votes cast after the appeal was sent that are left out or "
                "earned less stay as they are.",
                coverage.later,
            )
            % {"n": coverage.later}
        )
    return lines


def skips_since(*, user, since) -> int:
    """Battles the voter skipped that were served since ``since``."""
    return Battle.objects.filter(
        voter=user, status=Battle.Status.SKIPPED, served_at__gte=since
    ).count()


def voter_skip_rates(*, min_skips: int = 5, limit: int = 50) -> list[dict]:
    """Voters by share of served stored battles skipped (for operators): a high rate
    can mean fishing for a favourite model."""
    from django.db.models import Q

    rows = (
        Battle.objects.filter(mode=Battle.Mode.STORED)
        .values("voter_id", "voter__username")
        .annotate(
            skipped=Count("pk", filter=Q(status=Battle.Status.SKIPPED)),
            served=Count("pk"),
        )
        .filter(skipped__gte=min_skips)
        .order_by("-skipped")[: limit * 4]
    )
    out = [
        {
            "user_id": r["voter_id"],
            "username": r["voter__username"],
            "skipped": r["skipped"],
            "served": r["served"],
            "rate": r["skipped"] / r["served"],
        }
        for r in rows
    ]
    out.sort(key=lambda r: (-r["rate"], -r["skipped"]))
    return out[:limit]


def appeals_for_review(*, limit: int = 50) -> dict:
    """Open appeals (oldest first, with the voter's flags and discounted votes) and
    the latest decisions."""

    open_ = list(
        VoterAppeal.objects.filter(status=VoterAppeal.Status.OPEN)
        .select_related("user")
        .order_by("created_at", "id")[:limit]
    )
    users = [a.user_id for a in open_]
    rels = {r.user_id: r for r in VoterReliability.objects.filter(user_id__in=users)}
    flags: dict[int, list] = {}
    for f in VoterFlag.objects.filter(user_id__in=users).order_by("created_at", "id"):
        flags.setdefault(f.user_id, []).append(f)
    discounts = vote_discounts(user_ids=users)
    coverage = appeals_coverage(appeals=open_, rels=rels)
    for a in open_:
        a.reliability = rels.get(a.user_id)
        a.flag_rows = flags.get(a.user_id, [])
        a.discounts = discounts.get(a.user_id, {})
        a.coverage_words = appeal_coverage_words(appeal=a, coverage=coverage[a.pk])
    decided = list(
        VoterAppeal.objects.exclude(status=VoterAppeal.Status.OPEN)
        .select_related("user", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )
    return {"open": open_, "decided": decided}


def battle_prompt_texts(*, battle_ids) -> dict[str, str]:
    """The prompt text of each battle, by battle id as a string (ids that are
    not UUIDs or not battles are left out): what a ledger line's vote was about."""
    valid = []
    for raw in battle_ids:
        try:
            valid.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not valid:
        return {}
    rows = Battle.objects.filter(id__in=valid).values_list("id", "prompt__text")
    return {str(battle_id): text for battle_id, text in rows}


@dataclass(frozen=True, slots=True)
class DatasetBattle:
    """One counted battle as a dataset version reads it (see ``dataset_battles``)."""

    battle_id: uuid.UUID
    voted_at: object  # datetime
    voter_id: int
    voter_public_id: uuid.UUID
    mode: str
    prompt_id: int
    prompt: str
    category: str
    language: str
    model_a: str
    model_b: str
    answer_a_id: int
    answer_b_id: int
    response_a: str
    response_b: str
    choice: str
    reasons: list


def _dataset_battles_qs(
    *,
    categories=(),
    languages=(),
    model_slugs=(),
    voted_from=None,
    voted_until=None,
    modes=("stored", "live"),
):
    qs = Battle.objects.filter(
        status=Battle.Status.REVEALED,
        excluded=False,
        answer_a__isnull=False,
        answer_b__isnull=False,
        vote__folded_at__isnull=False,
        mode__in=list(modes),
    )
    # A model in pre-release testing keeps its standing private until disclosure:
    # its battles join a dataset only once it is released or withdrawn.
    testing = EvalModel.Prerelease.TESTING
    qs = qs.exclude(model_a__prerelease=testing).exclude(model_b__prerelease=testing)
    if categories:
        qs = qs.filter(prompt__category__in=list(categories))
    if languages:
        qs = qs.filter(prompt__language__in=list(languages))
    if model_slugs:
        qs = qs.filter(model_a__slug__in=list(model_slugs), model_b__slug__in=list(model_slugs))
    if voted_from is not None:
        qs = qs.filter(voted_at__gte=voted_from)
    if voted_until is not None:
        qs = qs.filter(voted_at__lt=voted_until)
    return qs


def dataset_battles_count(**filters) -> int:
    """How many counted battles ``dataset_battles`` would give for these filters."""
    return _dataset_battles_qs(**filters).count()


def dataset_battles(
    *,
    categories=(),
    languages=(),
    model_slugs=(),
    voted_from=None,
    voted_until=None,
    modes=("stored", "live"),
    chunk: int = 2000,
):
    """Counted battles for a dataset version, oldest vote first, in lists of ``chunk``.

    Counted: voted and revealed, not excluded, the vote folded (its voter's
    reliability and exclusions applied), both answers stored, neither model in
    pre-release testing. Empty filters mean
    any; ``model_slugs`` keeps battles whose two models are both listed. Texts
    are read with the row (a version is frozen once; no cache to go stale).
    """
    qs = _dataset_battles_qs(
        categories=categories,
        languages=languages,
        model_slugs=model_slugs,
        voted_from=voted_from,
        voted_until=voted_until,
        modes=modes,
    )
    fields = (
        "id",
        "voted_at",
        "voter_id",
        "voter__public_id",
        "mode",
        "prompt_id",
        "prompt__text",
        "prompt__category",
        "prompt__language",
        "model_a__slug",
        "model_b__slug",
        "answer_a_id",
        "answer_b_id",
        "answer_a__text",
        "answer_b__text",
        "vote__choice",
        "vote__reasons",
    )
    out = []
    for values in qs.order_by("voted_at", "id").values_list(*fields).iterator(chunk_size=chunk):
        out.append(DatasetBattle(*values))
        if len(out) == chunk:
            yield out
            out = []
    if out:
        yield out


def models_in_testing_ids() -> list[int]:
    """Ids of the models in pre-release testing: public standings leave them out."""
    return list(
        EvalModel.objects.filter(prerelease=EvalModel.Prerelease.TESTING).values_list(
            "id", flat=True
        )
    )


def models_in_testing_by_organization() -> dict[str, int]:
    """How many models each organisation has in pre-release testing (public, by name)."""
    rows = (
        EvalModel.objects.filter(prerelease=EvalModel.Prerelease.TESTING)
        .values("organization__name")
        .annotate(n=Count("id"))
        .order_by("organization__name")
    )
    return {r["organization__name"]: r["n"] for r in rows}


def models_in_testing_slugs() -> set[str]:
    """Slugs of the models in pre-release testing: no public page may name them."""
    return set(
        EvalModel.objects.filter(prerelease=EvalModel.Prerelease.TESTING).values_list(
            "slug", flat=True
        )
    )
