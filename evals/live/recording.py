"""Recording a turn's outcome (answers, stats, state) in one short
transaction after generation, or its abort."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from evals import endpoints, markdown
from evals.generation import GenResult
from evals.identity import NamePattern
from evals.live.battles import SIDES
from evals.models import (
    Answer,
    Battle,
    GenerationStat,
    LiveTurn,
)


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
                    "html": markdown.render(result.text),
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
