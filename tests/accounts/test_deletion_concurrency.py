"""Account deletion against PostgreSQL's row locks (skipped on SQLite): a second request
changes nothing, and a redemption racing the deletion never leaves points in escrow
of a deleted account."""

import pytest
from django.db import connection

from datafi.accounts.models import DeletionRequest, User
from datafi.errors import ApiError
from datafi.flows import deletion
from rewards.models import Redemption, Wallet
from rewards.services import ledger, redemptions
from tests.concurrency import run_concurrently
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
