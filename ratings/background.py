"""The in-process leaderboard refresher for a single ASGI server (``make run``).

It claims work through the same queue as ``manage.py ratings_worker``, so
running both, or many servers, is safe.
"""

from datafi.background import WithPeriodicTask
from ratings.services import refresh_dirty, worker_name


def with_leaderboard_refresher(app):
    return WithPeriodicTask(
        app,
        work=lambda: refresh_dirty(worker=worker_name()),
        enabled_setting="RATINGS_REFRESH_IN_PROCESS",
        interval_setting="RATINGS_REFRESH_SECONDS",
        what="leaderboard refresh pass",
    )
