"""Websocket routes of every app, gathered in one place, and the origin check
every websocket handshake passes first."""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.urls import path

from evals.consumers import LiveBattleConsumer
from ratings.consumers import LeaderboardConsumer
from rewards.consumers import RewardsConsumer

websocket_urlpatterns: list = [
    path("ws/live/<uuid:battle_id>/", LiveBattleConsumer.as_asgi()),
    path("ws/rewards/", RewardsConsumer.as_asgi()),
    path("ws/leaderboard/", LeaderboardConsumer.as_asgi()),
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, or None if it is not an http(s) origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin1")
    return None


def _handshake_scheme(scope) -> str:
    """http or https, as Django's ``request.is_secure()`` would decide it."""
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name = proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode()
        if _header(scope, name) == proxy[1]:
            return "https"
    return "http"


def origin_allowed(scope) -> bool:
    """Whether the handshake's Origin is the site's own: scheme, host and port.

    The site's origins are the handshake's own (its scheme and an allowed
    ``Host``), as Django's CSRF check takes them, and ``CSRF_TRUSTED_ORIGINS``
    (``https://*.example.com`` covers subdomains). A handshake without Host,
    which no browser sends, is held to ``ALLOWED_HOSTS`` on the default port.
    """
    header = _header(scope, b"origin")
    origin = _origin(header) if header else None
    if origin is None:
        return False
    scheme = _handshake_scheme(scope)
    host = _header(scope, b"host")
    if host:
        domain, _ = split_domain_port(host)
        own = (
            [f"{scheme}://{host}"]
            if domain and validate_host(domain, settings.ALLOWED_HOSTS)
            else []
        )
    else:
        own = [f"{scheme}://{h}" for h in settings.ALLOWED_HOSTS if h and h[0] not in "*."]
    for allowed in [*own, *settings.CSRF_TRUSTED_ORIGINS]:
        if "://*." in allowed:
            wildcard = _origin(allowed.replace("://*.", "://", 1))
            if (
                wildcard is not None
                and origin[0::2] == wildcard[0::2]
                and origin[1].endswith("." + wildcard[1])
            ):
                return True
        elif _origin(allowed) == origin:
            return True
    return False


class SameOriginValidator:
    """Refuses a websocket handshake from a page of another origin.

    A browser sends the user's cookies with any page's websocket handshake;
    only Origin says which page opened it. Channels' AllowedHostsOriginValidator
    compares the host alone, so a page on another port or scheme of the same
    host (``http://127.0.0.1:9999``) read the user's live frames.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
