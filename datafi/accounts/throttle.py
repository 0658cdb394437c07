"""Throttles for the ways in: log-in, sign-up, password reset, wallet nonce and sign-in.

Failed log-ins are counted by django-axes (settings ``AXES_*``); this module gives
it the back-off (``login_cool_off``). The other entry points count every request
per client address (and per e-mail for password reset) in the rate counters the
vote limits use (``evals.quality.limits``): one upsert per request that holds
under concurrency, across processes. Each scope has a short and a long window, so
a burst waits a few minutes and a sustained run waits out the day.
"""

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q, Sum
from django.db.models.functions import Right
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from datafi.api import ApiError
from evals.quality.limits import client_ip, counters_bump, window_start

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^(\d+)/(\d*)([smhd])$")
# Rate counters are pruned two days after their window starts
# (evals.quality.limits.rate_counters_prune), so no window may be longer than a day.
_LONGEST_WINDOW = 86400

# scope -> (setting with its rates, what is counted in words). The words complete
# "Too many %(what)s, so this one was not carried out." (see throttle_consume).
SCOPES = {
    "signup": (
        "THROTTLE_SIGNUP",
        pgettext_lazy("too many ...", "sign-up attempts from your network"),
    ),
    "password_reset": (
        "THROTTLE_PASSWORD_RESET",
        pgettext_lazy("too many ...", "password reset requests from your network"),
    ),
    "password_reset_email": (
        "THROTTLE_PASSWORD_RESET_EMAIL",
        pgettext_lazy("too many ...", "password reset requests for this e-mail address"),
    ),
    "wallet_nonce": (
        "THROTTLE_WALLET_NONCE",
        pgettext_lazy("too many ...", "wallet sign-in requests from your network"),
    ),
    "wallet_login": (
        "THROTTLE_WALLET_LOGIN",
        pgettext_lazy("too many ...", "wallet sign-in attempts from your network"),
    ),
    # Per account: the deletion form checks the password, so a stolen session
    # must not be able to try passwords there without limit.
    "account_delete": (
        "THROTTLE_ACCOUNT_DELETE",
        pgettext_lazy("too many ...", "deletion attempts for this account"),
    ),
    # Per account, for the same reason: the change form checks the current
    # password, and a stolen session that guessed it could set a new one and
    # lock the owner out.
    "password_change": (
        "THROTTLE_PASSWORD_CHANGE",
        pgettext_lazy("too many ...", "password change attempts for this account"),
    ),
    # Per organization: a probe calls the provider's endpoint and holds a web
    # thread until it answers or times out.
    "endpoint_probe": (
        "THROTTLE_ENDPOINT_PROBE",
        pgettext_lazy("too many ...", "endpoint probes for your organization"),
    ),
}


def _clock() -> datetime:
    # One place that reads the time, so that tests can hold it mid-window.
    return timezone.now()


@dataclass(frozen=True)
class Window:
    limit: int
    seconds: int


class Throttled(ApiError):
    """Too many requests: a 429 that says when to come back."""

    def __init__(self, detail: str, retry_after: int):
        super().__init__("throttled", detail, 429, retry_after=retry_after)


def parse_rates(value: str) -> list[Window]:
    """``"10/10m,50/1d"`` -> windows; ImproperlyConfigured on anything else."""
    windows = []
    for part in (p.strip() for p in value.split(",") if p.strip()):
        match = _RATE_RE.match(part)
        if not match:
            raise ImproperlyConfigured(f"Not a rate like 10/10m: {part!r}")
        seconds = int(match[2] or 1) * _UNITS[match[3]]
        if not 0 < seconds <= _LONGEST_WINDOW:
            raise ImproperlyConfigured(f"A throttle window lasts 1 s to 1 d: {part!r}")
        windows.append(Window(limit=int(match[1]), seconds=seconds))
    return windows


def _in_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    if seconds < 90 * 60:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def retry_in_words(seconds: int) -> str:
    """'about 15 minutes (at 14:05 UTC)': when a throttled person may try again."""
    at = _clock() + timedelta(seconds=seconds)
    # Translators: %(wait)s is e.g. "15 minutes", %(time)s a UTC clock time such as 14:05.
    return _("about %(wait)s (at %(time)s UTC)") % {
        "wait": _in_words(seconds),
        "time": f"{at.astimezone(UTC):%H:%M}",
    }


def throttle_consume(*, scope: str, key: str, now: datetime | None = None) -> None:
    """Count one request of ``key`` in ``scope``; raise Throttled past any window's limit.

    Runs in its own autocommit statement, outside the caller's transaction: the
    count must stay even when the request it counts fails.
    """
    setting, what = SCOPES[scope]
    windows = [w for w in parse_rates(getattr(settings, setting)) if w.limit > 0]
    if not windows:
        return
    now = now or _clock()
    rows = [(f"{scope}:{key}:{w.seconds}"[:120], window_start(now, w.seconds)) for w in windows]
    counts = counters_bump(rows)
    waits = [
        math.ceil((start + timedelta(seconds=w.seconds) - now).total_seconds())
        for w, (row_key, start) in zip(windows, rows, strict=True)
        if counts[row_key] > w.limit
    ]
    if waits:
        wait = max(1, *waits)
        raise Throttled(
            # Translators: %(what)s is e.g. "sign-up attempts from your network";
            # %(when)s e.g. "about 15 minutes (at 14:05 UTC)".
            _("Too many %(what)s, so this one was not carried out. Please try again in %(when)s.")
            % {"what": what, "when": retry_in_words(wait)},
            retry_after=wait,
        )


def address_key(request) -> str:
    return f"ip:{client_ip(request)}"


def email_key(email: str) -> str:
    # Hashed: the counter table is not a list of addresses people typed.
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return f"email:{digest}"


def login_cool_off(request) -> timedelta:
    """django-axes' cool-off: LOGIN_LOCKOUT_MINUTES, doubled for every further
    LOGIN_FAILURE_LIMIT failures of this account or address, capped.

    Counts the failures axes still holds (it deletes them once a cool-off has
    passed without one), so the lock grows while someone keeps trying and resets
    once they stop for long enough.
    """
    base = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    cap = timedelta(minutes=max(settings.LOGIN_LOCKOUT_MAX_MINUTES, settings.LOGIN_LOCKOUT_MINUTES))
    if request is None:
        return base
    username = get_client_username(request)
    address = getattr(request, "axes_ip_address", None)
    matches = [Q(username=username)] if username else []
    matches += [Q(ip_address=address)] if address else []
    failures = 0
    for match in matches:
        total = AccessAttempt.objects.filter(match).aggregate(n=Sum("failures_since_start"))["n"]
        failures = max(failures, total or 0)
    limit = max(1, int(settings.AXES_FAILURE_LIMIT))
    doublings = max(0, failures // limit - 1)
    # 2**20 base periods exceed any sane cap; stop there instead of overflowing.
    return min(cap, base * 2 ** min(doublings, 20))


# axes appends each failed try's GET and POST data (passwords masked) to the
# attempt's row, and rewrites the row on every try: under a sustained run that
# row would grow without bound and each update cost more. Keep the latest part.
ATTEMPT_LOG_CHARS = 2048


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler (AXES_HANDLER), with each attempt's request log capped."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
            user_agent=request.axes_user_agent,
        ).update(
            get_data=Right("get_data", ATTEMPT_LOG_CHARS),
            post_data=Right("post_data", ATTEMPT_LOG_CHARS),
        )
