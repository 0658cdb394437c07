"""Voter reliability through the real vote service, and its consequences."""

import random

import pytest
from django.db.models import ProtectedError

from evals.models import Battle, Vote
from evals.quality.models import VoterFlag, VoterReliability
from evals.quality.selectors import vote_points_multiplier
from tests.evals.quality_support import cast, clock


def test_a_careful_voter_is_counted_and_earns_in_full(arena, alice):
    # A careful voter reads both answers and always prefers the stronger model
    # (earlier in the arena's list), so her votes agree with each other and with
    # the ratings they build. Always voting "model_a" would be a coin toss
    # against the randomised sides, and a coin-toss voter can rightly score low.
    strength = {m.id: -i for i, m in enumerate(arena["models"])}

    def truthful(battle):
        a, b = battle.answer_a.model_id, battle.answer_b.model_id
        return "model_a" if strength[a] > strength[b] else "model_b"

    c = clock()
    rng = random.Random(7)
    for _ in range(10):
        cast(alice, c, seconds=20, choice=truthful, rng=rng)
    rel = VoterReliability.objects.get(user=alice)
    assert rel.votes == 10 and rel.fast_votes == 0
    assert not rel.excluded and rel.score >= 0.7
    assert not VoterFlag.objects.filter(user=alice).exists()
    assert vote_points_multiplier(alice) == 1.0
    assert not Battle.objects.filter(voter=alice, excluded=True).exists()


def test_a_voter_with_no_record_earns_in_full(alice):
    assert vote_points_multiplier(alice) == 1.0


def test_voting_faster_than_reading_gets_a_voter_excluded_and_keeps_every_row(arena, mallory):
    c = clock()
    for _ in range(12):
        cast(mallory, c, seconds=0.4)
    rel = VoterReliability.objects.get(user=mallory)
    assert rel.excluded and rel.score < 0.5
    assert vote_points_multiplier(mallory) == 0.0
    # Nothing deleted: every vote and battle row is still there, marked with a reason.
    battles = Battle.objects.filter(voter=mallory, status="revealed")
    assert battles.count() == 12
    assert Vote.objects.filter(battle__voter=mallory).count() == 12
    assert set(battles.values_list("excluded", flat=True)) == {True}
    reasons = set(battles.values_list("exclusion_reason", flat=True))
    # Each sub-second vote is excluded as it comes; then the voter, for a share
    # of such votes no person makes.
    assert all(r.startswith(("unreliable voter", "impossible speed")) for r in reasons), reasons
    assert any("too_fast" in r for r in reasons)
    flag = VoterFlag.objects.get(user=mallory, reason="too_fast")
    assert flag.evidence["fast_votes"] >= 6 and flag.evidence["p_fast_rate_above"] > 0.95
    low = VoterFlag.objects.get(user=mallory, reason="low_reliability")
    assert low.evidence["score"] < low.evidence["threshold"] == 0.5
    # Votes after the exclusion are excluded as they come in.
    cast(mallory, c, seconds=30)
    latest = Battle.objects.filter(voter=mallory).order_by("-voted_at").first()
    assert latest.excluded and latest.exclusion_reason == "unreliable voter: excluded earlier"


def test_two_quick_votes_do_not_damn_a_new_voter(arena, alice):
    c = clock()
    cast(alice, c, seconds=0.3)
    cast(alice, c, seconds=0.3)
    rel = VoterReliability.objects.get(user=alice)
    assert rel.fast_votes == 2 and not rel.excluded
    assert not VoterFlag.objects.filter(user=alice).exists()


def test_flags_are_kept_even_when_someone_tries_to_delete_the_voter(arena, mallory):
    c = clock()
    for _ in range(10):
        cast(mallory, c, seconds=0.2)
    assert VoterFlag.objects.filter(user=mallory).exists()
    with pytest.raises(ProtectedError):
        mallory.delete()


def test_the_flag_admin_refuses_deletion(admin_client, arena, mallory):
    c = clock()
    for _ in range(10):
        cast(mallory, c, seconds=0.2)
    flag = VoterFlag.objects.filter(user=mallory).first()
    resp = admin_client.post(f"/admin/evals/voterflag/{flag.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 403
    assert VoterFlag.objects.filter(pk=flag.pk).exists()


def test_with_defences_off_nothing_is_assessed(arena, mallory, settings):
    settings.QUALITY_DEFENCES = False
    c = clock()
    for _ in range(10):
        cast(mallory, c, seconds=0.2)
    assert not VoterReliability.objects.exists()
    assert not Battle.objects.filter(excluded=True).exists()
    assert vote_points_multiplier(mallory) == 1.0


def test_the_multiplier_rises_linearly_between_the_threshold_and_full_points(alice, db):
    VoterReliability.objects.create(user=alice, score=0.6)
    assert vote_points_multiplier(alice) == pytest.approx(0.5)
    VoterReliability.objects.filter(user=alice).update(score=0.45)
    assert vote_points_multiplier(alice) == 0.0
    VoterReliability.objects.filter(user=alice).update(score=0.9)
    assert vote_points_multiplier(alice) == 1.0


def test_agreement_weighs_each_vote_by_the_ratings_confidence(arena, alice, bob, carol):
    from evals.quality import selectors

    c = clock()
    # bob and carol build a history in which the lower-id model of each pair wins.
    for voter in (bob, carol):
        for _ in range(12):
            reveal = cast(voter, c, seconds=20, choice="model_a")
    selectors.current_scores_forget()
    scores = selectors.current_scores()
    assert len(scores) == 4
    cast(alice, c, seconds=20, choice="tie")
    rel = VoterReliability.objects.get(user=alice)
    assert rel.agree_total == 0  # a tie says nothing about who is better
    reveal = cast(alice, c, seconds=20, choice="model_b")
    rel.refresh_from_db()
    a, b = reveal.model_a_id, reveal.model_b_id
    p_a = 1 / (1 + 10 ** ((scores[b] - scores[a]) / 400))
    assert rel.agree_total == pytest.approx(abs(2 * p_a - 1), rel=0.05)
    assert rel.agree_weight == pytest.approx(0.0 if p_a > 0.5 else rel.agree_total)


def test_the_reward_rules_read_the_reliability_multiplier(arena, alice, mallory):
    from evals.quality.selectors import vote_points_multiplier
    from rewards import rules
    from rewards.services import ledger

    c = clock()
    for _ in range(12):
        cast(alice, c, seconds=25)
        cast(mallory, c, seconds=0.3)
    assert vote_points_multiplier(mallory) == 0.0
    # alice always says "A" so her agreement with the ratings wobbles around
    # one half; her score stays above the threshold, so every vote earns, if
    # not always in full.
    assert vote_points_multiplier(alice) > 0
    assert ledger.balances_for(alice).available >= 12 * rules.points_per_vote() // 2
    before = ledger.balances_for(mallory).available
    # Once excluded, a vote earns nothing redeemable.
    cast(mallory, c, seconds=30)
    assert ledger.balances_for(mallory).available == before
    assert before < 12 * rules.points_per_vote()


def test_a_vote_records_a_hash_of_its_network_and_keeps_only_the_latest(arena, alice, settings):
    from evals.quality.limits import network_key

    settings.QUALITY_NETWORKS_KEPT = 2
    c = clock()
    for ip in ["198.51.100.1", "198.51.100.1", "198.51.100.2", None, "198.51.100.3"]:
        cast(alice, c, seconds=20, ip=ip)
    rel = VoterReliability.objects.get(user=alice)
    assert rel.networks == [network_key("198.51.100.2"), network_key("198.51.100.3")]
    assert "198.51.100" not in str(rel.networks)
