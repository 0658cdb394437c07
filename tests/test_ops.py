"""Health, metrics and housekeeping (datafi.ops)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from tests.ratings.conftest import cast_votes


@pytest.fixture(autouse=True)
def _scripted_voters(settings, fresh_cache):
    # fresh_cache: the ledger check's count is cached between polls.
    settings.QUALITY_DEFENCES = False
    settings.RATINGS_BOOTSTRAP_ROUNDS = 20
    settings.RATINGS_STYLE_ROUNDS = 5


def test_health_is_ok_on_a_quiet_service(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "redis",
        "chain",
        "fold",
        "payouts",
        "snapshot",
        "ledger",
    }
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["fold"]["votes"] == 0
    assert body["checks"]["fold"]["ok"] is True


def test_health_says_degraded_when_the_fold_falls_behind(client, settings, alice, arena):
    settings.VOTE_FOLD = "deferred"
    cast_votes(alice, 3)
    from evals.models import Vote

    Vote.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["fold"]["votes"] == 3
    assert body["checks"]["fold"]["oldest_age_s"] >= 300
    assert body["checks"]["fold"]["ok"] is False


def test_health_answers_503_without_a_database(client, db, monkeypatch):
    from datafi.ops import health

    def broken():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert "connection refused" in response.json()["checks"]["database"]["error"]


def _break_a_balance(user):
    """What a bug writing balances past the ledger would leave: a stored balance
    that is not the sum of the account's entries."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rewards_account SET balance = balance + 7 WHERE user_id = %s AND kind = %s",
            [user.id, "available"],
        )
        assert cursor.rowcount == 1


def test_health_finds_no_ledger_mismatch_on_a_sound_ledger(client, alice, arena):
    cast_votes(alice, 2)
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["ledger"]["ok"] is True
    assert body["checks"]["ledger"]["mismatched_accounts"] == 0


def test_health_says_degraded_when_a_balance_disagrees_with_the_ledger(client, alice, bob, arena):
    cast_votes(alice, 1)
    cast_votes(bob, 1)
    _break_a_balance(alice)
    response = client.get("/healthz")
    assert response.status_code == 200  # the site still serves: degraded, not down
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["ledger"]["ok"] is False
    assert body["checks"]["ledger"]["mismatched_accounts"] == 1


def test_the_ledger_count_is_kept_between_polls(client, settings, alice, arena):
    cast_votes(alice, 1)
    assert client.get("/healthz").json()["checks"]["ledger"]["mismatched_accounts"] == 0
    _break_a_balance(alice)
    # Within HEALTH_LEDGER_CHECK_EVERY_S the count is not read again ...
    assert client.get("/healthz").json()["checks"]["ledger"]["mismatched_accounts"] == 0
    # ... and without the cache it is read on every poll.
    settings.HEALTH_LEDGER_CHECK_EVERY_S = 0
    ledger = client.get("/healthz").json()["checks"]["ledger"]
    assert ledger["mismatched_accounts"] == 1
    assert ledger["age_s"] == 0


def test_health_refuses_a_post(client, db):
    assert client.post("/healthz").status_code == 405


def test_metrics_expose_the_fold_backlog_and_requests(client, settings, alice, arena):
    settings.VOTE_FOLD = "deferred"
    cast_votes(alice, 2)
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert "datafi_fold_backlog_votes 2.0" in text
    assert "datafi_votes_last_hour 2.0" in text
    assert "django_http_requests_total_by_view_transport_method_total" in text


def _snapshot_ages(voter, days_ago: list[float]):
    """Refresh the boards once per entry of ``days_ago`` (a vote in between makes
    them dirty), date that refresh's snapshots so many days back, and return the
    overall Bradley-Terry snapshot of each refresh."""
    from ratings.models import LeaderboardSnapshot
    from ratings.services import refresh_dirty

    overall = []
    for i, age in enumerate(days_ago):
        before = set(LeaderboardSnapshot.objects.values_list("id", flat=True))
        cast_votes(voter, 2, seed=i)
        refresh_dirty(worker="test")
        new = LeaderboardSnapshot.objects.exclude(id__in=before)
        new.update(created_at=timezone.now() - timedelta(days=age))
        overall.append(new.get(method="bt", category="", language="").id)
    return overall


def test_prune_thins_old_snapshots_but_keeps_each_boards_newest_and_one_per_day(
    settings, alice, arena
):
    from ratings.models import LeaderboardSnapshot

    settings.RATINGS_SNAPSHOT_KEEP_DAYS = 7
    settings.RATINGS_SNAPSHOT_HISTORY_DAYS = 30
    # One refresh 40 days ago (past the history), two on one day 10 days ago, two recent.
    day40, day10_early, day10_late, day1, today = _snapshot_ages(alice, [40, 10.0001, 10.0, 1, 0])

    call_command("prune")

    kept = set(LeaderboardSnapshot.objects.values_list("id", flat=True))
    assert day40 not in kept  # past the history, and the board has newer ones
    assert day10_early not in kept  # thinned: the day's last one is kept instead
    assert day10_late in kept  # one per day stays, for score histories
    assert {day1, today} <= kept  # within RATINGS_SNAPSHOT_KEEP_DAYS: all stay


def test_prune_keeps_a_stale_boards_only_snapshot(settings, alice, arena):
    from ratings.models import LeaderboardSnapshot

    (only,) = _snapshot_ages(alice, [1000])
    call_command("prune")
    assert only in set(LeaderboardSnapshot.objects.values_list("id", flat=True))


def test_prune_deletes_ended_rate_windows_and_expired_nonces(db, alice, settings):
    from evals.quality.models import RateCounter
    from rewards.models import SiweNonce
    from rewards.services import wallets

    now = timezone.now()
    live = f"live:user:{alice.id}:3600"  # generations share the counters
    for key in ("u:1:day", live):
        RateCounter.objects.create(key=key, window_start=now - timedelta(days=3), count=5)
        RateCounter.objects.create(key=key, window_start=now, count=1)
    address = "0x" + "ab" * 20
    wallets.siwe_challenge(address=address, domain="testserver", scheme="http")
    SiweNonce.objects.update(expires_at=now - timedelta(seconds=1))

    from datafi.ops.housekeeping import prune

    deleted = prune()
    assert deleted["rate counters"] == 2
    assert deleted["SIWE nonces"] == 1
    assert sorted(RateCounter.objects.values_list("key", "count")) == [(live, 1), ("u:1:day", 1)]
    # A generation window longer than a day is kept until a day after it ends.
    settings.LIVE_RATE_WINDOW_S = 3 * 86_400
    RateCounter.objects.create(key=live, window_start=now - timedelta(days=3, hours=12), count=2)
    assert prune()["rate counters"] == 0
    assert SiweNonce.objects.count() == 0
