"""The Redis channel layer keeps a consumer alive through a late blocking-pop reply."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer as UpstreamLayer
from redis.exceptions import TimeoutError as RedisTimeoutError

from datafi.settings import redis_channel_layer

pytestmark = pytest.mark.redis


def test_a_read_timeout_of_the_blocking_pop_does_not_end_the_receive(settings, monkeypatch):
    # channels_redis blocks 5 s in BZPOPMIN and redis-py 8 times sockets out at
    # 5 s: on a busy host the empty reply came late and the consumer died on
    # "Timeout reading" (it failed CI that way). Here the first pop times out.
    upstream = UpstreamLayer._brpop_with_clean
    calls = []

    async def late_reply_once(self, index, channel, timeout):
        calls.append(channel)
        if len(calls) == 1:
            raise RedisTimeoutError("Timeout reading from 127.0.0.1:6379")
        return await upstream(self, index, channel, 1)

    monkeypatch.setattr(UpstreamLayer, "_brpop_with_clean", late_reply_once)
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(settings.REDIS_URL, prefix="idle")}
    layer = get_channel_layer()

    async def go():
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.5)
        assert calls and not waiting.done(), waiting.exception() if waiting.done() else calls
        await layer.send(channel, {"type": "hello"})
        assert (await asyncio.wait_for(waiting, timeout=10)) == {"type": "hello"}
        await layer.flush()

    async_to_sync(go)()
