"""A decision on an appeal covers what the voter appealed: the judgements on their
votes as they stood when the appeal was sent (votes cast at or before then).
Votes cast later, and an exclusion that came later, stay as they are; the voter
is told so and can appeal them in turn, and the operator sees the cut-off."""

import pytest
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from datafi.api import ApiError
from datafi.flows import appeals
from evals import selectors, services
from evals.models import Battle
from evals.quality import services as quality
from evals.quality.models import VoterAppeal, VoterFlag, VoterReliability
from evals.quality.simulate import simulated_time
from ratings.models import BattleOutcome
from rewards.models import LedgerTransaction
from rewards.services.ledger import balances_for
from tests.evals.quality_support import cast, clock, flag_as_ring


def appeal_at(user, c, message="Not a ring.") -> VoterAppeal:
    with simulated_time(c):
        appeal = services.appeal_create(user=user, message=message)
    c.advance(1000)
    return appeal


def battle(reveal) -> Battle:
    return Battle.objects.get(pk=reveal.as_dict()["battle"])


def when(at) -> str:
    return date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


@pytest.fixture
def appealed(arena, alice):
    """alice: 2 votes paid, flagged, 2 votes left out, appeals, 2 more votes left out."""
    c = clock()
    paid = [battle(cast(alice, c, seconds=20)) for _ in range(2)]
    flag_as_ring(alice, c)
    before = [battle(cast(alice, c, seconds=20)) for _ in range(2)]
    appeal = appeal_at(alice, c)
    after = [battle(cast(alice, c, seconds=20)) for _ in range(2)]
    assert all(b.excluded for b in before + after)
    assert balances_for(alice).available == 20
    return {"clock": c, "paid": paid, "before": before, "after": after, "appeal": appeal}


def test_a_vote_left_out_after_the_appeal_was_sent_stays_out_when_it_is_cleared(
    appealed, alice, admin_operator
):
    appeal = appealed["appeal"]
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="ok"
    )
    for b in appealed["after"]:
        b.refresh_from_db()
        assert b.excluded and b.exclusion_reason.startswith("unreliable voter"), b
        assert not BattleOutcome.objects.filter(battle_id=b.pk).exists()
    # The flag's exclusion also left out the two votes cast before it: they
    # count again with the two cast between the flag and the appeal.
    for b in appealed["paid"] + appealed["before"]:
        b.refresh_from_db()
        assert not b.excluded
        assert BattleOutcome.objects.filter(battle_id=b.pk).exists()
    appeal.refresh_from_db()
    assert (appeal.votes_restored, appeal.points_credited) == (4, 20)
    # Points for the restored votes only, each once.
    assert balances_for(alice).available == 40
    assert LedgerTransaction.objects.filter(user=alice).count() == 4
    rel = VoterReliability.objects.get(user=alice)
    assert not rel.excluded and rel.flags == []


def test_the_voter_reads_what_the_decision_covered_and_appeals_the_rest(
    appealed, alice, admin_operator, client
):
    appeal = appealed["appeal"]
    client.force_login(alice)
    page = client.get("/votes/").content.decode()
    assert "The review covers your votes up to then" in page
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="One honest person."
    )
    page = client.get("/votes/").content.decode()
    assert "Your appeal was accepted" in page and "One honest person." in page
    assert (
        f"The decision covered your votes up to {when(appeal.created_at)}, when you sent the "
        "appeal; votes you cast after that were not part of it." in page
    )
    assert "4 votes that were left out count again." in page
    assert "2 votes are still not counted: you cast them while your votes were excluded" in page
    assert 'name="message"' in page  # the later votes can be appealed in turn
    rows = {r["battle_id"]: r for r in selectors.my_votes_page(user=alice)["rows"]}
    assert not any(rows[str(b.pk)]["outcome"].counted for b in appealed["after"])
    # Her account is no longer flagged: each such row says when she cast it.
    for b in appealed["after"]:
        words = rows[str(b.pk)]["outcome"].reason
        assert words.startswith("It does not count: you cast it while your account was flagged.")
        assert "is flagged" not in words, words
    assert all(rows[str(b.pk)]["outcome"].counted for b in appealed["before"])

    second = appeal_at(alice, appealed["clock"], message="These too, please.")
    appeals.appeal_decide(
        appeal_id=second.id, operator=admin_operator, decision="clear", reason="ok"
    )
    second.refresh_from_db()
    assert (second.votes_restored, second.points_credited) == (2, 20)
    assert not Battle.objects.filter(voter=alice, excluded=True).exists()
    assert balances_for(alice).available == 60
    assert LedgerTransaction.objects.filter(user=alice).count() == 6
    assert client.post("/votes/appeal", {"message": "more"}).status_code == 409


def test_the_operator_sees_which_votes_the_decision_covers(appealed, admin_operator, client):
    appeal = appealed["appeal"]
    client.force_login(admin_operator)
    until = when(appeal.created_at)
    for url in (f"/admin/evals/voterappeal/{appeal.id}/change/", "/quality/"):
        page = client.get(url).content.decode()
        assert (
            f"A decision covers the votes cast up to {until}, when the voter sent the appeal; "
            "judgements on later votes are not part of it." in page
        ), url
        assert "Clearing counts again 4 votes left out because the voter was excluded." in page
        assert "Not covered: 2 votes cast after the appeal was sent" in page
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="ok"
    )
    page = client.get(f"/admin/evals/voterappeal/{appeal.id}/change/").content.decode()
    assert f"The decision covered the votes cast up to {until}" in page
    assert "4 votes counted again, 20 points credited." in page


def test_a_vote_too_fast_after_the_appeal_was_sent_stays_out(arena, bob, admin_operator, client):
    c = clock()
    cast(bob, c, seconds=20)
    before = battle(cast(bob, c, seconds=0.5))
    appeal = appeal_at(bob, c, message="The answers were one word each.")
    after = battle(cast(bob, c, seconds=0.5))
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="ok"
    )
    before.refresh_from_db()
    after.refresh_from_db()
    assert not before.excluded and BattleOutcome.objects.filter(battle_id=before.pk).exists()
    assert after.excluded and after.exclusion_reason.startswith(quality.IMPOSSIBLE_REASON)
    assert balances_for(bob).available == 20
    client.force_login(bob)
    page = client.get("/votes/").content.decode()
    assert "1 vote was not counted because it came faster than anyone can look" in page
    assert 'name="message"' in page


def test_an_exclusion_that_came_after_the_appeal_was_sent_stays(arena, bob, admin_operator, client):
    c = clock()
    cast(bob, c, seconds=20)
    fast = battle(cast(bob, c, seconds=0.5))
    appeal = appeal_at(bob, c, message="The answers were one word each.")
    flag_as_ring(bob, c)
    client.force_login(admin_operator)
    page = client.get("/quality/").content.decode()
    assert "clearing does not lift that exclusion" in page
    assert "Clearing restores 1 vote left out for an impossible speed." in page
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="ok"
    )
    rel = VoterReliability.objects.get(user=bob)
    assert rel.excluded and rel.flags == ["ring"]
    # The speed judgement is lifted (the vote is paid, once), but the later
    # exclusion keeps every vote of bob's out of the leaderboard.
    fast.refresh_from_db()
    assert fast.excluded and fast.exclusion_reason.startswith("unreliable voter")
    assert not BattleOutcome.objects.filter(battle__voter=bob).exists()
    assert balances_for(bob).available == 20
    with pytest.raises(ApiError) as refused:
        appeals.appeal_decide(
            appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="x"
        )
    assert refused.value.code == "already_decided"
    assert balances_for(bob).available == 20
    client.force_login(bob)
    page = client.get("/votes/").content.decode()
    assert "Your account is flagged" in page and 'name="message"' in page


def test_a_flag_raised_after_the_appeal_was_sent_stays_on(arena, bob, admin_operator):
    c = clock()
    cast(bob, c, seconds=20)
    cast(bob, c, seconds=0.5)
    appeal = appeal_at(bob, c, message="One slip.")
    with simulated_time(c), transaction.atomic():
        rel = VoterReliability.objects.select_for_update().get(user=bob)
        rel.flags = [*rel.flags, "ring"]
        rel.score *= 0.5
        rel.save()
        VoterFlag.objects.create(user=bob, reason="ring", evidence={}, created_at=timezone.now())
    appeals.appeal_decide(
        appeal_id=appeal.id, operator=admin_operator, decision="clear", reason="ok"
    )
    rel = VoterReliability.objects.get(user=bob)
    assert rel.flags == ["ring"] and rel.score == pytest.approx(0.5) and not rel.excluded
