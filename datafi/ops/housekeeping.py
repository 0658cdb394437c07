"""Housekeeping: keep every table that grows with time bounded.

The one cross-app flow that deletes: each app prunes its own tables through
its services; this module only says when and with which retention.
"""

from django.conf import settings
from django.utils import timezone

from evals.quality import limits as quality_limits
from ratings import services as ratings_services
from rewards.services import wallets


def prune(*, now=None) -> dict[str, int]:
    """Delete what has outlived its use; return rows deleted per table."""
    now = now or timezone.now()
    return {
        "leaderboard snapshots": ratings_services.snapshots_prune(
            now=now,
            keep_days=settings.RATINGS_SNAPSHOT_KEEP_DAYS,
            history_days=settings.RATINGS_SNAPSHOT_HISTORY_DAYS,
        ),
        # votes, live generations and the accounts' throttles share them
        "rate counters": quality_limits.rate_counters_prune(now=now),
        "SIWE nonces": wallets.siwe_nonces_prune(now=now),
    }
