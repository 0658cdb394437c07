"""Amounts past 32 bits are booked whole.

Django binds a bare integer in ``F("balance") + amount`` as a 32-bit one, and
with server-side binding (PostgreSQL's default here) psycopg sent its low 32
bits: a sale share of 229,559,481,806,161 points moved a balance by 2,069,769,553
and no error was raised (red-team finding). Runs on SQLite too, where it passed
before; the PostgreSQL run is the one that failed.
"""

import pytest
from django.db import DataError, connection, transaction
from django.db.models import F

from rewards.models import Account
from rewards.services import ledger
from tests.rewards.conftest import assert_ledger_sound

pytestmark = pytest.mark.django_db

BIG = 229_559_481_806_161  # > 2**47


def _credit(user, amount, key):
    available = ledger.account_for(kind="available", user=user)
    issuance = ledger.account_for(kind="issuance")
    with transaction.atomic():
        ledger.post(
            source_key=key,
            kind="award",
            user=user,
            lines=[(available, amount), (issuance, -amount)],
        )


def test_a_credit_past_32_bits_moves_the_balance_by_all_of_it(alice):
    _credit(alice, 7, "small")
    _credit(alice, BIG, "big")
    _credit(alice, 2**33 + 5, "edge")
    assert ledger.balances_for(alice).available == 7 + BIG + 2**33 + 5
    assert ledger.balance_mismatches() == []
    assert_ledger_sound()


def test_a_vote_batch_gain_past_32_bits_is_whole(alice):
    # The fold's one-UPDATE-per-gain path, with a gain no vote earns today.
    from rewards.services.ledger import _points

    account = ledger.account_for(kind="available", user=alice)
    Account.objects.filter(id=account.id).update(balance=F("balance") + _points(2**40))
    account.refresh_from_db()
    assert account.balance == 2**40


@pytest.mark.postgres
def test_any_expression_integer_past_its_inferred_type_is_bound_whole(alice):
    """The backend's part: an integer Django infers as 32-bit but that does not
    fit is sent as 64-bit (computed whole), and one too large even for that is
    refused by PostgreSQL, not cut."""
    account = ledger.account_for(kind="available", user=alice)
    Account.objects.filter(id=account.id).update(balance=F("balance") + 2**33 + 5)
    account.refresh_from_db()
    assert account.balance == 2**33 + 5
    assert connection.ops.adapt_integerfield_value(5, "IntegerField") == 5
    with pytest.raises(DataError), transaction.atomic():
        Account.objects.filter(id=account.id).update(balance=F("balance") + 2**64)
    account.refresh_from_db()
    assert account.balance == 2**33 + 5
