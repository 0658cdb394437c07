"""What the voter's page and websocket read about a live battle."""

from django.conf import settings

from evals.identity import leak_pattern, mask
from evals.live.battles import SIDES
from evals.models import (
    Battle,
    LiveTurn,
)


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
