"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.urls import set_script_prefix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
# Django must be set up before the consumers (and their models) are imported.
django.setup(set_prefix=False)


class DjangoHTTP(ASGIHandler):
    """Django's ASGI handler, with each request's sync work done in one hop.

    Our middleware and views are sync. Django's stock handler crosses from the
    event loop to a sync thread and back for the request_started signal, for
    every ``MiddlewareMixin`` hook (a dozen per request), for the view and for
    ``response.close()``, and starts a new thread for each request: that cost
    more CPU than a vote's own work. Here the whole request (signals,
    middleware, view) runs as one sync call on the worker's request thread
    (the thread Django runs sync code in when no request context is set up),
    and the event loop only reads the body and writes the response.

    The trade-off: one worker runs one request's sync code at a time (Python
    could not run two at once anyway), so a server runs a few workers per
    core. Async views still work (Django's sync chain wraps them in
    ``async_to_sync``); streaming responses are sent as Django sends them.
    """

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP here, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:  # the client went away
            return
        set_script_prefix(get_script_prefix(scope))
        try:
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                # Closing fires request_finished (and frees the database
                # connection): for a stream, only once it has been sent.
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope, body_file):
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
        if not response.streaming:
            # The content is in memory: close now, in this hop (request_finished).
            response.close()
        return response


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
