"""Folding votes outside a request: the loop shared by ``manage.py vote_worker``
and the ASGI server's own background pass (``VOTE_FOLD_IN_PROCESS``).

Both fold through the same queue (claimed with SKIP LOCKED), so any number of
servers and workers can run at once. In inline mode the server's pass only
picks up votes whose fold failed in their request; in deferred mode it is the
fold, unless workers do it.
"""

from django.conf import settings

from datafi.background import WithPeriodicTask
from datafi.flows.fold import votes_fold


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


def with_vote_folder(app):
    return WithPeriodicTask(
        app,
        work=lambda: fold_until_empty(batch=settings.VOTE_FOLD_BATCH),
        enabled_setting="VOTE_FOLD_IN_PROCESS",
        interval_setting="VOTE_FOLD_SECONDS",
        what="vote fold pass",
    )


def with_generation_worker(app):
    """Providers' generation jobs, run by the one server of ``make run``."""
    from evals.provider.live import generation_jobs_run

    return WithPeriodicTask(
        app,
        work=lambda: generation_jobs_run(limit=1),
        enabled_setting="GENERATION_JOBS_IN_PROCESS",
        interval_setting="GENERATION_JOBS_SECONDS",
        what="generation job pass",
    )
