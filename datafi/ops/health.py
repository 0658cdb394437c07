"""What a load balancer and an operator ask of a running datafi: is it well?

One read across the apps, through their selectors. The database is the one
thing a web process cannot serve without: it alone makes the answer a 503.
Everything else (Redis, the chain node, queues, snapshot age, user balances
that disagree with the ledger) is reported, and marks the service
``degraded`` when it is out of bounds.
"""

import time

from django.conf import settings
from django.db import connection
from django.utils import timezone

from evals import selectors as evals_selectors
from ratings import selectors as ratings_selectors
from rewards import selectors as rewards_selectors


def _timed(check):
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # a health check reports failures, it never raises them
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _redis():
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False}
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True, "configured": True}


def _fold():
    backlog = evals_selectors.fold_backlog()
    backlog["ok"] = backlog["oldest_age_s"] <= settings.HEALTH_FOLD_MAX_AGE_S
    return backlog


def _payouts():
    queue = rewards_selectors.payout_queue()
    queue["ok"] = queue["oldest_chain_tx_age_s"] <= settings.HEALTH_CHAIN_TX_MAX_AGE_S
    return queue


def _snapshot():
    created = ratings_selectors.snapshot_newest_created()
    if created is None:
        return {"ok": True, "age_s": None}
    age = round((timezone.now() - created).total_seconds(), 1)
    return {"ok": age <= settings.HEALTH_SNAPSHOT_MAX_AGE_S, "age_s": age}


def _ledger():
    check = rewards_selectors.ledger_balance_check()
    check["ok"] = check["mismatched_accounts"] == 0
    return check


def health_report() -> tuple[int, dict]:
    """(HTTP status, report). 503 only when the database cannot be reached."""
    checks = {"database": _timed(_database)}
    if checks["database"]["ok"]:
        checks.update(
            {
                "redis": _timed(_redis),
                "chain": _timed(rewards_selectors.chain_head),
                "fold": _timed(_fold),
                "payouts": _timed(_payouts),
                "snapshot": _timed(_snapshot),
                "ledger": _timed(_ledger),
            }
        )
    if not checks["database"]["ok"]:
        return 503, {"status": "down", "checks": checks}
    state = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    return 200, {"status": state, "checks": checks}
