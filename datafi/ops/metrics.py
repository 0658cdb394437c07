"""Prometheus metrics read from the database at scrape time.

Request metrics come from django-prometheus: per process, or, under gunicorn with
PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py sets it), summed over its
workers from their metric files. The figures
below describe shared state (queues, chain transactions, snapshots), so any
web process answers them alike: a scrape through the load balancer is right.
"""

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from evals import selectors as evals_selectors
from ratings import selectors as ratings_selectors
from rewards import selectors as rewards_selectors

_registered = False


class SharedStateCollector:
    def describe(self):
        return []  # collected lazily: no database read at registration

    def collect(self):
        from django.db import DatabaseError
        from django.utils import timezone

        try:
            backlog = evals_selectors.fold_backlog()
            queue = rewards_selectors.payout_queue()
            txs = rewards_selectors.chain_txs_by_state()
            newest = ratings_selectors.snapshot_newest_created()
            recent = evals_selectors.votes_since(seconds=3600)
        except DatabaseError:
            return
        yield GaugeMetricFamily(
            "datafi_votes_last_hour", "Votes cast in the last hour", value=recent
        )
        yield GaugeMetricFamily(
            "datafi_fold_backlog_votes",
            "Votes committed but not yet folded",
            value=backlog["votes"],
        )
        yield GaugeMetricFamily(
            "datafi_fold_lag_seconds",
            "Age of the oldest vote waiting to be folded",
            value=backlog["oldest_age_s"],
        )
        yield GaugeMetricFamily(
            "datafi_redemptions_open",
            "Redemptions not yet settled on chain",
            value=queue["redemptions_open"],
        )
        chain = GaugeMetricFamily(
            "datafi_chain_transactions",
            "Chain transactions by purpose and status",
            labels=["purpose", "status"],
        )
        for (purpose, status), n in sorted(txs.items()):
            chain.add_metric([purpose, status], n)
        yield chain
        if newest is not None:
            yield GaugeMetricFamily(
                "datafi_snapshot_age_seconds",
                "Age of the newest leaderboard snapshot",
                value=(timezone.now() - newest).total_seconds(),
            )


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(SharedStateCollector())
        _registered = True


def exposition() -> tuple[bytes, str]:
    """The /metrics page and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # The workers' request metrics, added up from their files, and the shared
        # state (a collector of this scrape's own registry: it reads the database).
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(SharedStateCollector())
    else:
        register()
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
