"""Writes for evals: models, prompts, answers, battles and votes."""

import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from datafi.api import ApiError
from evals import catalogue, identity, markdown, sampler, selectors
from evals import languages as voter_langs
from evals.models import (
    Answer,
    Battle,
    BattleSampling,
    Category,
    EvalModel,
    PairStat,
    Prompt,
    Vote,
    VoterPreference,
)
from evals.quality import limits as quality_limits
from evals.quality import services as quality
from evals.quality.models import VoterAppeal, VoterFlag, VoterReliability

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def token_count_estimate(text: str) -> int:
    """Words and punctuation marks: a tokenizer-free stand-in for stored answers."""
    return len(_TOKEN_RE.findall(text))


def model_upsert(
    *, name: str, organization, description: str = "", status: str = EvalModel.Status.ACTIVE
) -> EvalModel:
    """Create or update a model under evaluation, keyed by its slug.

    Operators' path (commands, demo data): a model it creates is approved, with
    no reviewer recorded; providers register through the API and wait for review.
    """
    defaults = {
        "name": name,
        "organization": organization,
        "description": description,
        "status": status,
    }
    model, _created = EvalModel.objects.update_or_create(
        slug=slugify(name),
        defaults=defaults,
        create_defaults={
            **defaults,
            "approval": EvalModel.Approval.APPROVED,
            "approval_reason": "registered by an operator command",
            "reviewed_at": timezone.now(),
        },
    )
    selectors.model_identities_forget()  # other processes catch up within the TTL
    catalogue.catalogue_changed()
    return model


def prompt_upsert(
    *,
    key: str,
    text: str,
    category: str,
    language: str,
    source: str = Prompt.Source.OPERATOR,
) -> Prompt:
    """Create or update a prompt identified by a stable key."""
    if category not in Category.values:
        raise ApiError(
            "invalid_category", _("Unknown category %(category)s.") % {"category": repr(category)}
        )
    prompt, _created = Prompt.objects.update_or_create(
        key=key,
        defaults={"text": text, "category": category, "language": language, "source": source},
    )
    catalogue.catalogue_changed()
    return prompt


def answer_upsert(
    *, prompt: Prompt, model: EvalModel, text: str, latency_ms: int = 0, token_count=None
) -> Answer:
    """Store (or replace) a model's answer to a prompt, rendered once to safe HTML.

    An answer that names a model or provider is stored but withheld from voters.
    """
    answer, _created = Answer.objects.update_or_create(
        prompt=prompt,
        model=model,
        defaults={
            "text": text,
            "html": markdown.render(text),
            "withheld_reason": identity.withheld_reason(text, identity.leak_pattern(model)),
            "latency_ms": max(0, int(latency_ms)),
            "token_count": token_count_estimate(text) if token_count is None else token_count,
        },
    )
    catalogue.catalogue_changed()
    return answer


def pair_key(model_x_id: int, model_y_id: int) -> tuple[int, int]:
    """The unordered pair as (lower id, higher id): the key of PairStat and PairCount."""
    return (model_x_id, model_y_id) if model_x_id < model_y_id else (model_y_id, model_x_id)


def pair_stat_bump(model_x_id: int, model_y_id: int, *, voted: int):
    """Count voted battles in the sampler's pair statistics (any order of ids)."""
    lo, hi = pair_key(model_x_id, model_y_id)
    updated = PairStat.objects.filter(model_lo_id=lo, model_hi_id=hi).update(
        voted=F("voted") + voted
    )
    if not updated:
        # First vote of this pair. Two folds may race to create the row: the
        # unique constraint lets one win, the other retries the increment.
        try:
            with transaction.atomic():
                PairStat.objects.create(model_lo_id=lo, model_hi_id=hi, voted=voted)
        except IntegrityError:
            PairStat.objects.filter(model_lo_id=lo, model_hi_id=hi).update(voted=F("voted") + voted)


def _open_battle(user) -> Battle | None:
    return (
        Battle.objects.select_related("prompt", "answer_a", "answer_b")
        .filter(voter=user, status=Battle.Status.SERVED, mode=Battle.Mode.STORED)
        .first()
    )


def battle_serve(*, user, rng=None) -> Battle:
    """The voter's open battle, or a new one picked by the sampler.

    Raises ApiError(404) when there is nothing left to serve.
    """
    voter = sampler.voter_state(user)
    if voter.open_battle_id is not None:
        battle = _open_battle(user)
        if battle is not None:
            return battle
    try:
        pick = sampler.pick(user=user, rng=rng, voter=voter)
    except sampler.NothingToServe:
        read = [voter_langs.reader_name(code) for code in voter.languages]
        detail = (
            _(
                "No battle in the languages you read (%(languages)s) is available right now. "
                "Add a language you read at /arena/languages/, or come back later."
            )
            % {"languages": ", ".join(read)}
            if read
            else _("No battle is available right now.")
        )
        raise ApiError("nothing_to_serve", detail, status_code=404) from None
    try:
        with transaction.atomic():
            battle = Battle.objects.create(
                prompt=pick.prompt,
                answer_a=pick.answer_a,
                answer_b=pick.answer_b,
                model_a_id=pick.answer_a.model_id,
                model_b_id=pick.answer_b.model_id,
                voter=user,
                served_at=timezone.now(),
            )
            # No served-count bump: only the admin showed it, and it counts the
            # battles when it is read (PairStatAdmin); the serve stays two inserts.
            quality.battle_sampling_record(battle=battle, pick=pick)
    except IntegrityError:
        # Another request of the same voter opened a battle first (two tabs):
        # show that one, as the one-open-battle constraint intends.
        battle = _open_battle(user)
        if battle is None:
            raise
    return battle


@dataclass(frozen=True)
class Reveal:
    battle_id: object
    vote: Vote
    model_a_id: int
    model_b_id: int
    model_a: selectors.ModelIdentity
    model_b: selectors.ModelIdentity
    # What the vote earned, in plain words (None: not folded in yet, "pending").
    outcome: selectors.VoteOutcome | None = None

    def as_dict(self) -> dict:
        return {
            "battle": str(self.battle_id),
            "choice": self.vote.choice,
            "reasons": self.vote.reasons,
            "model_a": self.model_a.as_dict(),
            "model_b": self.model_b.as_dict(),
            "outcome": (self.outcome or selectors.VoteOutcome.pending()).as_dict(),
        }


def _validate_vote_input(choice, reasons) -> list[str]:
    if choice not in Vote.Choice.values:
        raise ApiError(
            "invalid_choice",
            # Translators: "choice" is the API field's name; the choices are API values.
            _("choice must be one of %(choices)s.") % {"choices": ", ".join(Vote.Choice.values)},
        )
    if reasons is None:
        return []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ApiError("invalid_reasons", _("reasons must be a list of tags."))
    unknown = sorted(set(reasons) - set(Vote.REASON_TAGS))
    if unknown:
        raise ApiError(
            "invalid_reasons",
            _("Unknown reason tags: %(unknown)s. Allowed: %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(Vote.REASON_TAGS)},
        )
    return sorted(set(reasons))


_BATTLE_TABLE = Battle._meta.db_table
# Only the table name (a constant) is formatted in; every value is a parameter.
_BATTLE_FLIP = (
    f"UPDATE {_BATTLE_TABLE} SET status = %s, voted_at = %s, revealed_at = %s "  # noqa: S608
    "WHERE id = %s AND voter_id = %s AND status = %s "
    "RETURNING mode, served_at, model_a_id, model_b_id"
)


def _battle_vote_refusal(*, user, battle_id) -> ApiError:
    """Why a battle did not flip: it does not exist, is someone else's, or is not open."""
    row = Battle.objects.filter(id=battle_id).values("voter_id", "status").first()
    if row is None:
        return ApiError("not_found", _("No such battle."), status_code=404)
    if row["voter_id"] != user.id:
        return ApiError("not_your_battle", _("This battle was served to someone else."), 403)
    if row["status"] == Battle.Status.REVEALED:
        return ApiError("already_voted", _("This battle already has a vote."), status_code=409)
    return ApiError(
        "battle_closed",
        # Translators: %(status)s is the battle's status as the API names it (e.g. "skipped").
        _("This battle is %(status)s and takes no vote.") % {"status": row["status"]},
        status_code=409,
    )


def _aware(value):
    """A timestamp read by a raw statement (SQLite returns text, PostgreSQL a datetime)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


@transaction.atomic(durable=True)
def vote_record(*, user, battle_id, choice: str, reasons=None, ip: str | None = None) -> Reveal:
    """Store the vote and flip the battle to revealed: the whole vote request.

    One vote per battle, only by its voter, only before reveal. One conditional
    UPDATE flips the battle: it takes the row lock, so concurrent submissions of
    the same vote queue on it, and only the first finds the battle still served
    (the others change nothing and get a 409, as does any vote the checks after
    it refuse: the rollback takes the flip back). The per-user and per-IP limits
    are counted in the same transaction. Everything else a vote causes (ratings
    counts, reliability, points) is folded in by ``votes_fold`` once this has
    committed, so the vote path stays a handful of statements.
    """
    reasons = _validate_vote_input(choice, reasons)
    try:
        battle_id = uuid.UUID(str(battle_id))
    except ValueError:
        raise ApiError("not_found", _("No such battle."), status_code=404) from None
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _BATTLE_FLIP,
            [
                Battle.Status.REVEALED,
                adapt(now),
                adapt(now),
                Battle._meta.pk.get_db_prep_value(battle_id, connection),
                user.id,
                Battle.Status.SERVED,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        raise _battle_vote_refusal(user=user, battle_id=battle_id)
    mode, served_at, model_a_id, model_b_id = row
    if mode == Battle.Mode.LIVE:
        from evals.live import live_vote_guard  # here: evals.live imports this module

        live_vote_guard(battle_id=battle_id)  # open once both answers finished
    # Over a per-user or per-IP limit: 429, and the rollback takes the count back.
    quality.vote_limits_consume(user=user, ip=ip, now=now)
    vote = Vote(
        battle_id=battle_id,
        choice=choice,
        reasons=reasons,
        time_to_vote_ms=max(0, int((now - _aware(served_at)).total_seconds() * 1000)),
        created_at=now,
        network=quality_limits.network_key(ip) or "",
    )
    vote.save(force_insert=True)
    identities = selectors.model_identities([model_a_id, model_b_id])
    return Reveal(
        battle_id=battle_id,
        vote=vote,
        model_a_id=model_a_id,
        model_b_id=model_b_id,
        model_a=identities[model_a_id],
        model_b=identities[model_b_id],
    )


# --- the fold's evals side (datafi.flows.fold composes it with quality, ratings, rewards) --

_VOTE_FOLDED = (
    f"UPDATE {Vote._meta.db_table} SET folded_at = %s, weight = %s, points = %s, "  # noqa: S608
    "speed_weight = %s WHERE battle_id = %s"
)


def votes_claim(*, limit: int) -> list[Vote]:
    """Lock up to ``limit`` unfolded votes, oldest first, with their battles.

    Votes another fold holds are skipped (SKIP LOCKED), so folds never wait on
    each other. Call it inside the fold's transaction.
    """
    return list(
        Vote.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related(
            "battle__prompt",
            "battle__answer_a",
            "battle__answer_b",
            "battle__sampling__gold_pair",
        )
        .filter(folded_at__isnull=True)
        .order_by("created_at", "battle_id")[:limit]
    )


def votes_pair_stats_record(*, votes) -> None:
    """Count the claimed votes in the sampler's pair statistics, in key order."""
    pairs = Counter(pair_key(v.battle.model_a_id, v.battle.model_b_id) for v in votes)
    for (lo, hi), n in sorted(pairs.items()):
        pair_stat_bump(lo, hi, voted=n)
    # A process that folds (VOTE_FOLD=inline) serves from the new counts at once.
    sampler.vote_counts_forget()


def votes_mark_folded(*, votes, now, weights: dict, points: dict, speeds: dict = None) -> None:
    """Mark the claimed votes folded, each with its own weight, points and the
    part of the weight its reading speed made (``speeds``)."""
    speeds = speeds or {}
    adapt = connection.ops.adapt_datetimefield_value
    pk_prep = Vote._meta.pk.target_field.get_db_prep_value
    with connection.cursor() as cursor:
        # One statement run once per vote (test_raw_sql checks it writes what it must).
        cursor.executemany(
            _VOTE_FOLDED,
            [
                [adapt(now), weights.get(v.battle_id), points.get(v.battle_id, 0),
                 speeds.get(v.battle_id), pk_prep(v.battle_id, connection)]
                for v in votes
            ],
        )  # fmt: skip


# --- skip -------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def battle_skip(*, user, battle_id) -> None:
    """Close the voter's open stored battle unjudged: recorded, never counted, paid or revealed.

    At most ARENA_SKIPS_PER_DAY skips in 24 hours: skipping until a favourite
    model comes up would otherwise let a voter choose which battles they judge.
    """
    try:
        battle_id = uuid.UUID(str(battle_id))
    except ValueError:
        raise ApiError("not_found", _("No such battle."), status_code=404) from None
    now = timezone.now()
    limit = settings.ARENA_SKIPS_PER_DAY
    if selectors.skips_since(user=user, since=now - timedelta(days=1)) >= limit:
        raise ApiError(
            "skip_limit",
            ngettext(
                "You can skip %(limit)d battle a day; please judge this one or come back later.",
                "You can skip %(limit)d battles a day; please judge this one or come back later.",
                limit,
            )
            % {"limit": limit},
            status_code=429,
        )
    # Conditional update: only an open stored battle of this voter flips, once.
    changed = Battle.objects.filter(
        id=battle_id, voter=user, status=Battle.Status.SERVED, mode=Battle.Mode.STORED
    ).update(status=Battle.Status.SKIPPED)
    if not changed:
        if Battle.objects.filter(
            id=battle_id, voter=user, status=Battle.Status.SERVED, mode=Battle.Mode.LIVE
        ).exists():
            # Open, but live: the voter's own question is judged or left, not skipped.
            raise ApiError(
                "live_battle",
                _(
                    "A live battle cannot be skipped: vote on it, or leave it and ask "
                    "another question."
                ),
                409,
            )
        refusal = _battle_vote_refusal(user=user, battle_id=battle_id)
        if refusal.code == "battle_closed" and refusal.status_code == 409:
            raise ApiError("battle_closed", _("Only an open battle can be skipped."), 409)
        raise refusal


# --- appeals ----------------------------------------------------------------------------


def appeal_create(*, user, message: str):
    """A voter asks an operator to review the automatic judgements on them: a
    flag or exclusion, votes that earned less than full points, votes left out
    for an impossible speed."""
    if not isinstance(message, str) or not message.strip():
        raise ApiError("invalid_message", _("Say in a few words why the judgement is wrong."))
    message = message.strip()
    if len(message) > VoterAppeal.MESSAGE_MAX:
        raise ApiError(
            "invalid_message",
            _("Keep the message under %(max)d characters.") % {"max": VoterAppeal.MESSAGE_MAX},
        )
    flagged = VoterReliability.objects.filter(user=user).filter(Q(excluded=True) | ~Q(flags=[]))
    if not flagged.exists() and not selectors.vote_discounts(user_ids=[user.pk]):
        raise ApiError(
            "nothing_to_appeal",
            _("Nothing to appeal: your account has no flag and every vote earned full points."),
            status_code=409,
        )
    try:
        with transaction.atomic():
            return VoterAppeal.objects.create(user=user, message=message, created_at=timezone.now())
    except IntegrityError:
        raise ApiError(
            "appeal_open", _("You already have an appeal waiting for review."), status_code=409
        ) from None


APPEAL_DECISIONS = ("clear", "uphold")
UNRELIABLE_PREFIX = selectors.UNRELIABLE_PREFIX
EXCLUDED_EARLIER = selectors.EXCLUDED_EARLIER


@dataclass(frozen=True)
class AppealDecision:
    """What an operator's decision changed in evals; the appeal flow counts and
    credits the restored votes (``datafi.flows.appeals``)."""

    appeal: object
    restored: list  # battles counted again (not gold checks), with their votes
    unpaid: list  # folded battles whose votes earned nothing
    topped: list = ()  # counted votes that earned less than full points


def appeal_decision_record(*, appeal_id, operator, decision: str, reason: str) -> AppealDecision:
    """Record an operator's decision on an appeal; clearing restores the votes.

    Run inside the appeal flow's transaction. Of two operators (or two clicks)
    only one claims the appeal. A decision covers the judgements as they stood
    when the voter sent the appeal, that is the votes cast at or before then
    (``selectors.appeal_scope``): the operator saw nothing later. Clearing
    starts the voter's evidence afresh (the operator judged it a false alarm;
    the kept flags remain as the record, and flags raised after the appeal was
    sent stay on), counts the covered votes the quality rules left out (the
    voter's exclusion, an impossible speed) again, except gold checks, which
    stay out of the ratings whoever cast them, and lists the covered votes that
    earned less than full points for the flow to top up. Votes cast later stay
    as they are, and so does an exclusion that came later, with the votes it
    leaves out: the voter can appeal them in turn.
    """
    if decision not in APPEAL_DECISIONS:
        raise ApiError("invalid_decision", _("decision must be clear or uphold."))
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError("invalid_reason", _("Give the reason the voter will read."))
    if not getattr(operator, "is_staff", False):
        raise ApiError("forbidden", _("Only operators decide appeals."), status_code=403)
    now = timezone.now()
    status = VoterAppeal.Status.CLEARED if decision == "clear" else VoterAppeal.Status.UPHELD
    claimed = VoterAppeal.objects.filter(pk=appeal_id, status=VoterAppeal.Status.OPEN).update(
        status=status, decided_by=operator, decided_at=now, decision_reason=reason.strip()[:2000]
    )
    if not claimed:
        if not VoterAppeal.objects.filter(pk=appeal_id).exists():
            raise ApiError("not_found", _("No such appeal."), status_code=404)
        raise ApiError("already_decided", _("This appeal was already decided."), status_code=409)
    appeal = VoterAppeal.objects.get(pk=appeal_id)
    if status == VoterAppeal.Status.UPHELD:
        return AppealDecision(appeal=appeal, restored=[], unpaid=[])
    # Lock order as in the fold: reliability row, pair counts, accounts.
    rel = VoterReliability.objects.select_for_update().filter(user_id=appeal.user_id).first()
    scope = selectors.appeal_scope(appeal=appeal, rel=rel)
    if rel is not None and scope.exclusion_stays is None:
        # A flag raised after the appeal was sent is a judgement the operator
        # did not see: it stays on (a ring flag keeps halving the score).
        later = set(
            VoterFlag.objects.filter(user_id=rel.user_id, created_at__gt=scope.until).values_list(
                "reason", flat=True
            )
        )
        kept = [f for f in rel.flags if f in later]
        fresh = VoterReliability(user_id=rel.user_id)
        for field in (
            "gold_correct", "gold_total", "agree_weight", "agree_total", "fast_votes",
            "fisher_sum", "fisher_n", "fisher_min_p", "model_bias", "score",
        ):  # fmt: skip
            setattr(rel, field, getattr(fresh, field))
        rel.flags = kept
        rel.score *= 0.5 ** sum(f in quality.STICKY_FLAGS for f in kept)
        rel.excluded, rel.excluded_at = False, None
        rel.save()
    battles = list(
        selectors.appeal_left_out(scope=scope)
        .select_for_update(of=("self",))
        .select_related("prompt", "answer_a", "answer_b", "vote")
        .order_by("voted_at", "id")
    )
    discounted = list(
        selectors.appeal_discounted(scope=scope)
        .select_for_update(of=("self",))
        .order_by("created_at", "battle_id")
    )
    gold = set(
        BattleSampling.objects.filter(
            battle_id__in=[b.pk for b in battles], gold_pair__isnull=False
        ).values_list("battle_id", flat=True)
    )
    Battle.objects.filter(pk__in=gold).update(exclusion_reason=quality.GOLD_REASON)
    others = [b for b in battles if b.pk not in gold]
    if scope.exclusion_stays is None:
        restored = others
        Battle.objects.filter(pk__in=[b.pk for b in others]).update(
            excluded=False, exclusion_reason=""
        )
    else:
        # Cleared of its speed, the vote is paid, but the voter's later exclusion
        # keeps it out of the leaderboard, as it does all their votes (said with
        # that exclusion's flags, as for the votes it left out when it came).
        restored = []
        flags = ", ".join(rel.flags) if rel is not None else ""
        Battle.objects.filter(pk__in=[b.pk for b in others]).update(
            exclusion_reason=f"{UNRELIABLE_PREFIX}: {flags}" if flags else EXCLUDED_EARLIER
        )
    VoterAppeal.objects.filter(pk=appeal.pk).update(votes_restored=len(gold) + len(restored))
    appeal.votes_restored = len(gold) + len(restored)
    return AppealDecision(
        appeal=appeal,
        restored=restored,
        unpaid=[b for b in battles if b.vote.folded_at is not None and not b.vote.points],
        topped=discounted,
    )


def appeal_points_record(*, appeal, booked: dict, topped: dict | None = None) -> None:
    """Write the points an appeal credited on each vote and on the appeal.

    ``booked``: points of votes that had earned nothing; ``topped``: the rest
    of the points of votes that had earned less (each now at full weight)."""
    for battle_id, points in booked.items():
        if points:
            Vote.objects.filter(pk=battle_id).update(points=points, weight=1.0, speed_weight=1.0)
    for battle_id, points in (topped or {}).items():
        Vote.objects.filter(pk=battle_id).update(
            points=Coalesce(F("points"), Value(0)) + points, weight=1.0, speed_weight=1.0
        )
    VoterAppeal.objects.filter(pk=appeal.pk).update(
        points_credited=sum(booked.values()) + sum((topped or {}).values())
    )


def votes_unfolded() -> int:
    """Votes committed but not folded in yet (the fold's backlog)."""
    return Vote.objects.filter(folded_at__isnull=True).count()


# --- the languages a voter reads ----------------------------------------------------------


def voter_languages_set(*, user, languages: list) -> list[str]:
    """Record the languages ``user`` reads (at least one; codes of VOTER_LANGUAGES)."""
    if not isinstance(languages, list | tuple) or not all(isinstance(c, str) for c in languages):
        raise ApiError("invalid_languages", _("Send the languages as a list of codes."))
    chosen = voter_langs.clean(languages)
    unknown = sorted({c.strip().lower() for c in languages} - set(chosen))
    if unknown:
        raise ApiError(
            "invalid_languages", _("Unknown language: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    if not chosen:
        raise ApiError("invalid_languages", _("Pick at least one language you read."))
    VoterPreference.objects.update_or_create(user=user, defaults={"languages": chosen})
    return chosen


# --- a deleted account ------------------------------------------------------------------


def voter_forget_locked(*, user) -> None:
    """What the arena keeps of a person beyond their votes, removed when their account is
    deleted (inside the deletion's transaction): the languages they read and the words
    of their appeals. The appeals' decisions stay (operators' records), without the text."""
    VoterPreference.objects.filter(user_id=user.pk).delete()
    VoterAppeal.objects.filter(user_id=user.pk).exclude(message="").update(message="")
