"""Generating a turn: claim it, plan both sides, stream both answers at once.

No transaction is open while a model is called."""

import asyncio
from dataclasses import dataclass, field

from django.conf import settings

from datafi.api import ApiError
from evals import endpoints, netguard
from evals.generation import GenResult, stream_chat_slot
from evals.identity import NamePattern, StreamMasker, leak_pattern
from evals.live.battles import SIDES
from evals.models import (
    Battle,
    LiveTurn,
    ModelEndpoint,
)


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


def _address_refused(endpoint) -> str:
    """A provider's endpoint whose host now resolves into our own network is not
    called (its name may have pointed elsewhere when it was registered)."""
    if endpoint is None or not endpoint.provider_managed:
        return ""
    try:
        netguard.base_url_check(endpoint.base_url)
    except ApiError as exc:
        return f"endpoint address refused: {exc.code}"
    return ""


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
        refused = _address_refused(endpoint)
        if endpoint is None or endpoint.paused or refused:
            configs[side] = None
            unavailable[side] = refused or ("endpoint paused" if endpoint else "no endpoint")
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
