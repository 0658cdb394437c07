"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
# Django must be set up before the consumers (and their models) are imported.
django.setup(set_prefix=False)


class DjangoHTTP(ASGIHandler):
    """Django's ASGI handler, with its middleware chain run as one sync call.

    Our middleware and views are sync. In Django's async chain every
    ``MiddlewareMixin`` hook is its own ``sync_to_async`` hop to the request
    thread and back (a dozen per request), which cost more CPU than a vote's
    own work. Here the request crosses to that thread once (the same
    thread-sensitive thread Django runs sync views in), runs every hook and
    the view there, and comes back with the response. Async views still work:
    Django's sync chain wraps them in ``async_to_sync``.
    """

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP here, not {scope['type']}.")
        await self.handle(scope, receive, send)

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django_asgi_app = DjangoHTTP()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from datafi.routing import websocket_urlpatterns  # noqa: E402
from evals.background import with_vote_folder  # noqa: E402
from ratings.background import with_leaderboard_refresher  # noqa: E402

websocket_application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
)
application = with_vote_folder(
    with_leaderboard_refresher(
        ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
    )
)
