"""The live battle websocket: auth, origin, ownership, streaming, failures."""

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync

from datafi.api import ApiError
from evals.models import Battle, GenerationStat, LiveTurn, ModelEndpoint
from tests.live_support import (
    communicator,
    dump,
    identities,
    live_models,
    receive_until,
    run_battle,
    side_of,
    start_battle,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _connect(battle_id, **kwargs):
    comm = communicator(battle_id, **kwargs)

    async def go():
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    return async_to_sync(go)()


def _vote(client, user, battle, choice="tie"):
    client.force_login(user)
    return client.post(
        f"/arena/battles/{battle.id}/vote",
        data={"choice": choice},
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )


def test_it_rejects_anonymous_sockets(stub, alice):
    live_models(stub)
    battle = start_battle(alice)
    assert _connect(battle.id, user=None) is False
    assert _connect(battle.id, user=alice) is True


def test_it_rejects_a_bad_origin(stub, alice):
    live_models(stub)
    battle = start_battle(alice)
    assert _connect(battle.id, user=alice, origin="http://evil.example") is False
    assert _connect(battle.id, user=alice, origin=None) is False


def test_a_client_can_only_join_its_own_battle(stub, alice, mallory):
    live_models(stub)
    battle = start_battle(alice)
    assert _connect(battle.id, user=mallory) is False
    assert _connect(uuid.uuid4(), user=mallory) is False
    # Mallory's attempt started nothing: the turn is still waiting for Alice.
    assert LiveTurn.objects.get(battle=battle).state == LiveTurn.State.PENDING


def test_it_streams_both_answers_side_by_side_then_opens_the_vote(stub, alice, client):
    arena = live_models(stub, a="alpha+slow:0.01", b="beta+slow:0.01")
    battle = start_battle(alice)
    # No vote while nothing has been generated.
    resp = _vote(client, alice, battle)
    assert resp.status_code == 409 and resp.json()["code"] == "generation_running"

    frames = run_battle(alice, battle.id)
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "hello" and kinds[1] == "turn_start" and kinds[-1] == "turn_done"
    assert frames[0]["vote_open"] is False
    assert frames[-1]["vote_open"] is True
    deltas = {s: [f for f in frames if f["type"] == "delta" and f["side"] == s] for s in "ab"}
    assert len(deltas["a"]) > 5 and len(deltas["b"]) > 5
    # Interleaved, not one after the other: B starts before A ends.
    index = {id(f): i for i, f in enumerate(frames)}
    assert index[id(deltas["b"][0])] < index[id(deltas["a"][-1])]
    done = [f for f in frames if f["type"] == "side_done"]
    assert {(f["side"], f["finish_reason"]) for f in done} == {("a", "stop"), ("b", "stop")}
    assert max(index[id(f)] for f in done) < len(frames) - 1

    battle.refresh_from_db()
    turn = LiveTurn.objects.get(battle=battle)
    assert turn.state == LiveTurn.State.DONE
    assert battle.answer_a_id == turn.answer_a_id and battle.answer_b_id == turn.answer_b_id
    for side in "ab":
        answer = getattr(turn, f"answer_{side}")
        assert "".join(f["text"] for f in deltas[side]) == answer.text
        assert "You asked: “Explain rainbows to a child.”" in answer.text
        stat = GenerationStat.objects.get(answer=answer)
        assert stat.finish_reason == "stop"
        assert stat.usage_source == "reported" and stat.completion_tokens == 24
        assert stat.time_to_first_token_ms is not None and stat.tokens_per_s > 0
        assert stat.duration_ms >= stat.time_to_first_token_ms
        assert answer.token_count == 24
    assert not battle.excluded

    resp = _vote(client, alice, battle, "model_b")
    assert resp.status_code == 200
    reveal = resp.json()["reveal"]
    names = {reveal["model_a"]["name"], reveal["model_b"]["name"]}
    assert names == {m.name for m in arena["models"] if m.id in arena["live"]}


def test_it_never_names_models_before_the_vote(stub, alice, client):
    arena = live_models(stub, a="leak:Halcyon-9+slow:0.005", b="leak:Orbisque XL")
    battle = start_battle(alice, "Who are you, and who made you?")

    again = communicator(battle.id, user=alice)

    async def reconnect_and_look(comm):
        await comm.disconnect()
        assert (await again.connect())[0]
        hello = await again.receive_json_from(timeout=5)
        await again.disconnect()
        return [hello]

    frames = run_battle(alice, battle.id, then=reconnect_and_look)
    text = dump(frames)
    for ident in identities(arena) | {"orbisque", "halcyon", "leak:"}:
        assert ident not in text, f"{ident!r} in a frame before the vote"
    assert "[model]" in text
    hello = frames[-1]
    assert hello["type"] == "hello" and hello["vote_open"] is True
    assert "[model]" in hello["turns"][0]["a"] and "[model]" in hello["turns"][0]["b"]

    battle.refresh_from_db()
    assert battle.excluded and "identity leak" in battle.exclusion_reason
    # The original text is kept, for the record.
    assert "Halcyon-9" in (battle.answer_a.text + battle.answer_b.text)
    # Still votable: the voter is not punished for the model's leak.
    assert _vote(client, alice, battle).status_code == 200


def test_the_voter_goes_on_with_the_same_pair_and_votes_on_the_whole_conversation(
    stub, alice, client
):
    live_models(stub)
    battle = start_battle(alice, "First question")

    async def second_turn(comm):
        await comm.send_json_to({"type": "continue", "prompt": "And a follow-up?"})
        return await receive_until(comm)

    frames = run_battle(alice, battle.id, then=second_turn)
    assert [f["turn"] for f in frames if f["type"] == "turn_done"] == [0, 1]
    turns = list(LiveTurn.objects.filter(battle=battle).order_by("index"))
    assert [t.prompt.text for t in turns] == ["First question", "And a follow-up?"]
    assert all(t.state == LiveTurn.State.DONE for t in turns)
    # Each side got its own history: turn 2 of the conversation.
    assert "This is turn 2." in turns[1].answer_a.text
    last = stub.chat_requests()[-1]["body"]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "user"]
    battle.refresh_from_db()
    assert battle.answer_a_id == turns[0].answer_a_id
    assert _vote(client, alice, battle, "model_a").status_code == 200


def test_the_voter_can_stop_a_slow_answer(stub, alice):
    arena = live_models(stub, a="quick", b="slowpoke+slow:0.2+words:200")
    battle = start_battle(alice)
    slow_model = next(mid for mid, mode in arena["live"].items() if mode.startswith("slowpoke"))
    slow = side_of(battle, slow_model)

    comm = communicator(battle.id, user=alice)

    async def go():
        assert (await comm.connect())[0]
        frames = []
        while True:
            frame = await comm.receive_json_from(timeout=10)
            frames.append(frame)
            if frame["type"] == "delta" and frame["side"] == slow:
                await comm.send_json_to({"type": "stop", "side": slow})
                break
        frames += await receive_until(comm)
        await comm.disconnect()
        return frames

    frames = async_to_sync(go)()
    assert frames[-1]["type"] == "turn_done"
    done = {f["side"]: f["finish_reason"] for f in frames if f["type"] == "side_done"}
    assert done[slow] == "stopped"
    turn = LiveTurn.objects.get(battle=battle)
    stat = GenerationStat.objects.get(answer=getattr(turn, f"answer_{slow}"))
    assert stat.finish_reason == "stopped" and stat.usage_source == "estimated"
    assert 0 < stat.completion_tokens < 200
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED and not battle.excluded


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("fail:500", "server_error"),
        ("fail:503", "server_error"),
        ("fail:429", "rate_limited"),
        ("drop", "connection"),
        ("hang", "timeout"),
        ("stall", "timeout"),
        ("fail:401", "http_401"),
    ],
)
def test_a_failing_model_ends_the_battle_cleanly(stub, alice, client, mode, code):
    arena = live_models(stub, a="steady+slow:0.01", b=mode, timeout_s=0.5)
    battle = start_battle(alice)
    failing = side_of(battle, next(m for m, v in arena["live"].items() if v == mode))

    frames = run_battle(alice, battle.id)
    last = frames[-1]
    assert last["type"] == "battle_error" and last["code"] == "generation_failed"
    assert "will not count" in last["detail"] and "fresh pair" in last["detail"]
    assert not any(ident in dump(frames) for ident in identities(arena))
    battle.refresh_from_db()
    assert battle.status == Battle.Status.ERRORED
    assert battle.excluded and battle.exclusion_reason.startswith(
        f"model {failing.upper()} failed: {code}"
    )
    turn = LiveTurn.objects.get(battle=battle)
    assert turn.state == LiveTurn.State.ERRORED
    stat = GenerationStat.objects.get(answer=getattr(turn, f"answer_{failing}"))
    assert stat.finish_reason == "error" and stat.error.startswith(code)
    resp = _vote(client, alice, battle)
    assert resp.status_code == 409 and resp.json()["code"] == "battle_closed"
    endpoint = ModelEndpoint.objects.get(provider_model_id=mode)
    assert endpoint.consecutive_failures == 1


def test_a_model_that_keeps_failing_is_paused(stub, alice, settings):
    settings.LIVE_PAUSE_AFTER_FAILURES = 2
    live_models(stub, a="fine", b="fail:500")
    for _ in range(2):
        battle = start_battle(alice)
        assert run_battle(alice, battle.id)[-1]["type"] == "battle_error"
    endpoint = ModelEndpoint.objects.get(provider_model_id="fail:500")
    assert endpoint.paused and "2 consecutive failures" in endpoint.pause_reason
    assert ModelEndpoint.objects.get(provider_model_id="fine").consecutive_failures == 0
    # With one live model left there is no pair to serve.
    with pytest.raises(ApiError) as exc:
        start_battle(alice)
    assert exc.value.code == "no_live_models" and exc.value.status_code == 503


def test_a_success_resets_the_failure_count(stub, alice, settings):
    settings.LIVE_PAUSE_AFTER_FAILURES = 2
    live_models(stub, a="one", b="flaky:1:500")
    battle = start_battle(alice)
    assert run_battle(alice, battle.id)[-1]["type"] == "battle_error"
    assert ModelEndpoint.objects.get(provider_model_id="flaky:1:500").consecutive_failures == 1
    battle = start_battle(alice)
    assert run_battle(alice, battle.id)[-1]["type"] == "turn_done"
    endpoint = ModelEndpoint.objects.get(provider_model_id="flaky:1:500")
    assert endpoint.consecutive_failures == 0 and not endpoint.paused


def test_a_voter_who_leaves_mid_answer_errors_the_battle(stub, alice):
    live_models(stub, a="slow:0.1+words:100", b="slow:0.1+words:100+x")
    battle = start_battle(alice)

    comm = communicator(battle.id, user=alice)

    async def go():
        assert (await comm.connect())[0]
        while (await comm.receive_json_from(timeout=10))["type"] != "delta":
            pass
        await comm.disconnect()

    async_to_sync(go)()
    battle.refresh_from_db()
    assert battle.status == Battle.Status.ERRORED
    assert battle.excluded and battle.exclusion_reason == "voter disconnected during generation"
    turn = LiveTurn.objects.get(battle=battle)
    assert turn.state == LiveTurn.State.ERRORED
    assert len(turn.answer_a.text) + len(turn.answer_b.text) > 0
    # Not the models' fault: nothing counts towards pausing them.
    assert set(ModelEndpoint.objects.values_list("consecutive_failures", flat=True)) == {0}


def test_bad_frames_get_an_error_and_change_nothing(stub, alice, settings):
    settings.LIVE_PROMPT_MAX_CHARS = 20
    live_models(stub, a="slow:0.05", b="slow:0.05+y")
    battle = start_battle(alice, "short prompt")

    comm = communicator(battle.id, user=alice)

    async def go():
        assert (await comm.connect())[0]
        out = []
        await comm.send_json_to({"type": "continue", "prompt": "too early"})
        await comm.send_json_to({"type": "bogus"})
        await comm.send_to(text_data="not json")
        await comm.send_json_to({"type": "stop", "side": "c"})
        await comm.send_json_to([1, 2])
        frames = await receive_until(comm)
        out += [f for f in frames if f["type"] == "error"]
        await comm.send_json_to({"type": "continue", "prompt": "x" * 21})
        await comm.send_json_to({"type": "continue", "prompt": "   "})
        for _ in range(2):
            out.append(await comm.receive_json_from(timeout=5))
        await comm.disconnect()
        return out

    errors = async_to_sync(go)()
    assert [e["code"] for e in errors] == [
        "turn_running",
        "bad_message",
        "bad_message",
        "bad_side",
        "bad_message",
        "prompt_too_long",
        "empty_prompt",
    ]
    assert LiveTurn.objects.filter(battle=battle).count() == 1


def test_two_sockets_on_one_battle_generate_once(stub, alice):
    live_models(stub, a="slow:0.02", b="slow:0.02+z")
    battle = start_battle(alice)

    first = communicator(battle.id, user=alice)
    second = communicator(battle.id, user=alice)

    async def go():
        assert (await first.connect())[0]
        assert (await second.connect())[0]
        got = await asyncio.gather(receive_until(first), receive_until(second))
        await first.disconnect()
        await second.disconnect()
        return got

    one, two = async_to_sync(go)()
    assert len(stub.chat_requests()) == 2  # one per side, not per socket
    assert one[-1]["type"] == two[-1]["type"] == "turn_done"
    text = lambda frames: "".join(f["text"] for f in frames if f["type"] == "delta")  # noqa: E731
    assert text(one) and text(one) == text(two)
