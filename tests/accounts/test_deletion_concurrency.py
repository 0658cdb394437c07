"""Account deletion against PostgreSQL's row locks (skipped on SQLite): a second request
changes nothing, and a redemption racing the deletion never leaves points in escrow
of a deleted account."""

import threading

import pytest
from django.db import connection, transaction

from datafi.accounts import services as accounts
from datafi.accounts.models import DeletionRequest, Membership, User
from datafi.errors import ApiError
from datafi.flows import deletion
from rewards.models import Redemption, Wallet
from rewards.services import ledger, redemptions
from tests.concurrency import a_backend_waits_on_a_lock, run_concurrently
from tests.rewards.conftest import award, link_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_deletions_of_one_account_delete_it_once(alice):
    results = run_concurrently(8, lambda i: deletion.account_delete(user_id=alice.pk))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.already for r in results) == [False] + [True] * 7
    assert DeletionRequest.objects.count() == 1
    assert len({r.record.pk for r in results}) == 1
    assert User.objects.get(pk=alice.pk).username.startswith("deleted-")


def test_a_redemption_racing_the_deletion_is_either_refused_or_refuses_it(evm):
    outcomes = set()
    for n in range(12):
        user = User.objects.create_user(username=f"racer{n}", password="x")
        award(user, 10)
        award(user, 10)
        link_wallet(user, f"racer{n}")

        def act(i, user=user):
            if i == 0:
                return deletion.account_delete(user_id=user.pk)
            return redemptions.redemption_request(user=user, points=20, idempotency_key="r")

        deleted, redeemed = run_concurrently(2, act)
        escrow = ledger.balances_for(user).escrow
        if isinstance(deleted, ApiError):
            # The redemption went first: the deletion saw its escrow and changed nothing.
            assert deleted.code == "redemption_in_flight", deleted
            assert not isinstance(redeemed, Exception), redeemed
            assert escrow == 20 and not DeletionRequest.objects.filter(user=user).exists()
            assert Wallet.objects.filter(user=user).exists()
            outcomes.add("redemption first")
        else:
            # The deletion went first: the redemption found no wallet, nothing in escrow.
            assert isinstance(redeemed, ApiError) and redeemed.code == "no_wallet", redeemed
            assert escrow == 0 and not Redemption.objects.filter(user=user).exists()
            outcomes.add("deletion first")
    assert connection.vendor == "postgresql"
    print("outcomes seen:", sorted(outcomes))


def test_an_owner_stepping_down_while_the_other_deletes_their_account_leaves_an_owner(alice, bob):
    """Repro: alice and bob own an organisation; bob steps down to member while
    alice deletes her account. Each check saw the other still an owner, both
    committed, and the organisation was left with no owner at all."""
    org = accounts.organization_create(name="Shared Research", owner=alice)
    accounts.membership_add(organization=org, user=bob, role="owner")
    stepped_down, release, outcome = threading.Event(), threading.Event(), {}

    def step_down():  # bob's step-down, held open until alice's deletion is under way
        try:
            with transaction.atomic():
                accounts.membership_add(organization=org, user=bob, role="member")
                stepped_down.set()
                release.wait(30)
        finally:
            connection.close()

    def delete():
        try:
            outcome["deletion"] = deletion.account_delete(user_id=alice.pk)
        except Exception as exc:  # asserted on below
            outcome["deletion"] = exc
        finally:
            connection.close()

    bob_thread = threading.Thread(target=step_down)
    bob_thread.start()
    assert stepped_down.wait(30)
    alice_thread = threading.Thread(target=delete)
    alice_thread.start()
    try:
        assert a_backend_waits_on_a_lock(), "the deletion did not wait for bob's seats"
    finally:
        release.set()
        bob_thread.join(30)
        alice_thread.join(30)
    refused = outcome["deletion"]
    assert isinstance(refused, ApiError) and refused.code == "sole_owner", refused
    assert refused.status_code == 409
    assert list(
        Membership.objects.filter(organization=org, role="owner").values_list("user", flat=True)
    ) == [alice.pk]
    assert User.objects.get(pk=alice.pk).is_active
    assert not DeletionRequest.objects.filter(user=alice).exists()
