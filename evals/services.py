"""Writes for evals: models, prompts, answers, battles and votes."""

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from datafi.api import ApiError
from evals import markdown, sampler
from evals.models import Answer, Battle, Category, EvalModel, PairStat, Prompt, Vote
from evals.quality import selectors as quality_selectors
from evals.quality import services as quality
from ratings import services as ratings_services
from rewards.services import points_award_for_vote

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
    battle: Battle
    vote: Vote
    model_a: EvalModel
    model_b: EvalModel

    def as_dict(self) -> dict:
        def side(model):
            return {
                "name": model.name,
                "slug": model.slug,
                "provider": model.organization.name,
            }

        return {
            "battle": str(self.battle.id),
            "choice": self.vote.choice,
            "reasons": self.vote.reasons,
            "model_a": side(self.model_a),
            "model_b": side(self.model_b),
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


@transaction.atomic(durable=True)
def vote_cast(*, user, battle_id, choice: str, reasons=None, ip: str | None = None) -> Reveal:
    """Record the voter's verdict on their battle and reveal the two models.

    One vote per battle, only by its voter, only before reveal. The battle row
    is locked so that concurrent submissions of the same vote queue here: the
    first one flips the status, the others see it revealed and get a 409.
    """
    reasons = _validate_vote_input(choice, reasons)
    # One round trip for everything the vote's steps read: the prompt and the
    # answers (ratings' slices and style features), the sampling record (gold).
    battle = (
        Battle.objects.select_for_update(of=("self",))
        .select_related(
            "model_a__organization",
            "model_b__organization",
            "prompt",
            "answer_a",
            "answer_b",
            "sampling__gold_pair",
        )
        .filter(id=battle_id)
        .first()
    )
    if battle is None:
        raise ApiError("not_found", "No such battle.", status_code=404)
    if battle.voter_id != user.id:
        raise ApiError("not_your_battle", "This battle was served to someone else.", 403)
    if battle.status != Battle.Status.SERVED:
        raise ApiError(
            "already_voted" if battle.status == Battle.Status.REVEALED else "battle_closed",
            "This battle already has a vote."
            if battle.status == Battle.Status.REVEALED
            else f"This battle is {battle.status} and takes no vote.",
            status_code=409,
        )
    from evals.live import live_vote_guard  # here: evals.live imports this module

    live_vote_guard(battle)  # a live battle takes its vote once both answers finished
    now = timezone.now()
    # Over a per-user or per-IP limit: 429, and the rollback takes the count back.
    quality.vote_limits_consume(user=user, ip=ip, now=now)
    # Belt and braces for databases without row locks: only a still-served
    # battle flips, and exactly one request can flip it.
    flipped = Battle.objects.filter(id=battle.id, status=Battle.Status.SERVED).update(
        status=Battle.Status.REVEALED, voted_at=now, revealed_at=now
    )
    if flipped != 1:
        raise ApiError("already_voted", "This battle already has a vote.", status_code=409)
    vote = Vote.objects.create(
        battle=battle,
        choice=choice,
        reasons=reasons,
        time_to_vote_ms=max(0, int((now - battle.served_at).total_seconds() * 1000)),
        created_at=now,
    )
    _pair_stat_bump(battle.model_a_id, battle.model_b_id, voted=1)
    battle.status, battle.voted_at, battle.revealed_at = Battle.Status.REVEALED, now, now
    # The order matters, all in this one transaction: the rating engine counts
    # the vote (unless the battle is already excluded: a leak, an error); then
    # quality assesses it, and may exclude it or the voter, retracting what was
    # counted; then the credit, whose multiplier reads that assessment.
    if not battle.excluded:
        ratings_services.battle_outcome_record(battle=battle, choice=choice)
    rel = quality.vote_assess(battle=battle, vote=vote, now=now, ip=ip)
    points_award_for_vote(
        user=user,
        battle_id=battle.id,
        now=now,
        multiplier=None
        if rel is None
        else quality_selectors.points_multiplier_for(score=rel.score, excluded=rel.excluded),
    )
    return Reveal(battle=battle, vote=vote, model_a=battle.model_a, model_b=battle.model_b)
