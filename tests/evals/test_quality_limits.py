"""Per-user and per-IP vote limits: clear 429s that change nothing."""

import json

from django.test import RequestFactory

from evals import services
from evals.models import Battle, PairStat, Vote
from evals.quality.limits import client_ip
from evals.quality.models import RateCounter, VoterReliability
from evals.quality.simulate import simulated_time
from tests.evals.quality_support import clock


def _vote(client, battle, choice="model_a", **extra):
    return client.post(
        f"/arena/battles/{battle.id}/vote",
        data=json.dumps({"choice": choice}),
        content_type="application/json",
        **extra,
    )


def test_a_vote_over_the_per_user_minute_limit_gets_a_429_and_changes_nothing(
    client, arena, alice, settings
):
    settings.QUALITY_VOTES_PER_MINUTE_USER = 3
    client.force_login(alice)
    c = clock()
    with simulated_time(c):
        for _ in range(3):
            battle = services.battle_serve(user=alice)
            c.advance(5000)
            assert _vote(client, battle).status_code == 200
        battle = services.battle_serve(user=alice)
        c.advance(5000)
        counters = list(RateCounter.objects.order_by("key").values_list("key", "count"))
        pair_votes = sum(PairStat.objects.values_list("voted", flat=True))
        rel_votes = VoterReliability.objects.get(user=alice).votes
        resp = _vote(client, battle)
        assert resp.status_code == 429
        body = resp.json()
        assert body["code"] == "rate_limited"
        assert "3 per minute" in body["detail"]
        assert resp["Retry-After"] == "40"  # 20 s into the minute's window
        # Nothing changed: the battle is still open, no vote, counters as before.
        battle.refresh_from_db()
        assert battle.status == Battle.Status.SERVED
        assert not Vote.objects.filter(battle=battle).exists()
        assert list(RateCounter.objects.order_by("key").values_list("key", "count")) == counters
        assert sum(PairStat.objects.values_list("voted", flat=True)) == pair_votes
        assert VoterReliability.objects.get(user=alice).votes == rel_votes
        # The next minute the same vote goes through.
        c.advance(60_000)
        assert _vote(client, battle).status_code == 200


def test_a_form_post_over_the_limit_gets_a_429_page_not_a_500(client, arena, alice, settings):
    settings.QUALITY_VOTES_PER_MINUTE_USER = 0
    settings.QUALITY_VOTES_PER_DAY_USER = 1
    client.force_login(alice)
    first = services.battle_serve(user=alice)
    assert client.post(f"/arena/battles/{first.id}/vote", {"choice": "tie"}).status_code == 302
    second = services.battle_serve(user=alice)
    resp = client.post(f"/arena/battles/{second.id}/vote", {"choice": "tie"})
    assert resp.status_code == 429
    assert b"per day" in resp.content
    assert 1 <= int(resp["Retry-After"]) <= 86_400  # until midnight UTC


def test_the_per_ip_limit_counts_votes_of_every_account_behind_one_address(
    client, arena, alice, bob, carol, settings
):
    settings.QUALITY_VOTES_PER_MINUTE_IP = 2
    codes = []
    # On the simulated clock: the windows are whole minutes, and on a slow
    # machine the three votes once straddled one's end (CI saw 200, 200, 200).
    with simulated_time(clock()):
        for user in (alice, bob, carol):
            client.force_login(user)
            battle = services.battle_serve(user=user)
            codes.append(_vote(client, battle, REMOTE_ADDR="192.0.2.7").status_code)
        assert codes == [200, 200, 429]
        client.force_login(carol)
        battle = services.battle_serve(user=carol)
        assert _vote(client, battle, REMOTE_ADDR="192.0.2.8").status_code == 200


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(settings):
    rf = RequestFactory()
    req = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(req) == "10.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    # The client wrote 6.6.6.6 itself; our one proxy appended 203.0.113.9.
    assert client_ip(req) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(req) == "6.6.6.6"
    junk = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(junk) == "10.0.0.1"


def test_a_forged_forwarded_for_does_not_dodge_the_ip_limit(client, arena, alice, bob, settings):
    settings.QUALITY_VOTES_PER_MINUTE_IP = 1
    settings.TRUSTED_PROXY_COUNT = 0
    for user, forged, expected in ((alice, "1.1.1.1", 200), (bob, "2.2.2.2", 429)):
        client.force_login(user)
        battle = services.battle_serve(user=user)
        resp = _vote(client, battle, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forged)
        assert resp.status_code == expected
