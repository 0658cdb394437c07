"""Ledger invariants: balanced, append-only, never negative, each source booked once."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from datafi.api import ApiError
from datafi.flows import fold
from rewards.models import Account, AppendOnlyError, Entry, LedgerTransaction
from rewards.services import ledger, redemptions
from tests.conftest import build_arena
from tests.rewards.conftest import assert_ledger_sound, award, award_one_vote, link_wallet

pytestmark = pytest.mark.django_db


def test_a_vote_credits_the_voter_once_through_the_arena(alice, settings):
    from evals import services

    settings.QUALITY_IMPOSSIBLE_VOTE_MS = (
        0  # an instant scripted vote; the speed rule is tested apart
    )

    build_arena(prompts=3)
    battle = services.battle_serve(user=alice)
    fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    # A vote quicker than reading earns a graded share (at least half) of 10.
    earned = ledger.balances_for(alice).available
    assert 5 <= earned <= 10
    # A retried credit for the same battle books nothing.
    with transaction.atomic():
        assert award_one_vote(user=alice, battle_id=battle.id) == 0
    assert ledger.balances_for(alice).available == earned
    assert LedgerTransaction.objects.filter(source_key=f"vote:{battle.id}").count() == 1
    assert_ledger_sound()


def test_a_rejected_vote_credits_nothing(alice, bob):
    from evals import services

    build_arena(prompts=3)
    battle = services.battle_serve(user=alice)
    with pytest.raises(ApiError):
        fold.vote_cast(user=bob, battle_id=battle.id, choice="model_a")
    assert ledger.balances_for(bob).available == 0
    assert not LedgerTransaction.objects.exists()


def test_the_daily_cap_stops_credits(alice, settings):
    settings.REWARD_DAILY_CAP = 25
    award(alice, 10)
    award(alice, 10)
    award(alice, 5)  # only 5 left under the cap
    with transaction.atomic():
        assert award_one_vote(user=alice, battle_id=uuid.uuid4()) == 0
    assert ledger.balances_for(alice).available == 25
    assert_ledger_sound()


def test_an_unreliable_voter_earns_nothing(alice):
    with transaction.atomic():
        assert award_one_vote(user=alice, battle_id=uuid.uuid4(), multiplier=0.0) == 0
    assert ledger.balances_for(alice).available == 0


def test_a_half_reliable_voter_earns_half(alice):
    with transaction.atomic():
        assert award_one_vote(user=alice, battle_id=uuid.uuid4(), multiplier=0.5) == 5


def test_unbalanced_or_empty_transactions_are_refused(alice):
    available = ledger.account_for(kind="available", user=alice)
    issuance = ledger.account_for(kind="issuance")
    with transaction.atomic():
        with pytest.raises(ValueError, match="sum to zero"):
            ledger.post(
                source_key="x", kind="award", user=alice, lines=[(available, 5), (issuance, -4)]
            )
        with pytest.raises(ValueError):
            ledger.post(source_key="y", kind="award", user=alice, lines=[(available, 0)])
    assert not LedgerTransaction.objects.exists()


def test_posting_outside_a_transaction_is_refused(alice):
    available = ledger.account_for(kind="available", user=alice)
    issuance = ledger.account_for(kind="issuance")
    with pytest.raises(RuntimeError):
        ledger.post(
            source_key="z", kind="award", user=alice, lines=[(available, 1), (issuance, -1)]
        )


def test_a_user_balance_cannot_go_negative(alice):
    award(alice, 10)
    link_wallet(alice)
    with pytest.raises(ApiError) as err:
        redemptions.redemption_request(user=alice, points=11, idempotency_key="k")
    assert err.value.status_code == 409
    assert ledger.balances_for(alice).available == 10
    # And the database itself refuses a negative user balance.
    account = Account.objects.get(user=alice, kind="available")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)
    assert_ledger_sound()


def test_entries_and_transactions_are_append_only(alice):
    award(alice, 10)
    entry = Entry.objects.first()
    entry.amount = 1000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    txn = LedgerTransaction.objects.first()
    with pytest.raises(AppendOnlyError):
        txn.save()
    with pytest.raises(AppendOnlyError):
        txn.delete()
    assert Entry.objects.get(pk=entry.pk).amount == 10


def test_the_admin_offers_no_way_to_change_the_ledger(admin_client, alice):
    award(alice, 10)
    entry = Entry.objects.first()
    assert admin_client.get("/admin/rewards/entry/").status_code == 200
    assert admin_client.get("/admin/rewards/entry/add/").status_code == 403
    resp = admin_client.post(f"/admin/rewards/entry/{entry.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_entries(alice):
    award(alice, 10)
    entry = Entry.objects.first()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=99)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="changed")
    assert Entry.objects.get(pk=entry.pk).amount == 10


@pytest.mark.postgres
def test_postgres_refuses_an_unbalanced_transaction_at_commit(alice):
    account = ledger.account_for(kind="available", user=alice)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        txn = LedgerTransaction.objects.create(
            source_key="forged", kind="award", user=alice, created_at="2026-01-01T00:00:00Z"
        )
        Entry.objects.create(
            transaction=txn, account=account, amount=1000, created_at="2026-01-01T00:00:00Z"
        )
        # The check is deferred to COMMIT; the test's own transaction never commits,
        # so ask PostgreSQL to run deferred checks now.
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not LedgerTransaction.objects.filter(source_key="forged").exists()


def test_a_vote_earns_what_its_shown_weight_says(alice, settings):
    """Weight 0.6959 is shown as "weight 0.70": it earns 7 of 10, not 6 (it used to floor)."""
    from evals.selectors import VoteOutcome

    settings.REWARD_POINTS_PER_VOTE = 10
    with transaction.atomic():
        points = award_one_vote(user=alice, battle_id=uuid.uuid4(), multiplier=0.6959)
    assert points == 7
    outcome = VoteOutcome.of(points=points, weight=0.6959, excluded=False, exclusion_reason="")
    assert "It earns 7 of 10 points (weight 0.70)" in outcome.reason


def test_a_batch_of_votes_with_different_points_books_each_balance_exactly(
    alice, bob, carol, settings
):
    # The fold credits a batch with one UPDATE per distinct gain: voters with
    # different multipliers, several votes each, must each end with exactly
    # their entries' sum, and a vote credited before earns nothing again.
    from django.utils import timezone

    from rewards.services import VoteCredit, points_award_for_votes

    settings.REWARD_POINTS_PER_VOTE = 10
    settings.REWARD_DAILY_CAP = 1000
    now = timezone.now()
    plan = {alice.id: [1.0, 0.5, 0.26], bob.id: [0.5], carol.id: [0.0, 0.74, 1.0, 1.0]}
    credits = [
        VoteCredit(user_id=user_id, battle_id=uuid.uuid4(), at=now, multiplier=m)
        for user_id, multipliers in plan.items()
        for m in multipliers
    ]
    with transaction.atomic():
        booked = points_award_for_votes(credits=credits)
        again = points_award_for_votes(credits=credits[:2])
    assert list(booked.values()) == [10, 5, 3, 5, 0, 7, 10, 10]
    assert set(again.values()) == {0}
    balances = dict(
        Account.objects.filter(kind=Account.Kind.AVAILABLE).values_list("user_id", "balance")
    )
    assert balances == {alice.id: 18, bob.id: 5, carol.id: 27}
    assert_ledger_sound()
