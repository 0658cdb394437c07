"""A websocket opens only from the site's own origin: scheme, host and port.

A page on another port of the same host (http://127.0.0.1:9999) opened
/ws/rewards/ with the victim's cookie and read their balance frames: the old
check compared the host alone.
"""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from datafi.routing import origin_allowed
from tests.live_support import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def open_rewards_socket(user, origin, host="127.0.0.1:8000", scheme="ws", extra=()):
    """Connect to /ws/rewards/ as ``user``; the first frame, or None if refused."""
    from datafi.asgi import application

    headers = [(b"cookie", f"sessionid={session_cookie(user)}".encode()), *extra]
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))

    async def go():
        comm = WebsocketCommunicator(application, "/ws/rewards/", headers=headers)
        comm.scope["scheme"] = scheme
        connected, _ = await comm.connect(timeout=10)
        frame = await comm.receive_json_from(timeout=10) if connected else None
        await comm.disconnect()
        return frame

    return async_to_sync(go)()


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port of the same host
        "https://127.0.0.1:8000",  # another scheme
        "http://127.0.0.1",  # the default port is another port
        "http://evil.example:8000",
        "null",
        "http://127.0.0.1:8000.evil.example",
    ],
)
def test_it_refuses_a_handshake_from_another_origin(alice, origin):
    assert open_rewards_socket(alice, origin) is None


def test_it_sends_balance_frames_to_the_sites_own_origin(alice):
    frame = open_rewards_socket(alice, "http://127.0.0.1:8000")
    assert frame is not None and frame["type"] == "balance"


def test_it_refuses_a_handshake_without_origin(alice):
    assert open_rewards_socket(alice, None) is None


def test_the_scheme_follows_the_connection_and_the_trusted_proxy_header(settings, alice):
    settings.CSRF_TRUSTED_ORIGINS = []  # the handshake's own origin only
    assert open_rewards_socket(alice, "https://127.0.0.1:8000", scheme="wss")["type"] == "balance"
    assert open_rewards_socket(alice, "http://127.0.0.1:8000", scheme="wss") is None
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind_tls = [(b"x-forwarded-proto", b"https")]
    assert open_rewards_socket(alice, "https://127.0.0.1:8000", extra=behind_tls) is not None


def scope(origin, host=None, scheme="ws"):
    headers = [(b"origin", origin.encode())]
    if host:
        headers.append((b"host", host.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers}


def test_trusted_origins_are_matched_whole_and_wildcards_cover_subdomains(settings):
    settings.ALLOWED_HOSTS = ["internal", ".example.com"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.example.org"]
    assert origin_allowed(scope("https://app.example.com", host="internal"))
    assert not origin_allowed(scope("http://app.example.com", host="internal"))
    assert not origin_allowed(scope("https://app.example.com:8443", host="internal"))
    assert origin_allowed(scope("https://eu.example.org", host="internal"))
    assert not origin_allowed(scope("https://example.org.evil.example", host="internal"))
    assert not origin_allowed(scope("http://eu.example.org", host="internal"))
    # A Host outside ALLOWED_HOSTS is no origin of the site's.
    assert not origin_allowed(scope("http://evil.example", host="evil.example"))


def test_a_handshake_without_host_is_held_to_allowed_hosts_on_the_default_port(settings):
    # No browser sends one; test clients do.
    settings.ALLOWED_HOSTS = ["testserver", "*"]
    settings.CSRF_TRUSTED_ORIGINS = []
    assert origin_allowed(scope("http://testserver"))
    assert not origin_allowed(scope("http://testserver:9999"))
    assert not origin_allowed(scope("http://anything.example"))
