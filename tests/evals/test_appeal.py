"""Appeals: a flagged voter asks for a review; an operator clears or upholds the flag."""

import pytest

from datafi.flows import appeals
from evals import selectors, services
from evals.models import Battle
from evals.quality.models import VoterAppeal, VoterReliability
from ratings.models import BattleOutcome
from rewards.models import LedgerTransaction
from rewards.services.ledger import balances_for
from tests.concurrency import run_concurrently
from tests.evals.quality_support import cast, clock, flag_as_ring


@pytest.fixture
def flagged_alice(arena, alice):
    """alice: 2 votes paid, then flagged, then 3 votes that earned nothing."""
    c = clock()
    for _ in range(2):
        cast(alice, c, seconds=20)
    flag_as_ring(alice)
    for _ in range(3):
        outcome = cast(alice, c, seconds=20).as_dict()["outcome"]
        assert outcome["points"] == 0 and not outcome["counted"]
    assert balances_for(alice).available == 20
    return alice


def test_a_flagged_voter_asks_for_a_review_and_sees_it_waiting(flagged_alice, client):
    client.force_login(flagged_alice)
    arena_page = client.get("/arena/").content.decode()
    assert "Your account is flagged" in arena_page and "Ask for a review" in arena_page
    assert "One of many new accounts favouring one model" in arena_page
    resp = client.post("/votes/appeal", {"message": "I just like Halcyon, honestly."})
    assert resp.status_code == 302
    appeal = VoterAppeal.objects.get(user=flagged_alice)
    assert appeal.status == "open" and appeal.message == "I just like Halcyon, honestly."
    page = client.get("/votes/").content.decode()
    assert "Your appeal is waiting for review" in page
    assert 'name="message"' not in page  # no second form while one is open
    again = client.post("/votes/appeal", {"message": "please"})
    assert again.status_code == 409
    assert VoterAppeal.objects.filter(user=flagged_alice).count() == 1


def test_it_refuses_an_appeal_without_a_flag_or_a_message(arena, alice, flagged_alice, client):
    client.force_login(flagged_alice)
    assert client.post("/votes/appeal", {"message": "   "}).status_code == 400
    assert client.post("/votes/appeal", {"message": "x" * 1001}).status_code == 400
    assert not VoterAppeal.objects.exists()
    assert client.get("/votes/appeal").status_code == 405


def test_an_unflagged_voter_has_nothing_to_appeal(arena, bob, client):
    cast(bob, clock(), seconds=20)
    client.force_login(bob)
    assert client.post("/votes/appeal", {"message": "hello"}).status_code == 409
    assert not VoterAppeal.objects.exists()
    assert "Your account is flagged" not in client.get("/arena/").content.decode()


def test_an_operator_clears_the_flag_and_the_unpaid_votes_are_credited_once(
    flagged_alice, operator, client
):
    appeal = services.appeal_create(user=flagged_alice, message="Not a ring.")
    client.force_login(operator)
    dashboard = client.get("/quality/").content.decode()
    assert (
        "Not a ring." in dashboard and f'action="/quality/appeals/{appeal.id}/decide"' in dashboard
    )
    resp = client.post(
        f"/quality/appeals/{appeal.id}/decide",
        {"decision": "clear", "reason": "Checked: one person, honest taste."},
    )
    assert resp.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == "cleared" and appeal.decided_by == operator
    assert appeal.decided_at is not None and appeal.decision_reason.startswith("Checked")
    assert (appeal.votes_restored, appeal.points_credited) == (5, 30)
    # The votes count again, in the ratings too.
    battles = Battle.objects.filter(voter=flagged_alice, status="revealed")
    assert not battles.filter(excluded=True).exists()
    assert BattleOutcome.objects.filter(battle_id__in=battles.values("id")).count() == 5
    rel = VoterReliability.objects.get(user=flagged_alice)
    assert not rel.excluded and rel.flags == []
    assert balances_for(flagged_alice).available == 50
    # A second decision (a retry, a second click) pays nothing more.
    again = client.post(
        f"/quality/appeals/{appeal.id}/decide", {"decision": "clear", "reason": "again"}
    )
    assert again.status_code == 409
    assert balances_for(flagged_alice).available == 50
    assert LedgerTransaction.objects.filter(user=flagged_alice).count() == 5
    # The voter sees the decision and that their votes count.
    client.force_login(flagged_alice)
    page = client.get("/votes/").content.decode()
    assert "Your appeal was accepted" in page and "Checked: one person, honest taste." in page
    assert all(r["outcome"].counted for r in selectors.my_votes_page(user=flagged_alice)["rows"])
    # New votes count and pay again.
    assert cast(flagged_alice, clock(), seconds=20).as_dict()["outcome"]["points"] == 10


def test_an_operator_upholds_the_flag_with_a_reason_the_voter_reads(
    flagged_alice, operator, client
):
    appeal = services.appeal_create(user=flagged_alice, message="Not a ring.")
    client.force_login(operator)
    client.post(
        f"/quality/appeals/{appeal.id}/decide",
        {"decision": "uphold", "reason": "Same device as four other accounts."},
    )
    appeal.refresh_from_db()
    assert appeal.status == "upheld" and appeal.decided_by == operator and appeal.decided_at
    assert VoterReliability.objects.get(user=flagged_alice).excluded
    assert balances_for(flagged_alice).available == 20
    client.force_login(flagged_alice)
    page = client.get("/votes/").content.decode()
    assert "Your appeal was turned down" in page and "Same device as four other accounts." in page
    assert 'name="message"' in page  # they may appeal again with new facts


def test_only_operators_decide_and_bad_decisions_change_nothing(
    flagged_alice, mallory, operator, client
):
    appeal = services.appeal_create(user=flagged_alice, message="Not a ring.")
    url = f"/quality/appeals/{appeal.id}/decide"
    assert client.post(url, {"decision": "clear", "reason": "x"}).status_code == 302  # to log in
    client.force_login(mallory)
    assert client.post(url, {"decision": "clear", "reason": "x"}).status_code == 403
    client.force_login(flagged_alice)
    assert client.post(url, {"decision": "clear", "reason": "x"}).status_code == 403
    client.force_login(operator)
    assert client.post(url, {"decision": "clear", "reason": ""}).status_code == 400
    assert client.post(url, {"decision": "pardon", "reason": "x"}).status_code == 400
    assert (
        client.post(
            "/quality/appeals/999999/decide", {"decision": "clear", "reason": "x"}
        ).status_code
        == 404
    )
    appeal.refresh_from_db()
    assert appeal.status == "open" and appeal.decided_by is None
    assert balances_for(flagged_alice).available == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_clears_credit_the_unpaid_votes_exactly_once(flagged_alice, operator):
    appeal = services.appeal_create(user=flagged_alice, message="Not a ring.")
    results = run_concurrently(
        8,
        lambda i: appeals.appeal_decide(
            appeal_id=appeal.id, operator=operator, decision="clear", reason=f"click {i}"
        ),
    )
    decided = [r for r in results if isinstance(r, VoterAppeal)]
    refused = [r for r in results if not isinstance(r, VoterAppeal)]
    assert len(decided) == 1, results
    assert all(getattr(r, "code", None) == "already_decided" for r in refused), refused
    assert balances_for(flagged_alice).available == 50
    assert LedgerTransaction.objects.filter(user=flagged_alice).count() == 5
