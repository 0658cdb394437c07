"""Writes for evals: models, prompts, answers, battles and votes."""

import logging
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from datafi.api import ApiError
from evals import markdown, sampler, selectors
from evals.models import Answer, Battle, Category, EvalModel, PairStat, Prompt, Vote
from evals.quality import limits as quality_limits
from evals.quality import services as quality
from ratings import services as ratings_services
from rewards.services import VoteCredit, points_award_for_votes

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def token_count_estimate(text: str) -> int:
    """Words and punctuation marks: a tokenizer-free stand-in for stored answers."""
    return len(_TOKEN_RE.findall(text))


def model_upsert(
    *, name: str, organization, description: str = "", status: str = EvalModel.Status.ACTIVE
) -> EvalModel:
    """Create or update a model under evaluation, keyed by its slug."""
    model, _ = EvalModel.objects.update_or_create(
        slug=slugify(name),
        defaults={
            "name": name,
            "organization": organization,
            "description": description,
            "status": status,
        },
    )
    selectors.model_identities_forget()  # other processes catch up within the TTL
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
        raise ApiError("invalid_category", f"Unknown category {category!r}.")
    prompt, _ = Prompt.objects.update_or_create(
        key=key,
        defaults={"text": text, "category": category, "language": language, "source": source},
    )
    return prompt


def answer_upsert(
    *, prompt: Prompt, model: EvalModel, text: str, latency_ms: int = 0, token_count=None
) -> Answer:
    """Store (or replace) a model's answer to a prompt, rendered once to safe HTML."""
    answer, _ = Answer.objects.update_or_create(
        prompt=prompt,
        model=model,
        defaults={
            "text": text,
            "html": markdown.render(text),
            "latency_ms": max(0, int(latency_ms)),
            "token_count": token_count_estimate(text) if token_count is None else token_count,
        },
    )
    return answer


def _pair_key(model_x_id: int, model_y_id: int) -> tuple[int, int]:
    return (model_x_id, model_y_id) if model_x_id < model_y_id else (model_y_id, model_x_id)


def _pair_stat_bump(model_x_id: int, model_y_id: int, *, served: int = 0, voted: int = 0):
    lo, hi = _pair_key(model_x_id, model_y_id)
    updated = PairStat.objects.filter(model_lo_id=lo, model_hi_id=hi).update(
        served=F("served") + served, voted=F("voted") + voted
    )
    if not updated:
        # First battle of this pair. Two requests may race to create the row:
        # the unique constraint lets one win, the other retries the increment.
        try:
            with transaction.atomic():
                PairStat.objects.create(model_lo_id=lo, model_hi_id=hi, served=served, voted=voted)
        except IntegrityError:
            PairStat.objects.filter(model_lo_id=lo, model_hi_id=hi).update(
                served=F("served") + served, voted=F("voted") + voted
            )


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
    battle = _open_battle(user)
    if battle is not None:
        return battle
    try:
        pick = sampler.pick(user=user, rng=rng)
    except sampler.NothingToServe:
        raise ApiError(
            "nothing_to_serve", "No battle is available right now.", status_code=404
        ) from None
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
            _pair_stat_bump(pick.answer_a.model_id, pick.answer_b.model_id, served=1)
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

    def as_dict(self) -> dict:
        return {
            "battle": str(self.battle_id),
            "choice": self.vote.choice,
            "reasons": self.vote.reasons,
            "model_a": self.model_a.as_dict(),
            "model_b": self.model_b.as_dict(),
        }


def _validate_vote_input(choice, reasons) -> list[str]:
    if choice not in Vote.Choice.values:
        raise ApiError(
            "invalid_choice",
            f"choice must be one of {', '.join(Vote.Choice.values)}.",
        )
    if reasons is None:
        return []
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ApiError("invalid_reasons", "reasons must be a list of tags.")
    unknown = sorted(set(reasons) - set(Vote.REASON_TAGS))
    if unknown:
        raise ApiError(
            "invalid_reasons",
            f"Unknown reason tags: {', '.join(unknown)}. Allowed: {', '.join(Vote.REASON_TAGS)}.",
        )
    return sorted(set(reasons))


def vote_cast(*, user, battle_id, choice: str, reasons=None, ip: str | None = None) -> Reveal:
    """Record the voter's verdict on their battle and reveal the two models.

    The vote commits on its own (see ``vote_record``); its consequences are
    folded in after it (``votes_fold``): here, at once, unless the deployment
    leaves that to fold workers (``VOTE_FOLD=deferred``).
    """
    reveal = vote_record(user=user, battle_id=battle_id, choice=choice, reasons=reasons, ip=ip)
    if settings.VOTE_FOLD == "inline":
        try:
            votes_fold(limit=settings.VOTE_FOLD_BATCH)
        except Exception:
            # The vote is committed and stays in the fold's queue: the next
            # fold (this server's background pass, a worker) counts it.
            log.exception("folding votes after battle %s failed; left queued", battle_id)
    return reveal


_BATTLE_TABLE = Battle._meta.db_table
# Only the table name (a constant) is formatted in; every value is a parameter.
_BATTLE_FLIP = (
    f"UPDATE {_BATTLE_TABLE} SET status = %s, voted_at = %s, revealed_at = %s "  # noqa: S608
    "WHERE id = %s AND voter_id = %s AND status = %s "
    "RETURNING mode, served_at, model_a_id, model_b_id"
)


_VOTE_FIELDS = Vote._meta.concrete_fields
_VOTE_INSERT = (
    f"INSERT INTO {Vote._meta.db_table} "  # noqa: S608
    f"({', '.join(f.column for f in _VOTE_FIELDS)}) "
    f"VALUES ({', '.join(['%s'] * len(_VOTE_FIELDS))})"
)


def _battle_vote_refusal(*, user, battle_id) -> ApiError:
    """Why a battle did not flip: it does not exist, is someone else's, or is not open."""
    row = Battle.objects.filter(id=battle_id).values("voter_id", "status").first()
    if row is None:
        return ApiError("not_found", "No such battle.", status_code=404)
    if row["voter_id"] != user.id:
        return ApiError("not_your_battle", "This battle was served to someone else.", 403)
    if row["status"] == Battle.Status.REVEALED:
        return ApiError("already_voted", "This battle already has a vote.", status_code=409)
    return ApiError(
        "battle_closed", f"This battle is {row['status']} and takes no vote.", status_code=409
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
        raise ApiError("not_found", "No such battle.", status_code=404) from None
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
    # A raw insert of the row the model describes: the ORM's insert compiler
    # was the largest part of the vote request's own CPU.
    with connection.cursor() as cursor:
        cursor.execute(
            _VOTE_INSERT,
            [f.get_db_prep_save(getattr(vote, f.attname), connection) for f in _VOTE_FIELDS],
        )
    identities = selectors.model_identities([model_a_id, model_b_id])
    return Reveal(
        battle_id=battle_id,
        vote=vote,
        model_a_id=model_a_id,
        model_b_id=model_b_id,
        model_a=identities[model_a_id],
        model_b=identities[model_b_id],
    )


def votes_fold(*, limit: int = 500) -> int:
    """Fold up to ``limit`` committed votes into everything a vote causes; how many.

    For each vote, oldest first, as if one at a time: the pair counts of the
    sampler and of the rating engine (unless the battle is excluded: a leak, an
    error), then the voter's reliability assessment (which may exclude the vote
    or the voter, retracting what was counted), then the points credit, whose
    multiplier reads that assessment. All of a batch commits with the votes'
    ``folded_at`` or not at all, and votes are claimed with SKIP LOCKED, so any
    number of servers and workers can fold at once and each vote is folded
    exactly once. A deadlock between two folds (rare: an exclusion retracts
    counts out of key order) rolls one back, and it is retried.
    """
    for attempt in range(1, 3):
        try:
            return _votes_fold_batch(limit=limit)
        except OperationalError:
            if connection.vendor != "postgresql":
                raise
            log.warning("vote fold rolled back (attempt %d); retrying", attempt)
    return _votes_fold_batch(limit=limit)


@transaction.atomic(durable=True)
def _votes_fold_batch(*, limit: int) -> int:
    votes = list(
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
    if not votes:
        return 0
    now = timezone.now()
    items = [quality.VoteToAssess(battle=v.battle, vote=v, network=v.network) for v in votes]
    # Lock order: reliability rows, pair stats, pair counts, accounts.
    assessment = quality.VoteBatchAssessment.begin(items=items)
    pairs = Counter(_pair_key(v.battle.model_a_id, v.battle.model_b_id) for v in votes)
    for (lo, hi), n in sorted(pairs.items()):
        _pair_stat_bump(lo, hi, voted=n)
    ratings_services.battle_outcomes_record(
        items=[(v.battle, v.choice) for v in votes if not v.battle.excluded]
    )
    multipliers = assessment.assess(items=items, now=now) if assessment else {}
    points_award_for_votes(
        credits=[
            VoteCredit(
                user_id=v.battle.voter_id,
                battle_id=v.battle_id,
                at=v.created_at,
                multiplier=multipliers.get(v.battle_id),
            )
            for v in votes
        ]
    )
    Vote.objects.filter(battle_id__in=[v.battle_id for v in votes]).update(folded_at=now)
    return len(votes)


def votes_unfolded() -> int:
    """Votes committed but not folded in yet (the fold's backlog)."""
    return Vote.objects.filter(folded_at__isnull=True).count()
