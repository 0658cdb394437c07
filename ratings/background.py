"""The in-process leaderboard refresher for a single ASGI server (``make run``).

Runs as a task on the server's own event loop, so live events sent from the
refresh reach websocket consumers of the in-memory channel layer. It claims
work through the same queue as ``manage.py ratings_worker``, so running both,
or many servers, is safe.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from ratings.services import refresh_dirty, worker_name

log = logging.getLogger(__name__)


def _refresh_once() -> int:
    try:
        return refresh_dirty(worker=worker_name())
    finally:
        close_old_connections()


async def refresher_loop(interval: float) -> None:
    while True:
        try:
            await sync_to_async(_refresh_once, thread_sensitive=False)()
        except Exception:  # a database hiccup must not stop live leaderboards
            log.exception("leaderboard refresh pass failed")
        await asyncio.sleep(interval)


class WithLeaderboardRefresher:
    """ASGI middleware that starts the refresher on the first connection, once."""

    def __init__(self, app):
        self.app = app
        self.task = None

    async def __call__(self, scope, receive, send):
        if self.task is None and settings.RATINGS_REFRESH_IN_PROCESS:
            self.task = asyncio.get_running_loop().create_task(
                refresher_loop(settings.RATINGS_REFRESH_SECONDS)
            )
        return await self.app(scope, receive, send)


def with_leaderboard_refresher(app):
    return WithLeaderboardRefresher(app)
