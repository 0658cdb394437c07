"""Services for live battles: start, continue, generate and record.

Storage: a live battle is a ``Battle`` (mode "live") plus one ``LiveTurn`` per
exchange. Turn 0's prompt and answers are also ``battle.prompt``/``answer_a``/
``answer_b``, so a one-turn live battle reads like a stored one; the vote covers
every turn. Each answer is an ``Answer`` to its turn's ``Prompt`` (source
"user", which the stored-answer sampler never serves) with a ``GenerationStat``.

The model API is never called inside a transaction: a turn is claimed in one
short transaction, generated with no transaction open, and recorded in another
short one at the end (or on failure). Tokens are buffered in memory, not
written one by one.
"""

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from datafi.api import ApiError
from evals import endpoints, sampler, services
from evals.generation import GenResult, stream_chat_slot
from evals.identity import NamePattern, StreamMasker, leak_pattern, mask
from evals.models import (
    Answer,
    Battle,
    GenerationQuota,
    GenerationStat,
    LiveTurn,
    ModelEndpoint,
    Prompt,
)

log = logging.getLogger(__name__)

SIDES = ("a", "b")


# --- guards ----------------------------------------------------------------------


def prompt_clean(text) -> str:
    """The prompt as it will be sent, or a 400 for empty / too long / not text."""
    if not isinstance(text, str):
        raise ApiError("invalid_prompt", "prompt must be a string.")
    text = text.strip()
    if not text:
        raise ApiError("empty_prompt", "Type a prompt first.")
    if len(text) > settings.LIVE_PROMPT_MAX_CHARS:
        raise ApiError(
            "prompt_too_long",
            f"Prompts are limited to {settings.LIVE_PROMPT_MAX_CHARS} characters "
            f"(this one has {len(text)}).",
        )
    return text


def moderation_check(text: str) -> None:
    """Ask the optional moderation endpoint; refuse flagged prompts.

    Fails closed: if the endpoint is set but cannot answer, the prompt is refused
    (503) rather than sent to the models unchecked.
    """
    url = settings.MODERATION_URL
    if not url:
        return
    headers = {}
    if settings.MODERATION_API_KEY:
        headers["Authorization"] = f"Bearer {settings.MODERATION_API_KEY}"
    try:
        resp = httpx.post(
            url, json={"input": text}, headers=headers, timeout=settings.MODERATION_TIMEOUT_S
        )
        resp.raise_for_status()
        results = resp.json().get("results") or []
        flagged = any(bool(r.get("flagged")) for r in results if isinstance(r, dict))
    except (httpx.HTTPError, ValueError, AttributeError):
        log.warning("moderation endpoint %s failed", url, exc_info=True)
        raise ApiError(
            "moderation_unavailable",
            "Prompts cannot be checked right now; try again in a minute.",
            status_code=503,
        ) from None
    if flagged:
        raise ApiError("prompt_flagged", "This prompt was refused by moderation.", status_code=422)


def _window_start(now: datetime) -> datetime:
    width = max(1, settings.LIVE_RATE_WINDOW_S)
    return datetime.fromtimestamp(int(now.timestamp()) // width * width, tz=UTC)


def rate_limit_take(*, user, now: datetime | None = None) -> None:
    """Count one generation for ``user``; 429 once the window's limit is reached.

    A conditional UPDATE (count < limit) is the whole check: the database
    decides under concurrency, never a read-then-write in Python, so parallel
    requests cannot all see "one left" and all pass.
    """
    window = _window_start(now or timezone.now())
    limit = settings.LIVE_RATE_LIMIT

    def bump() -> int:
        return GenerationQuota.objects.filter(
            user=user, window_start=window, count__lt=limit
        ).update(count=F("count") + 1)

    if bump() == 1:
        return
    if not GenerationQuota.objects.filter(user=user, window_start=window).exists():
        try:
            with transaction.atomic():
                GenerationQuota.objects.create(user=user, window_start=window, count=1)
            GenerationQuota.objects.filter(user=user, window_start__lt=window).delete()
            return
        except IntegrityError:
            # A parallel request created this window's row first: count on it.
            if bump() == 1:
                return
    raise ApiError(
        "rate_limited",
        f"You can start {limit} generations per {settings.LIVE_RATE_WINDOW_S // 60} minutes; "
        "please wait a little.",
        status_code=429,
    )


# --- start and continue ------------------------------------------------------------


def _user_prompt(text: str) -> Prompt:
    # "und": the voter's language is not known (BCP 47 "undetermined").
    return Prompt.objects.create(text=text, source=Prompt.Source.USER, language="und")


def live_battle_start(*, user, text, rng: random.Random | None = None) -> Battle:
    """Pick two endpoint-backed models for ``user``'s prompt and open a live battle.

    The battle's first turn is pending: the voter's websocket generates it.
    """
    text = prompt_clean(text)
    try:
        model_a, model_b = sampler.pick_live_pair(user=user, rng=rng)
    except sampler.NothingToServe:
        raise ApiError(
            "no_live_models",
            "No two live models are available right now; try the arena instead.",
            status_code=503,
        ) from None
    moderation_check(text)  # an HTTP call: before any transaction
    rate_limit_take(user=user)
    now = timezone.now()
    with transaction.atomic():
        # A fresh pair replaces the voter's unvoted live battles.
        Battle.objects.filter(
            voter=user, mode=Battle.Mode.LIVE, status=Battle.Status.SERVED
        ).update(status=Battle.Status.ABANDONED)
        prompt = _user_prompt(text)
        battle = Battle.objects.create(
            mode=Battle.Mode.LIVE,
            prompt=prompt,
            model_a=model_a,
            model_b=model_b,
            voter=user,
            served_at=now,
        )
        LiveTurn.objects.create(battle=battle, index=0, prompt=prompt)
        services._pair_stat_bump(model_a.id, model_b.id, served=1)
    return battle


def _own_open_live_battle(*, user, battle_id, lock: bool = False) -> Battle:
    qs = Battle.objects.filter(id=battle_id, mode=Battle.Mode.LIVE)
    if lock:
        qs = qs.select_for_update()
    battle = qs.first()
    if battle is None:
        raise ApiError("not_found", "No such live battle.", status_code=404)
    if battle.voter_id != user.id:
        raise ApiError("not_your_battle", "This battle was served to someone else.", 403)
    if battle.status != Battle.Status.SERVED:
        raise ApiError("battle_closed", f"This battle is {battle.status}; start a fresh pair.", 409)
    return battle


def live_turn_add(*, user, battle_id, text) -> LiveTurn:
    """Go on with the same anonymous pair: a new pending turn."""
    text = prompt_clean(text)
    battle = _own_open_live_battle(user=user, battle_id=battle_id)
    if LiveTurn.objects.filter(battle=battle).exclude(state=LiveTurn.State.DONE).exists():
        raise ApiError("turn_running", "Wait for both answers to finish.", status_code=409)
    moderation_check(text)
    rate_limit_take(user=user)
    with transaction.atomic():
        battle = _own_open_live_battle(user=user, battle_id=battle_id, lock=True)
        turns = LiveTurn.objects.filter(battle=battle)
        if turns.exclude(state=LiveTurn.State.DONE).exists():
            raise ApiError("turn_running", "Wait for both answers to finish.", status_code=409)
        count = turns.count()
        if count >= settings.LIVE_MAX_TURNS:
            raise ApiError(
                "too_many_turns",
                f"A battle has at most {settings.LIVE_MAX_TURNS} turns; vote, then start afresh.",
                status_code=409,
            )
        try:
            with transaction.atomic():
                return LiveTurn.objects.create(
                    battle=battle, index=count, prompt=_user_prompt(text)
                )
        except IntegrityError:
            # Two tabs continued at once; the unique (battle, index) let one win.
            raise ApiError("turn_running", "Wait for both answers to finish.", 409) from None


def live_vote_guard(*, battle_id) -> None:
    """Voting on a live battle opens when every turn has both answers."""
    turns = LiveTurn.objects.filter(battle_id=battle_id)
    if not turns.exists() or turns.exclude(state=LiveTurn.State.DONE).exists():
        raise ApiError(
            "generation_running",
            "Voting opens when both answers have finished.",
            status_code=409,
        )


# --- generation --------------------------------------------------------------------


def live_turn_claim(*, turn_id: int) -> bool:
    """Take a pending turn for generation; False if another socket has it."""
    return (
        LiveTurn.objects.filter(
            id=turn_id, state=LiveTurn.State.PENDING, battle__status=Battle.Status.SERVED
        ).update(state=LiveTurn.State.GENERATING)
        == 1
    )


@dataclass
class TurnPlan:
    battle_id: str
    turn_id: int
    index: int
    prompt: str
    configs: dict  # side -> EndpointConfig | None
    messages: dict  # side -> list of chat messages
    pattern: NamePattern
    unavailable: dict = field(default_factory=dict)  # side -> reason


def live_turn_plan(*, turn_id: int) -> TurnPlan:
    """Everything a turn's generation needs, read before any model is called."""
    turn = LiveTurn.objects.select_related("battle", "prompt").get(id=turn_id)
    battle = turn.battle
    history = list(
        LiveTurn.objects.filter(battle=battle, index__lt=turn.index)
        .select_related("prompt", "answer_a", "answer_b")
        .order_by("index")
    )
    configs, messages, unavailable = {}, {}, {}
    for side in SIDES:
        model_id = getattr(battle, f"model_{side}_id")
        endpoint = ModelEndpoint.objects.filter(model_id=model_id).first()
        if endpoint is None or endpoint.paused:
            configs[side] = None
            unavailable[side] = "endpoint paused" if endpoint else "no endpoint"
        else:
            configs[side] = endpoints.endpoint_config(endpoint)
        msgs = []
        for past in history:
            answer = getattr(past, f"answer_{side}")
            msgs.append({"role": "user", "content": past.prompt.text})
            msgs.append({"role": "assistant", "content": answer.text if answer else ""})
        msgs.append({"role": "user", "content": turn.prompt.text})
        messages[side] = msgs
    return TurnPlan(
        battle_id=str(battle.id),
        turn_id=turn.id,
        index=turn.index,
        prompt=turn.prompt.text,
        configs=configs,
        messages=messages,
        pattern=leak_pattern(),
        unavailable=unavailable,
    )


async def live_turn_generate(
    plan: TurnPlan,
    *,
    results: dict[str, GenResult],
    emit,
    stops: dict[str, asyncio.Event],
) -> dict[str, GenResult]:
    """Generate both answers at once, streaming masked deltas through ``emit``.

    If one side fails the other is aborted: the battle cannot be judged anyway.
    ``results`` is filled in place, so a cancelled caller keeps partial answers.
    """
    abort = asyncio.Event()

    async def side(name: str):
        result = results[name]
        cfg = plan.configs[name]
        masker = StreamMasker(plan.pattern)
        if cfg is None:
            result.error_code, result.finish_reason = "unavailable", "error"
            result.error_detail = plan.unavailable.get(name, "unavailable")
            abort.set()
        else:

            async def on_delta(delta: str):
                safe = masker.feed(delta)
                if safe:
                    await emit({"type": "delta", "turn": plan.index, "side": name, "text": safe})

            await stream_chat_slot(
                cfg,
                plan.messages[name],
                result=result,
                on_delta=on_delta,
                stop_events={"stopped": stops[name], "aborted": abort},
                slot_wait_s=settings.LIVE_SLOT_WAIT_S,
                max_s=settings.LIVE_GENERATION_MAX_S,
            )
            rest = masker.flush()
            if rest:
                await emit({"type": "delta", "turn": plan.index, "side": name, "text": rest})
            if result.failed:
                abort.set()
        await emit(
            {
                "type": "side_done",
                "turn": plan.index,
                "side": name,
                "finish_reason": result.finish_reason,
            }
        )

    await asyncio.gather(side("a"), side("b"))
    return results


@dataclass(frozen=True)
class TurnOutcome:
    ok: bool
    reason: str = ""  # why the battle errored (stored, never shown with a side's model)
    leaked: bool = False
    paused_endpoints: tuple = ()


def live_turn_record(
    *,
    turn_id: int,
    results: dict[str, GenResult],
    configs: dict,
    pattern: NamePattern,
    failure: str = "",
) -> TurnOutcome:
    """Write a finished (or failed) turn in one short transaction.

    ``failure`` is set when the turn ended for a reason outside the models (the
    voter's socket dropped); model failures are read from ``results``.
    """
    failed_sides = [s for s in SIDES if results[s].failed]
    reason = failure
    if not reason and failed_sides:
        side = failed_sides[0]
        reason = f"model {side.upper()} failed: {results[side].error_code}"
    leaks = {s: pattern.find(results[s].text) for s in SIDES}
    now = timezone.now()
    with transaction.atomic():
        turn = LiveTurn.objects.select_related("battle", "prompt").get(id=turn_id)
        battle = turn.battle
        answers = {}
        for side in SIDES:
            result = results[side]
            model_id = getattr(battle, f"model_{side}_id")
            answer, _ = Answer.objects.update_or_create(
                prompt=turn.prompt,
                model_id=model_id,
                defaults={
                    "text": result.text,
                    "html": services.markdown.render(result.text),
                    "latency_ms": result.duration_ms,
                    "token_count": result.completion_tokens,
                },
            )
            GenerationStat.objects.update_or_create(
                answer=answer,
                defaults={
                    "endpoint_id": configs[side].endpoint_id if configs.get(side) else None,
                    "time_to_first_token_ms": result.ttft_ms,
                    "duration_ms": result.duration_ms,
                    "tokens_per_s": result.tokens_per_s,
                    "prompt_tokens": result.prompt_tokens,
                    "completion_tokens": result.completion_tokens,
                    "usage_source": result.usage_source,
                    "finish_reason": result.finish_reason or GenerationStat.Finish.ABORTED,
                    "error": (
                        f"{result.error_code}: {result.error_detail}" if result.failed else ""
                    )[:200],
                },
            )
            answers[side] = answer
        turn.answer_a, turn.answer_b = answers["a"], answers["b"]
        turn.state = LiveTurn.State.ERRORED if reason else LiveTurn.State.DONE
        turn.finished_at = now
        turn.save(update_fields=["answer_a", "answer_b", "state", "finished_at"])
        updates = {}
        if turn.index == 0:
            updates.update(answer_a=answers["a"], answer_b=answers["b"])
        exclusion = ""
        if reason:
            exclusion = reason
        elif any(leaks.values()):
            named = sorted({n for names in leaks.values() for n in names})
            sides = "+".join(s.upper() for s in SIDES if leaks[s])
            exclusion = f"identity leak in answer {sides} (turn {turn.index}): {', '.join(named)}"
        if exclusion and not battle.excluded:
            updates.update(excluded=True, exclusion_reason=exclusion[:200])
        if updates:
            Battle.objects.filter(id=battle.id).update(**updates)
        if reason:
            # Only a still-open battle errors; one the voter already replaced
            # with a fresh pair stays abandoned.
            Battle.objects.filter(id=battle.id, status=Battle.Status.SERVED).update(
                status=Battle.Status.ERRORED
            )
    paused = []
    if not failure:
        for side in SIDES:
            cfg = configs.get(side)
            if cfg is None:
                continue
            if results[side].failed and results[side].error_code != "capacity":
                if endpoints.endpoint_record_failure(
                    endpoint_id=cfg.endpoint_id, reason=results[side].error_code
                ):
                    paused.append(cfg.endpoint_id)
            elif not results[side].failed and results[side].finish_reason != "aborted":
                endpoints.endpoint_record_success(endpoint_id=cfg.endpoint_id)
    return TurnOutcome(
        ok=not reason, reason=reason, leaked=any(leaks.values()), paused_endpoints=tuple(paused)
    )


# --- what the voter's page shows ------------------------------------------------------


def live_battle_state(*, battle: Battle) -> dict:
    """A live battle as the voter's socket first sees it: labels A and B only,
    and every known name masked until the reveal."""
    revealed = battle.status == Battle.Status.REVEALED
    pattern = None if revealed else leak_pattern()
    turns = []
    for turn in LiveTurn.objects.filter(battle=battle).select_related(
        "prompt", "answer_a", "answer_b"
    ):
        item = {"index": turn.index, "prompt": turn.prompt.text, "state": turn.state}
        for side in SIDES:
            answer = getattr(turn, f"answer_{side}")
            text = answer.text if answer else ""
            item[side] = text if revealed else mask(text, pattern)
        turns.append(item)
    return {
        "type": "hello",
        "battle": str(battle.id),
        "status": battle.status,
        "turns": turns,
        "vote_open": battle.status == Battle.Status.SERVED
        and bool(turns)
        and all(t["state"] == LiveTurn.State.DONE for t in turns),
        "max_turns": settings.LIVE_MAX_TURNS,
    }


def live_battle_for_socket(*, user, battle_id) -> Battle | None:
    """The live battle if ``user`` owns it; None otherwise (the socket is refused)."""
    return Battle.objects.filter(id=battle_id, voter=user, mode=Battle.Mode.LIVE).first()


def live_pending_turn_id(*, battle_id) -> int | None:
    return (
        LiveTurn.objects.filter(
            battle_id=battle_id,
            state=LiveTurn.State.PENDING,
            battle__status=Battle.Status.SERVED,
        )
        .values_list("id", flat=True)
        .first()
    )


def live_turn_abort(*, turn_id: int, reason: str) -> None:
    """Close a turn that could not be generated or recorded (our own failure)."""
    with transaction.atomic():
        turn = LiveTurn.objects.select_related("battle").get(id=turn_id)
        LiveTurn.objects.filter(id=turn_id).exclude(state=LiveTurn.State.DONE).update(
            state=LiveTurn.State.ERRORED, finished_at=timezone.now()
        )
        Battle.objects.filter(id=turn.battle_id, status=Battle.Status.SERVED).update(
            status=Battle.Status.ERRORED
        )
        Battle.objects.filter(id=turn.battle_id, excluded=False).update(
            excluded=True, exclusion_reason=reason[:200]
        )
