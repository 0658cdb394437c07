"""Rate limits that hold under concurrency: the one mechanism for votes (per
user and per client IP), live generations and the accounts' throttles
(``datafi.accounts.throttle``).

Each (key, window) has one counter row, bumped with a single
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING count`` inside the vote's
transaction. There is no read-then-write to race on: on PostgreSQL the upsert
takes the row lock, so a concurrent vote of the same key waits and then sees
the committed count; on SQLite the whole write transaction is serialised. A vote
over a limit raises inside the transaction, which rolls back its own increments
along with everything else: a refused vote changes nothing.
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from datafi.api import ApiError
from evals.quality.models import RateCounter

# Only the table name (a constant) and the number of "(%s, %s, 1)" groups are
# formatted in; every value is a bound parameter.
_TABLE = RateCounter._meta.db_table
_UPSERT = (
    f"INSERT INTO {_TABLE} (key, window_start, count) VALUES {{values}} "  # noqa: S608
    f"ON CONFLICT (key, window_start) DO UPDATE SET count = {_TABLE}.count + 1 "
    "RETURNING key, count"
)


@dataclass(frozen=True)
class Limit:
    key: str
    seconds: int  # the window: fixed, aligned to the epoch (a minute, a UTC day, ...)
    limit: int
    per: str  # the window in words: "minute", "day"


MINUTE, DAY = 60, 86_400


def window_start(now: datetime, seconds: int) -> datetime:
    """Start of the fixed ``seconds``-long window ``now`` falls in (epoch-aligned)."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % max(1, seconds), UTC)


def seconds_left(now: datetime, seconds: int) -> int:
    """Whole seconds until the window ``now`` falls in ends (at least 1)."""
    end = window_start(now, seconds) + timedelta(seconds=max(1, seconds))
    return max(1, math.ceil((end - now).total_seconds()))


def vote_limits(*, user_id: int, ip: str | None) -> list[Limit]:
    """The limits a vote of ``user_id`` from ``ip`` counts against, in lock order.

    The order is fixed (user before IP, minute before day) so that two votes
    sharing a key always lock their counters in the same order and cannot
    deadlock.
    """
    out = [
        Limit(f"vote:user:{user_id}:m", MINUTE, settings.QUALITY_VOTES_PER_MINUTE_USER, "minute"),
        Limit(f"vote:user:{user_id}:d", DAY, settings.QUALITY_VOTES_PER_DAY_USER, "day"),
    ]
    if ip:
        out += [
            Limit(f"vote:ip:{ip}:m", MINUTE, settings.QUALITY_VOTES_PER_MINUTE_IP, "minute"),
            Limit(f"vote:ip:{ip}:d", DAY, settings.QUALITY_VOTES_PER_DAY_IP, "day"),
        ]
    return [limit for limit in out if limit.limit > 0]


def counters_bump(rows: list[tuple[str, datetime]]) -> dict[str, int]:
    """Add one to each (key, window start) counter in one statement; new counts by key.

    Keys must be distinct. Rows are locked in the order given (one statement,
    one VALUES list), which is what keeps concurrent votes deadlock-free.
    """
    if not rows:
        return {}
    params: list = []
    for key, window_start in rows:
        params += [key, connection.ops.adapt_datetimefield_value(window_start)]
    sql = _UPSERT.format(values=", ".join(["(%s, %s, 1)"] * len(rows)))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: int(count) for key, count in cursor.fetchall()}


def vote_limits_consume(*, user_id: int, ip: str | None, now: datetime) -> None:
    """Count one vote against every limit; raise ApiError(429) if any is exceeded.

    Must run inside the vote's transaction (the rollback of a refused vote is
    what takes its increments back).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("vote_limits_consume must run inside the vote transaction")
    active = vote_limits(user_id=user_id, ip=ip)
    counts = counters_bump([(limit.key, window_start(now, limit.seconds)) for limit in active])
    for limit in active:
        if counts[limit.key] > limit.limit:
            raise ApiError(
                "rate_limited",
                _vote_limit_detail(limit),
                status_code=429,
                retry_after=seconds_left(now, limit.seconds),
            )


def _vote_limit_detail(limit: Limit) -> str:
    # Whole sentences (not "per %(window)s"), so that each reads right when translated.
    account = ":user:" in limit.key
    if limit.per == "minute":
        text = (
            _("Too many votes from this account: at most %(limit)d per minute. Try again later.")
            if account
            else _(
                "Too many votes from your network address: at most %(limit)d per minute. "
                "Try again later."
            )
        )
    else:
        text = (
            _("Too many votes from this account: at most %(limit)d per day. Try again later.")
            if account
            else _(
                "Too many votes from your network address: at most %(limit)d per day. "
                "Try again later."
            )
        )
    return text % {"limit": limit.limit}


def generation_limit_consume(*, user_id: int, now: datetime) -> None:
    """Count one live generation of ``user_id``; raise ApiError(429) past the limit.

    The same counters as votes and throttles (one mechanism): an upsert adds
    one and returns the count, the database deciding under concurrency. A
    refused generation is not counted (its savepoint rolls the increment
    back), nor is one whose caller's transaction fails afterwards.
    """
    seconds, limit = max(1, settings.LIVE_RATE_WINDOW_S), settings.LIVE_RATE_LIMIT
    key = f"live:user:{user_id}:{seconds}"
    with transaction.atomic():
        count = counters_bump([(key, window_start(now, seconds))])[key]
        if count > limit:
            raise ApiError(
                "rate_limited",
                # Translators: "You can start 5 generations per 10 minutes; please wait ..."
                _("You can start %(generations)s per %(minutes)s; please wait a little.")
                % {
                    "generations": ngettext("%(n)d generation", "%(n)d generations", limit)
                    % {"n": limit},
                    "minutes": ngettext("%(n)d minute", "%(n)d minutes", seconds // 60)
                    % {"n": seconds // 60},
                },
                status_code=429,
                retry_after=seconds_left(now, seconds),
            )


def rate_counters_prune(*, now: datetime) -> int:
    """Delete counters of windows that ended more than a day ago; return how many."""
    # The longest window is a day, unless live generations are counted over longer.
    longest = max(timedelta(days=1), timedelta(seconds=settings.LIVE_RATE_WINDOW_S))
    deleted, _ = RateCounter.objects.filter(
        window_start__lt=now - longest - timedelta(days=1)
    ).delete()
    return deleted


def client_ip(request) -> str:
    """The client's IP: REMOTE_ADDR, or X-Forwarded-For behind TRUSTED_PROXY_COUNT proxies.

    With N trusted proxies, each appends the address it received the request
    from, so the client is the N-th address from the right; anything further
    left was written by the client and is not trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if forwarded:
            candidate = forwarded[-hops] if len(forwarded) >= hops else forwarded[0]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return remote[:64]


def network_key(ip: str | None) -> str | None:
    """A keyed hash of the network a vote came from: the IPv4 address, or the
    IPv6 /64 (one household or device on IPv6). The address itself is not kept."""
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.version == 6:
        addr = ipaddress.ip_network(f"{addr}/64", strict=False).network_address
    return salted_hmac("datafi.quality.network", str(addr), algorithm="sha256").hexdigest()[:16]
