"""Every websocket reads its frames under the input layer's rules: a binary, non-JSON
or deeply nested frame gets an error frame (or is ignored where the socket takes
no input); the socket stays open and keeps working, never closed with 1011."""

import sys

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from datafi.recursion import SAFE_RECURSION_LIMIT
from evals.models import Battle, LiveTurn
from tests.live_support import (
    communicator,
    live_models,
    receive_until,
    session_cookie,
    start_battle,
    stub,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db(transaction=True)

DEEP_LISTS = "[" * 3000 + "]" * 3000
DEEP_OBJECTS = '{"a":' * 3000 + "1" + "}" * 3000
UNCLOSED = "[" * 5000


@pytest.fixture(autouse=True)
def production_recursion_limit(settings):
    """The limit a server runs with (datafi.recursion); py-evm, imported by the
    test run, leaves it at 12,288, deep enough to hide the RecursionError."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    yield
    sys.setrecursionlimit(before)


async def _send_bad_frames(comm):
    await comm.send_to(text_data="not json")
    await comm.send_to(text_data=DEEP_LISTS)
    await comm.send_to(text_data=DEEP_OBJECTS)
    await comm.send_to(text_data=UNCLOSED)
    await comm.send_to(bytes_data=b'{"type": "ping"}')


def test_the_leaderboard_socket_ignores_bad_frames_and_keeps_working(db):
    from datafi.asgi import application
    from ratings.services import LEADERBOARD_GROUP

    async def go():
        comm = WebsocketCommunicator(
            application, "/ws/leaderboard/", headers=[(b"origin", b"http://testserver")]
        )
        assert (await comm.connect())[0]
        await _send_bad_frames(comm)
        assert await comm.receive_nothing(timeout=0.3)
        event = {"category": "", "language": "", "vote_count": 1, "snapshots": {"bt": 7}}
        await get_channel_layer().group_send(
            LEADERBOARD_GROUP, {"type": "leaderboard.snapshot", **event}
        )
        frame = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return frame

    assert async_to_sync(go)() == {
        "type": "snapshot",
        **{"category": "", "language": "", "vote_count": 1, "snapshots": {"bt": 7}},
    }


def test_the_rewards_socket_answers_bad_frames_with_an_error(alice):
    from datafi.asgi import application

    headers = [
        (b"origin", b"http://testserver"),
        (b"cookie", f"sessionid={session_cookie(alice)}".encode()),
    ]

    async def go():
        comm = WebsocketCommunicator(application, "/ws/rewards/", headers=headers)
        assert (await comm.connect(timeout=10))[0]
        assert (await comm.receive_json_from(timeout=10))["type"] == "balance"
        await _send_bad_frames(comm)
        errors = [await comm.receive_json_from(timeout=10) for _ in range(5)]
        await comm.send_json_to({"type": "ping"})  # still open: a ping gets the balance
        balance = await comm.receive_json_from(timeout=10)
        await comm.disconnect()
        return errors, balance

    errors, balance = async_to_sync(go)()
    assert [(e["type"], e["code"]) for e in errors] == [("error", "bad_message")] * 5
    assert errors[0]["detail"] == "Frames are JSON objects."
    assert errors[1]["detail"] == "JSON may be nested at most 64 levels deep."
    assert balance["type"] == "balance"


def test_the_live_socket_answers_a_deep_frame_without_cancelling_the_turn(stub, alice):  # noqa: F811
    live_models(stub, a="slow:0.05", b="slow:0.05+y")
    battle = start_battle(alice, "short prompt")
    comm = communicator(battle.id, user=alice)

    async def go():
        assert (await comm.connect())[0]
        while (await comm.receive_json_from(timeout=10))["type"] != "turn_start":
            pass
        await _send_bad_frames(comm)
        frames = await receive_until(comm)
        await comm.disconnect()
        return frames

    frames = async_to_sync(go)()
    errors = [f for f in frames if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["bad_message"] * 5
    assert [e["detail"] for e in errors][:2] == [
        "Frames are JSON objects.",
        "JSON may be nested at most 64 levels deep.",
    ]
    # The generation went on to the end: the vote is open, nothing was cancelled.
    assert frames[-1]["type"] == "turn_done"
    assert LiveTurn.objects.get(battle=battle).state == LiveTurn.State.DONE
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED and not battle.excluded
