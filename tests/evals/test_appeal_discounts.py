"""Appeals of discounts: a voter who was never flagged, but whose votes earned
less than full points (reading speed, reliability score) or were left out for
an impossible speed, can ask for a review, and clearing restores the points."""

import pytest
from django.test import override_settings

from datafi.flows import appeals
from evals import selectors, services
from evals.models import Battle, Vote
from evals.quality.models import VoterAppeal, VoterReliability
from ratings.models import BattleOutcome
from rewards import rules
from rewards.models import LedgerTransaction
from rewards.services.ledger import balances_for
from tests.concurrency import run_concurrently
from tests.evals.quality_support import cast, clock


@pytest.fixture
def skimmer(arena, alice):
    """alice: two careful votes, then three quick ones that keep a share of their points."""
    c = clock()
    for _ in range(2):
        assert cast(alice, c, seconds=20).as_dict()["outcome"]["points"] == 10
    for _ in range(3):
        outcome = cast(alice, c, seconds=1.2).as_dict()["outcome"]
        assert outcome["counted"] and 0 < outcome["weight"] < 1 and outcome["points"] < 10
    assert not VoterReliability.objects.filter(user=alice, excluded=True).exists()
    assert VoterReliability.objects.get(user=alice).flags == []
    return alice


def _short(user) -> int:
    """Points the voter's counted votes miss against full points."""
    return sum(10 - (v.points or 0) for v in Vote.objects.filter(battle__voter=user))


def test_votes_that_earned_less_are_explained_and_can_be_appealed(skimmer, client):
    client.force_login(skimmer)
    page = client.get("/votes/").content.decode()
    assert "Some of your votes earned less" in page
    assert "3 of your votes earned less than full points" in page
    assert "Why is the judgement wrong?" in page and 'name="message"' in page
    assert "If you think that is wrong, ask for a review at the top of this page." in page
    assert "in My votes" not in page  # the words are on My votes itself
    assert "Your account is flagged" not in page
    resp = client.post("/votes/appeal", {"message": "I read fast; I read both answers."})
    assert resp.status_code == 302
    appeal = VoterAppeal.objects.get(user=skimmer)
    assert appeal.status == "open"
    page = client.get("/votes/").content.decode()
    assert "Your appeal is waiting for review" in page and 'name="message"' not in page


def test_an_operator_clears_a_discount_and_the_missing_points_are_credited_once(
    skimmer, operator, client
):
    before = balances_for(skimmer).available
    missing = _short(skimmer)
    assert missing > 0
    appeal = services.appeal_create(user=skimmer, message="I read fast.")
    client.force_login(operator)
    dashboard = client.get("/quality/").content.decode()
    assert "3 votes earned less than full points" in dashboard and "I read fast." in dashboard
    resp = client.post(
        f"/quality/appeals/{appeal.id}/decide",
        {"decision": "clear", "reason": "Short answers; a fast reader."},
    )
    assert resp.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == "cleared" and appeal.points_credited == missing
    assert balances_for(skimmer).available == before + missing
    assert all(
        (v.points, v.weight) == (10, 1.0) for v in Vote.objects.filter(battle__voter=skimmer)
    )
    top_ups = LedgerTransaction.objects.filter(user=skimmer, source_key__startswith="vote-topup:")
    assert top_ups.count() == 3
    # A second decision pays nothing more, and nothing is left to appeal.
    again = client.post(
        f"/quality/appeals/{appeal.id}/decide", {"decision": "clear", "reason": "again"}
    )
    assert again.status_code == 409
    assert balances_for(skimmer).available == before + missing
    client.force_login(skimmer)
    assert client.post("/votes/appeal", {"message": "more"}).status_code == 409
    page = client.get("/votes/").content.decode()
    assert "Your appeal was accepted" in page and "Short answers; a fast reader." in page
    assert "Some of your votes earned less" not in page
    history = client.get("/api/rewards/summary").json()["history"]
    restored = [h for h in history if h["memo"].startswith("Full points restored on appeal")]
    assert len(restored) == 3 and all(h["url"].startswith("/votes/#battle-") for h in restored)


def test_an_upheld_discount_changes_nothing_and_may_be_appealed_again(skimmer, operator):
    before = balances_for(skimmer).available
    appeal = services.appeal_create(user=skimmer, message="I read fast.")
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=operator, decision="uphold", reason="Long answers."
    )
    assert balances_for(skimmer).available == before
    assert not LedgerTransaction.objects.filter(source_key__startswith="vote-topup:").exists()
    flag = selectors.voter_flag_status(user=skimmer)
    assert flag["discounted"] and flag["can_appeal"] and flag["appeal"].status == "upheld"
    assert services.appeal_create(user=skimmer, message="New facts.").status == "open"


def test_a_reduced_reliability_score_can_be_appealed_and_clearing_restores_full_points(
    arena, bob, operator
):
    c = clock()
    with override_settings(QUALITY_FULL_POINTS_RELIABILITY=0.97):
        # A bar above a new voter's score: their votes earn a share.
        outcomes = [cast(bob, c, seconds=20).as_dict()["outcome"] for _ in range(2)]
        assert all(o["counted"] and o["points"] < 10 for o in outcomes)
        flag = selectors.voter_flag_status(user=bob)
        assert flag["discounted"] and flag["can_appeal"] and not flag["flagged"]
        assert "because your reliability score is" in flag["summary"]
        appeal = services.appeal_create(user=bob, message="My taste is just unusual.")
        appeals.appeal_decide(appeal_id=appeal.id, operator=operator, decision="clear", reason="ok")
    assert balances_for(bob).available == 20
    assert cast(bob, c, seconds=20).as_dict()["outcome"]["points"] == 10


def test_a_vote_left_out_for_an_impossible_speed_can_be_appealed(arena, bob, operator, client):
    c = clock()
    cast(bob, c, seconds=20)
    fast = cast(bob, c, seconds=0.5).as_dict()
    assert not fast["outcome"]["counted"] and fast["outcome"]["points"] == 0
    client.force_login(bob)
    page = client.get("/votes/").content.decode()
    assert "1 vote was not counted because it came faster than anyone can look" in page
    appeal = services.appeal_create(user=bob, message="The answers were one word each.")
    appeals.appeal_decide(appeal_id=appeal.id, operator=operator, decision="clear", reason="ok")
    battle = Battle.objects.get(pk=fast["battle"])
    assert not battle.excluded and BattleOutcome.objects.filter(battle_id=battle.pk).exists()
    assert balances_for(bob).available == 20
    appeal.refresh_from_db()
    assert (appeal.votes_restored, appeal.points_credited) == (1, 10)


def test_top_ups_stay_under_the_daily_cap(arena, alice, operator):
    c = clock()
    with override_settings(REWARD_DAILY_CAP=23):
        cast(alice, c, seconds=20)  # 10
        quick = [cast(alice, c, seconds=1.2).as_dict()["outcome"]["points"] for _ in range(2)]
        assert 10 + sum(quick) <= 23
        appeal = services.appeal_create(user=alice, message="fast reader")
        appeals.appeal_decide(appeal_id=appeal.id, operator=operator, decision="clear", reason="ok")
        assert balances_for(alice).available == 23


def test_vote_award_tops_up_the_rest_within_the_cap():
    with override_settings(REWARD_POINTS_PER_VOTE=10, REWARD_DAILY_CAP=100):
        assert rules.vote_award(earned_today=0, multiplier=1.0, booked=6).points == 4
        assert rules.vote_award(earned_today=98, multiplier=1.0, booked=6).points == 2
        assert rules.vote_award(earned_today=0, multiplier=1.0, booked=10).points == 0
        assert rules.vote_award(earned_today=0, multiplier=0.5, booked=6).points == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clears_top_up_exactly_once(skimmer, operator):
    before = balances_for(skimmer).available
    missing = _short(skimmer)
    appeal = services.appeal_create(user=skimmer, message="I read fast.")
    results = run_concurrently(
        8,
        lambda i: appeals.appeal_decide(
            appeal_id=appeal.id, operator=operator, decision="clear", reason=f"click {i}"
        ),
    )
    assert sum(isinstance(r, VoterAppeal) for r in results) == 1, results
    assert balances_for(skimmer).available == before + missing
    assert LedgerTransaction.objects.filter(source_key__startswith="vote-topup:").count() == 3
