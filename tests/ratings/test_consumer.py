"""Open leaderboard pages hear about new snapshots over the websocket."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from datafi.asgi import application
from datafi.settings import redis_channel_layer
from tests.ratings.conftest import cast_votes

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _snapshot_arrives(alice):
    from ratings.services import leaderboard_refresh

    communicator = WebsocketCommunicator(
        application, "/ws/leaderboard/", headers=[(b"origin", b"http://testserver")]
    )
    connected, _ = await communicator.connect()
    assert connected
    await sync_to_async(cast_votes)(alice, 3)
    snaps = await sync_to_async(leaderboard_refresh)(category="", language="")
    message = await communicator.receive_json_from(timeout=5)
    assert message == {
        "type": "snapshot",
        "category": "",
        "language": "",
        "vote_count": 3,
        "snapshots": {s.method: s.id for s in snaps},
    }
    await communicator.send_json_to({"anything": 1})  # ignored, not an error
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_consumer_receives_the_snapshot_event(arena, alice, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    await _snapshot_arrives(alice)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
async def test_the_snapshot_event_travels_through_redis(arena, alice, settings):
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(settings.REDIS_URL)}
    await _snapshot_arrives(alice)


@pytest.mark.django_db(transaction=True)
async def test_a_foreign_origin_is_refused(db, settings):
    # The in-memory layer: a refused consumer cancelled on this test's event loop
    # must not touch the process's Redis layer, which keeps receive state per
    # layer instance and then refused every later receive from another loop
    # (the live-battle websockets of the browser tests broke that way on CI).
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    communicator = WebsocketCommunicator(
        application, "/ws/leaderboard/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    # As a browser does after the refusal. Left open, the refused consumer kept
    # waiting on the channel layer and the test's event loop never closed (it
    # hung CI when the layer was Redis).
    await communicator.disconnect()
