"""Live battles: no frame shows a model's name in its rendered form either.

The red-team's repro: ``C&#111;rvina 7B`` arrived in side_done frames as "I am
Corvina 7B", ``Bright**loom** Mini`` as ``Bright<strong>loom</strong> Mini``.
"""

import re

import pytest

from evals import identity
from tests.evals.test_identity_visible import squash
from tests.live_support import communicator, live_models, run_battle, start_battle

pytestmark = pytest.mark.django_db(transaction=True)


def _seen(frame: dict) -> list[str]:
    """What a frame puts on the voter's page: its HTML's text and any raw text
    (shown as it is until the next rendering)."""
    out = []
    if isinstance(frame.get("html"), str):
        out.append(re.sub(r"<[^>]*>", "", frame["html"]))
    if isinstance(frame.get("text"), str):
        out.append(frame["text"])
    for turn in frame.get("turns") or []:
        out += [turn["a"], turn["b"], *(turn.get("html") or {}).values()]
    return out


def test_obfuscated_self_names_never_reach_a_frame(stub, alice):
    arena = live_models(stub, a="leak:H&#97;lcyon-9", b="leak:Orbis**que** XL+slow:0.003")
    battle = start_battle(alice, "Who are you?")

    again = communicator(battle.id, user=alice)

    async def reconnect(comm):
        await comm.disconnect()
        assert (await again.connect())[0]
        hello = await again.receive_json_from(timeout=5)
        await again.disconnect()
        return [hello]

    frames = run_battle(alice, battle.id, then=reconnect)
    assert any(f["type"] == "side_done" for f in frames) and frames[-1]["type"] == "hello"
    shown = [squash(s) for f in frames for s in _seen(f)]
    assert any("model" in s for s in shown)
    for name in {m.name for m in arena["models"]} | {"OpenAI"}:
        assert not any(squash(name) in s for s in shown), f"{name} shown before the vote"

    battle.refresh_from_db()
    assert battle.excluded and "identity leak" in battle.exclusion_reason
    assert "Halcyon-9" in battle.exclusion_reason and "Orbisque XL" in battle.exclusion_reason


def test_the_final_answer_is_checked_as_rendered(stub, alice):
    """The recorded turn names what the voter would have read, even when the raw
    text names nothing known (the stub's "OpenAI" aside)."""
    from evals.generation import GenResult
    from evals.live.recording import live_turn_record
    from evals.models import LiveTurn

    live_models(stub)
    battle = start_battle(alice, "Who are you?")
    turn = LiveTurn.objects.get(battle=battle, index=0)
    results = {"a": GenResult(), "b": GenResult()}
    results["a"].text, results["a"].finish_reason = "I am Tessaract&#32;Mini.", "stop"
    results["b"].text, results["b"].finish_reason = "Just an answer.", "stop"
    outcome = live_turn_record(
        turn_id=turn.id, results=results, configs={}, pattern=identity.leak_pattern()
    )
    assert outcome.leaked
    battle.refresh_from_db()
    assert battle.excluded and "Tessaract Mini" in battle.exclusion_reason
