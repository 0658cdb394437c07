"""Fixtures and helpers for the live battle suites.

Import the fixtures you use into the test module (pytest finds them there).
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from tests.conftest import build_arena
from tests.openai_stub_server import StubServer

END_TYPES = {"turn_done", "battle_error"}


@pytest.fixture
def stub():
    server = StubServer(api_key="sk-test-secret").start()
    server.hang_s = 5.0
    yield server
    server.stop()


def live_models(stub, *, a="alpha", b="beta", timeout_s=5.0, api_key="sk-test-secret"):
    """The test arena, with endpoints for two of its models (and only two)."""
    from evals import endpoints

    arena = build_arena(prompts=3)
    first, second = arena["models"][0], arena["models"][3]
    for model, mode in ((first, a), (second, b)):
        endpoints.endpoint_upsert(
            model=model,
            base_url=stub.base_url,
            provider_model_id=mode,
            api_key=api_key,
            timeout_s=timeout_s,
        )
    arena["live"] = {first.id: a, second.id: b}
    return arena


def identities(arena) -> set[str]:
    out = set()
    for model in arena["models"]:
        out |= {model.name, model.slug, model.organization.name, model.organization.slug}
    out |= {"openai"}
    return {s.lower() for s in out}


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(battle_id, *, user=None, origin="http://testserver"):
    """A websocket client for ``battle_id``, logged in as ``user``.

    Call it from sync code (it logs in through the ORM), then use it in async code.
    """
    from datafi.asgi import application

    headers = [(b"origin", origin.encode())] if origin else []
    if user is not None:
        headers.append((b"cookie", f"sessionid={session_cookie(user)}".encode()))
    return WebsocketCommunicator(application, f"/ws/live/{battle_id}/", headers=headers)


async def receive_until(comm, types=END_TYPES, timeout=15.0) -> list[dict]:
    """Frames until one of ``types``; ``timeout`` is the longest wait for any one frame."""
    frames = []
    while True:
        try:
            frame = await comm.receive_json_from(timeout=timeout)
        except TimeoutError:
            # Say what did arrive: a hang after turn_start and one before hello
            # are different bugs.
            kinds = [f.get("type") for f in frames]
            raise AssertionError(
                f"no frame for {timeout} s after {len(frames)} frames: {kinds[-12:]}"
            ) from None
        frames.append(frame)
        if frame["type"] in types:
            return frames


def start_battle(user, prompt="Explain rainbows to a child."):
    from evals import live

    return live.live_battle_start(user=user, text=prompt)


def run_battle(user, battle_id, *, then=None, timeout=15.0) -> list[dict]:
    """Connect as ``user``, collect frames until the turn ends, run ``then``
    (an async function of the communicator returning more frames), disconnect."""

    comm = communicator(battle_id, user=user)

    async def go():
        connected, code = await comm.connect()
        assert connected, code
        frames = await receive_until(comm, timeout=timeout)
        if then is not None:
            frames += await then(comm)
        await comm.disconnect()
        return frames

    return async_to_sync(go)()


def side_of(battle, model_id) -> str:
    return "a" if battle.model_a_id == model_id else "b"


def dump(frames) -> str:
    return json.dumps(frames, ensure_ascii=False).lower()


def close_db_pool():
    """Threads return their connections to psycopg's pool, where they stay open
    and keep the test database from being dropped: close the pool."""
    from django.db import connection

    if getattr(connection, "pool", None) is not None:
        connection.close_pool()
