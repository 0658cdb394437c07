from datetime import UTC, datetime

import pytest

# Mid-way through every throttle window (minute, 10 minutes, hour, day), so that
# no test's requests straddle a window's end.
MID_WINDOW = datetime(2026, 6, 15, 12, 5, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _throttle_clock(monkeypatch):
    from datafi.accounts import throttle

    monkeypatch.setattr(throttle, "_clock", lambda: MID_WINDOW)


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    # Every log-in and sign-up hashes a password; at Django's real cost (a
    # second each on a loaded machine) these suites take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
