"""Periodic work on an ASGI server's own event loop (one server: ``make run``).

The work is a sync function that claims what it does through the database
(SKIP LOCKED, leases), so any number of servers and workers can run it at once.
It runs in a thread, every ``interval_setting`` seconds, from the server's first
connection on, when ``enabled_setting`` is on; live events it sends on commit
reach websocket consumers of the in-memory channel layer.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)


class WithPeriodicTask:
    """ASGI middleware that starts ``work`` on the first connection, once."""

    def __init__(self, app, *, work, enabled_setting: str, interval_setting: str, what: str):
        self.app = app
        self.work = work
        self.enabled_setting = enabled_setting
        self.interval_setting = interval_setting
        self.what = what
        self.task = None

    async def __call__(self, scope, receive, send):
        if self.task is None and getattr(settings, self.enabled_setting):
            self.task = asyncio.get_running_loop().create_task(self._loop())
        return await self.app(scope, receive, send)

    def _once(self):
        try:
            return self.work()
        finally:
            close_old_connections()

    async def _loop(self) -> None:
        while True:
            try:
                await sync_to_async(self._once, thread_sensitive=False)()
            except Exception:  # a database hiccup must not stop it for good
                log.exception("%s failed", self.what)
            await asyncio.sleep(getattr(settings, self.interval_setting))
