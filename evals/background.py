"""The ASGI server's own background fold pass (see ``VOTE_FOLD_IN_PROCESS``).

Runs as a task on the server's event loop and folds through the same queue as
``manage.py vote_worker`` (claimed with SKIP LOCKED), so any number of servers
and workers can run it at once. In inline mode it only picks up votes whose
fold failed in their request; in deferred mode it is the fold, unless workers
do it.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from evals.services import votes_fold

log = logging.getLogger(__name__)


def fold_until_empty(*, batch: int) -> int:
    """Fold what is queued, in batches; how many votes were folded.

    Stops at the first batch that is not full: the votes still arriving wait
    for the next pass, so that a busy queue is folded in big batches (a batch
    costs about the same twenty statements however many votes it holds).
    """
    total = 0
    while True:
        n = votes_fold(limit=batch)
        total += n
        if n < batch:
            return total


def _fold_pass() -> int:
    try:
        return fold_until_empty(batch=settings.VOTE_FOLD_BATCH)
    finally:
        close_old_connections()


async def folder_loop(interval: float) -> None:
    while True:
        try:
            await sync_to_async(_fold_pass, thread_sensitive=False)()
        except Exception:  # a database hiccup must not stop the fold for good
            log.exception("vote fold pass failed")
        await asyncio.sleep(interval)


class WithVoteFolder:
    """ASGI middleware that starts the fold pass on the first connection, once."""

    def __init__(self, app):
        self.app = app
        self.task = None

    async def __call__(self, scope, receive, send):
        if self.task is None and settings.VOTE_FOLD_IN_PROCESS:
            self.task = asyncio.get_running_loop().create_task(
                folder_loop(settings.VOTE_FOLD_SECONDS)
            )
        return await self.app(scope, receive, send)


def with_vote_folder(app):
    return WithVoteFolder(app)
