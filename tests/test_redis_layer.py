"""The Redis channel layer is channels_redis's own, configured to outwait its pop."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer

from datafi.settings import redis_channel_layer

pytestmark = pytest.mark.redis


def test_its_sockets_time_out_later_than_its_blocking_pop_waits(settings):
    # redis-py 8 times a read out at 5 s, the pop blocks 5 s: an empty reply
    # that came a moment late killed the consumer on a busy host. This fails if
    # channels_redis's pop ever outgrows the socket timeout set in settings.
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(settings.REDIS_URL, prefix="idle")}
    layer = get_channel_layer()
    assert type(layer) is RedisChannelLayer
    pool = layer.create_pool(0)
    assert pool.connection_kwargs["socket_timeout"] >= layer.brpop_timeout + 5


def test_a_receive_outlives_an_empty_blocking_pop(settings):
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(settings.REDIS_URL, prefix="idle")}
    layer = get_channel_layer()

    async def go():
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(layer.brpop_timeout + 1)  # one whole empty pop
        assert not waiting.done(), waiting.exception() if waiting.done() else None
        await layer.send(channel, {"type": "hello"})
        assert (await asyncio.wait_for(waiting, timeout=10)) == {"type": "hello"}
        await layer.flush()

    async_to_sync(go)()
