"""The in-process payout pass for a single ASGI server (``make run``).

On the embedded chain only the server's own process can reach the chain, so
the server runs the payout worker's step itself, every REWARD_WORKER_SECONDS.
With a real node, ``manage.py rewards_worker`` does it (any number, safely).
"""

from datafi.background import WithPeriodicTask
from rewards.services.payouts import worker_tick_serialised


def with_payout_worker(app):
    return WithPeriodicTask(
        app,
        work=worker_tick_serialised,
        enabled_setting="REWARD_WORKER_IN_PROCESS",
        interval_setting="REWARD_WORKER_SECONDS",
        what="payout pass",
    )
