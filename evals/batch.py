"""Filling a model's missing answers to the stored prompts from its endpoint.

Shared by ``manage.py generate_answers`` and the provider's generation jobs
(evals.provider.live). The model API is called with no transaction open; each
answer is written in its own short transaction as soon as it is complete, with
the identity check: an answer that names a model or provider is kept but
withheld from voters, with the names it gave away.
"""

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, OuterRef

from evals import catalogue, identity, markdown
from evals.endpoints import EndpointConfig
from evals.generation import GenResult, stream_chat_slot
from evals.identity import NamePattern
from evals.models import Answer, EvalModel, GenerationStat, Prompt

RETRYABLE = {"rate_limited", "server_error", "timeout", "connection", "incomplete", "capacity"}


def missing_prompts(model: EvalModel, category: str | None = None, limit: int | None = None):
    """(id, key, text) of the active stored prompts ``model`` has not answered."""
    answered = Answer.objects.filter(prompt=OuterRef("pk"), model=model)
    qs = (
        Prompt.objects.filter(is_active=True)
        .exclude(source=Prompt.Source.USER)
        .filter(~Exists(answered))
        .order_by("id")
    )
    if category:
        qs = qs.filter(category=category)
    rows = list(qs.values_list("id", "key", "text"))
    return rows[:limit] if limit else rows


def answer_write(
    *, prompt_id: int, model_id: int, endpoint_id: int, result: GenResult, names: NamePattern
) -> tuple[bool, str]:
    """Write one answer; (False, "") if one appeared meanwhile, else (True,
    the reason it is withheld from voters or "")."""
    withheld = identity.withheld_reason(result.text, names)
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                prompt_id=prompt_id,
                model_id=model_id,
                text=result.text,
                html=markdown.render(result.text),
                withheld_reason=withheld,
                latency_ms=result.duration_ms,
                token_count=result.completion_tokens,
            )
            GenerationStat.objects.create(
                answer=answer,
                endpoint_id=endpoint_id,
                time_to_first_token_ms=result.ttft_ms,
                duration_ms=result.duration_ms,
                tokens_per_s=result.tokens_per_s,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                usage_source=result.usage_source,
                finish_reason=result.finish_reason,
            )
    except IntegrityError:
        return False, ""  # another run (or an upload) answered this prompt first
    # No catalogue_changed() per answer: a run writes thousands, and every
    # serving process would reload its copy on every serve. The run tells
    # them once at its end (answers_generate); until then the copy's TTL.
    return True, withheld


@dataclass(frozen=True)
class Outcome:
    """What became of one prompt: written (maybe withheld), skipped or failed."""

    prompt_id: int
    prompt_key: str | None
    written: bool = False
    withheld: str = ""
    error: str = ""  # error code after the retries
    error_detail: str = ""
    retries: int = 0


async def answers_generate(
    cfg: EndpointConfig,
    *,
    model_id: int,
    todo: list,
    concurrency: int,
    retries: int,
    backoff: float,
    names: NamePattern,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_retry: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Answer every (id, key, text) of ``todo``: at most ``concurrency`` requests
    at once (and never more than the endpoint's own limit), retrying 429 / 5xx /
    timeouts / dropped connections with exponential backoff and jitter.

    ``on_outcome`` (sync, run in a worker thread) hears of each prompt as it ends.
    """
    semaphore = asyncio.Semaphore(concurrency)
    write = sync_to_async(answer_write)
    report = sync_to_async(on_outcome) if on_outcome is not None else None
    outcomes: list[Outcome] = []

    async def one(prompt_id: int, key: str | None, text: str):
        tries = 0
        async with semaphore:
            for attempt in range(retries + 1):
                result = await stream_chat_slot(
                    cfg,
                    [{"role": "user", "content": text}],
                    slot_wait_s=settings.LIVE_SLOT_WAIT_S,
                    max_s=settings.LIVE_GENERATION_MAX_S,
                )
                if not result.failed:
                    break
                if result.error_code not in RETRYABLE or attempt == retries:
                    break
                tries += 1
                if on_retry is not None:
                    on_retry()
                # Exponential backoff with jitter, so that parallel retries
                # do not hit a rate-limited endpoint in lockstep.
                await asyncio.sleep(backoff * 2**attempt * (1 + random.random() / 4))
        if result.failed:
            outcome = Outcome(
                prompt_id=prompt_id,
                prompt_key=key,
                error=result.error_code,
                error_detail=result.error_detail,
                retries=tries,
            )
        else:
            written, withheld = await write(
                prompt_id=prompt_id,
                model_id=model_id,
                endpoint_id=cfg.endpoint_id,
                result=result,
                names=names,
            )
            outcome = Outcome(
                prompt_id=prompt_id,
                prompt_key=key,
                written=written,
                withheld=withheld,
                retries=tries,
            )
        outcomes.append(outcome)
        if report is not None:
            await report(outcome)

    try:
        await asyncio.gather(*(one(pid, key, text) for pid, key, text in todo))
    finally:
        # The run's new answers become servable in every process now (during
        # the run, within ARENA_CATALOGUE_TTL): one reload, not one per answer.
        if any(o.written for o in outcomes):
            await sync_to_async(catalogue.catalogue_changed)()
        # The writes ran on asgiref's one shared thread, whose connection would
        # otherwise stay open after the run (and keep a test database from
        # being dropped).
        await sync_to_async(connections.close_all)()
    return outcomes
