"""The live flow with Redis as the channel layer (what several workers share)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from datafi.settings import redis_channel_layer
from evals.identity import leak_pattern, mask
from evals.models import LiveTurn
from tests.live_support import (
    communicator,
    dump,
    identities,
    live_models,
    receive_until,
    side_of,
    start_battle,
)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_layer(settings):
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(settings.REDIS_URL, capacity=1000)}
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"
    yield layer
    async_to_sync(layer.flush)()


def test_a_live_battle_streams_through_redis_to_every_socket(redis_layer, stub, alice):
    arena = live_models(stub, a="leak:Halcyon-9+slow:0.01", b="slowpoke+slow:0.1+words:200")
    battle = start_battle(alice)
    slow = side_of(battle, next(m for m, v in arena["live"].items() if v.startswith("slowpoke")))
    first = communicator(battle.id, user=alice)
    second = communicator(battle.id, user=alice)

    async def go():
        assert (await first.connect())[0]
        assert (await second.connect())[0]
        # The second tab watches; it asks to stop the slow side, and the
        # request reaches the socket that is generating, through Redis.
        watched = []
        while True:
            frame = await second.receive_json_from(timeout=10)
            watched.append(frame)
            if frame["type"] == "delta" and frame["side"] == slow:
                await second.send_json_to({"type": "stop", "side": slow})
                break
        got = await asyncio.gather(receive_until(first), receive_until(second))
        await first.disconnect()
        await second.disconnect()
        return got[0], watched + got[1]

    one, two = async_to_sync(go)()
    assert one[-1]["type"] == two[-1]["type"] == "turn_done"
    stream = lambda frames: [(f["side"], f["text"]) for f in frames if f["type"] == "delta"]  # noqa: E731
    assert stream(one) == stream(two) and len(stream(one)) > 10
    done = {f["side"]: f["finish_reason"] for f in one if f["type"] == "side_done"}
    assert done[slow] == "stopped"
    text = dump(one + two)
    assert not any(ident in text for ident in identities(arena)) and "[model]" in text
    turn = LiveTurn.objects.get(battle=battle)
    assert turn.state == LiveTurn.State.DONE
    pattern = leak_pattern()
    for side in "ab":
        streamed = "".join(t for s, t in stream(one) if s == side)
        assert streamed == mask(getattr(turn, f"answer_{side}").text, pattern)
