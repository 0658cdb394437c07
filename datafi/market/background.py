"""The in-process market pass for a single ASGI server (``make run``): on the embedded
chain only the server's process reaches the chain, so it follows registrations and
purchases itself, every REWARD_WORKER_SECONDS. With a real node, ``manage.py
market_worker`` does it."""

from datafi.background import WithPeriodicTask
from datafi.flows.market import market_tick


def with_market_worker(app):
    return WithPeriodicTask(
        app,
        work=market_tick,
        enabled_setting="REWARD_WORKER_IN_PROCESS",
        interval_setting="REWARD_WORKER_SECONDS",
        what="market pass",
    )
