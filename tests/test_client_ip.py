"""The client address comes from TRUSTED_PROXY_COUNT alone, whatever the server.

uvicorn trusts X-Forwarded-For from 127.0.0.1 by default and rewrites the
client address with it: behind no proxy at all, a client on the same host
lifted the per-IP vote limit by writing a new X-Forwarded-For on each vote.
The servers are started as the Makefile starts them, on the test database.
"""

import json

import pytest

from tests.test_serving import _free_port, get, start_server, stop_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CSRF = "c" * 32


@pytest.fixture
def voters(settings):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from datafi.accounts import services as account_services
    from tests.conftest import build_arena

    build_arena(prompts=6)
    sessions = []
    for i in range(4):
        user = account_services.user_create(username=f"ipvoter{i}", password="x" * 20)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    return sessions


def serve_and_vote(port, session, forwarded_for) -> int:
    cookie = f"sessionid={session}; csrftoken={CSRF}"
    headers = {"Cookie": cookie, "Accept": "application/json", "X-Forwarded-For": forwarded_for}
    status, body = get(port, "/api/arena/next", headers)
    assert status == 200, body[:300]
    url = json.loads(body)["vote_url"]
    headers.update({"X-CSRFToken": CSRF, "Content-Type": "application/json"})
    status, _ = get(port, url, headers, method="POST", body=json.dumps({"choice": "tie"}))
    return status


def votes_from_one_address(target, sessions, **env) -> list[int]:
    from evals.quality.models import RateCounter

    RateCounter.objects.all().delete()  # each server starts from a fresh count
    port = _free_port()
    server = start_server(
        target,
        port,
        env={
            # Three votes a day per address; the per-user limits stay far off.
            "QUALITY_VOTES_PER_DAY_IP": "3",
            "QUALITY_VOTES_PER_MINUTE_IP": "0",
            "QUALITY_MIN_VOTE_MS": "0",
            "QUALITY_IMPOSSIBLE_VOTE_MS": "0",
            **env,
        },
    )
    try:
        # Each vote from a new voter, each claiming a new forwarded address.
        return [
            serve_and_vote(port, sessions[i], f"203.0.113.{i + 1}") for i in range(len(sessions))
        ]
    finally:
        stop_server(server)


@pytest.mark.parametrize("target", ["serve-ws", "serve-http", "serve"])
def test_a_forged_x_forwarded_for_does_not_lift_the_per_ip_vote_limit(target, voters):
    assert votes_from_one_address(target, voters) == [200, 200, 200, 429]


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(voters):
    # With TRUSTED_PROXY_COUNT=1 the last X-Forwarded-For entry is the client:
    # four addresses, one vote each, none over its limit.
    statuses = votes_from_one_address("serve-ws", voters, TRUSTED_PROXY_COUNT="1")
    assert statuses == [200, 200, 200, 200]
