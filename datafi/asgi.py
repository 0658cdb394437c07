"""ASGI entry point: websockets through Channels, HTTP through Django's own handler.

``make run`` serves both from this one process (daphne). Scaled out, HTTP goes
to gunicorn's threaded workers on ``datafi.wsgi`` and only websockets come here
(``make serve-http`` / ``make serve-ws``; README, "Serving"). Django's stock
handler runs each request's sync code on a thread of its own, so no request can
see another's transaction or database connection (issue #13, D2).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
# Django must be set up before the consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from datafi.market.background import with_market_worker  # noqa: E402
from datafi.routing import SameOriginValidator, websocket_urlpatterns  # noqa: E402
from evals.background import with_generation_worker, with_vote_folder  # noqa: E402
from ratings.background import with_leaderboard_refresher  # noqa: E402
from rewards.background import with_payout_worker  # noqa: E402

websocket_application = SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
application = with_market_worker(
    with_generation_worker(
        with_payout_worker(
            with_vote_folder(
                with_leaderboard_refresher(
                    ProtocolTypeRouter(
                        {"http": django_asgi_app, "websocket": websocket_application}
                    )
                )
            )
        )
    )
)
