"""Sales racing other writers, on PostgreSQL's row locks (skipped on SQLite, which runs
one writer at a time). A contributor's account deletion: whichever commits first, the
points the deletion says were left behind are all the account holds, and a sale that
comes second passes the deleted account by. The chain's purchase scan against an
operator's sale and against the vote fold: each waits, none deadlocks."""

import threading

import pytest

from datafi.flows import deletion
from datafi.flows import market as market_flow
from datafi.market import services as market
from datafi.market import split
from datafi.market.models import SaleShare
from rewards.services import closing, ledger
from tests.concurrency import a_backend_waits_on_a_lock, in_thread
from tests.market.conftest import approve

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(product, operator, evm, market_arena):
    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    org = market_arena["orgs"]["quorvex-ai"]

    def sell(reference):
        return market_flow.payment_record_offchain(
            operator=operator,
            version_id=version.pk,
            organization_id=org.pk,
            amount_cents=120_000,
            reference=reference,
        )

    return sell


def held(monkeypatch, module, name, *, before: bool):
    """Make ``module.name`` stop (before or after its real work) until released."""
    real = getattr(module, name)
    reached, release = threading.Event(), threading.Event()

    def wrapper(*args, **kwargs):
        if before:
            reached.set()
            release.wait(30)
        result = real(*args, **kwargs)
        if not before:
            reached.set()
            release.wait(30)
        return result

    monkeypatch.setattr(module, name, wrapper)
    return reached, release


def test_a_deletion_during_a_sale_waits_and_counts_the_share_it_leaves_behind(
    published, alice, monkeypatch
):
    # The sale has read its contributors and is splitting; alice deletes her account.
    # Before, the deletion did not wait: it counted her points without this share,
    # and the sale then credited the share to the anonymised account.
    split_reached, split_release = held(monkeypatch, split, "split", before=True)
    outcome = {}
    sale = in_thread(outcome, "sale", lambda: published("INV-1"))
    assert split_reached.wait(30)
    deleting = in_thread(outcome, "deletion", lambda: deletion.account_delete(user_id=alice.pk))
    try:
        assert a_backend_waits_on_a_lock(), "the deletion did not wait for the sale"
    finally:
        split_release.set()
        sale.join(30)
        deleting.join(30)
    assert not isinstance(outcome["sale"], Exception), outcome["sale"]
    assert not isinstance(outcome["deletion"], Exception), outcome["deletion"]
    share = SaleShare.objects.get(purchase=outcome["sale"], user=alice).points
    assert share > 0
    assert outcome["deletion"].points_left == ledger.balances_for(alice).available
    assert outcome["deletion"].points_left >= share


def test_a_sale_during_a_deletion_waits_and_passes_the_deleted_account_by(
    published, alice, carol, monkeypatch
):
    # alice's deletion has counted the points she leaves behind; a sale comes in.
    # Before, the sale did not see the deletion (not yet committed) and credited
    # her a share the deletion's count had missed.
    close_reached, close_release = held(monkeypatch, closing, "rewards_close_locked", before=False)
    outcome = {}
    deleting = in_thread(outcome, "deletion", lambda: deletion.account_delete(user_id=alice.pk))
    assert close_reached.wait(30)
    sale = in_thread(outcome, "sale", lambda: published("INV-1"))
    try:
        assert a_backend_waits_on_a_lock(), "the sale did not wait for the deletion"
    finally:
        close_release.set()
        deleting.join(30)
        sale.join(30)
    assert not isinstance(outcome["deletion"], Exception), outcome["deletion"]
    assert not isinstance(outcome["sale"], Exception), outcome["sale"]
    assert not SaleShare.objects.filter(purchase=outcome["sale"], user=alice).exists()
    assert SaleShare.objects.filter(purchase=outcome["sale"], user=carol, points__gt=0).exists()
    assert outcome["deletion"].points_left == ledger.balances_for(alice).available


def scan_of_two_sales(product, operator, evm, market_arena, monkeypatch, first, second):
    """Two Purchased events for the next scan: the first pays a version of ``first``'s
    votes only, the second one of ``second``'s. The scan stops inside the first
    event's booking until released. Returns (the scan, reached, release)."""
    from rewards.chain import PurchasedEvent
    from rewards.services import market_payments
    from tests.market.buying import BUYER

    only = {}
    for user, other in ((first, second), (second, first)):
        market.consent_set(user=other, agreed=False)
        market.consent_set(user=user, agreed=True)
        only[user.pk] = market.version_freeze(product_id=product.pk, operator=operator)
    for user in (first, second):
        market.consent_set(user=user, agreed=True)
    org = market_arena["orgs"]["quorvex-ai"]
    events = []
    for n, user in enumerate((first, second)):
        version = only[user.pk]
        order_id = f"0x{n + 1:064x}"
        market.order_create(
            version_id=version.pk, organization_id=org.pk, user=operator, order_id=order_id,
            buyer_address=BUYER.address, amount=2_500_000_000, decimals=6,
            network=evm.network(), market_address=BUYER.address, token_address=BUYER.address,
            deadline=2**40, quote="0x00",
        )  # fmt: skip
        events.append(
            PurchasedEvent(
                order_id=order_id, buyer=BUYER.address, dataset=product.pk,
                version=version.number, amount=2_500_000_000, tx_hash=f"0x{n + 1:064x}",
                log_index=0, block_number=1,
            )
        )  # fmt: skip
    market_payments.chain.market_deployment()
    monkeypatch.setattr(
        market_payments.chain,
        "purchased_events",
        lambda *, from_block, **kwargs: (list(events), from_block),
    )
    reached, release = held(monkeypatch, market_flow, "_book", before=False)

    def scan():
        market_flow.purchases_follow()
        return "booked"

    return scan, reached, release


def test_an_operators_sale_during_a_purchase_scan_waits_without_deadlock(
    product, operator, evm, market_arena, alice, carol, monkeypatch
):
    # The scan booked every event in one transaction. Its first sale (carol's votes
    # only) held carol; an operator's sale of a version with both took alice (lower
    # id first) and waited for carol; the scan's second sale (alice's only) waited
    # for alice: PostgreSQL broke the deadlock by failing one of them.
    from datafi.market.models import Purchase

    low, high = sorted((alice, carol), key=lambda user: user.pk)
    both = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    both = market_flow.version_publish(version_id=both.pk)
    scan, reached, release = scan_of_two_sales(
        product, operator, evm, market_arena, monkeypatch, high, low
    )
    outcome = {}
    scanning = in_thread(outcome, "scan", scan)
    assert reached.wait(30)
    selling = in_thread(
        outcome,
        "sale",
        lambda: market_flow.payment_record_offchain(
            operator=operator,
            version_id=both.pk,
            organization_id=market_arena["orgs"]["quorvex-ai"].pk,
            amount_cents=120_000,
            reference="INV-1",
        ),
    )
    try:
        assert a_backend_waits_on_a_lock(), "the operator's sale did not wait for the scan"
    finally:
        release.set()
        scanning.join(30)
        selling.join(30)
    assert outcome["scan"] == "booked", outcome["scan"]
    assert not isinstance(outcome["sale"], Exception), outcome["sale"]
    assert Purchase.objects.filter(status=Purchase.Status.PAID).count() == 3
    for user in (low, high):
        assert SaleShare.objects.filter(user=user, points__gt=0).count() == 2


def test_the_vote_fold_during_a_purchase_scan_waits_without_deadlock(
    product, operator, evm, market_arena, alice, carol, monkeypatch
):
    # The fold locks a batch's voters' accounts in id order. The scan's first sale
    # held the higher account; the fold took the lower and waited; the scan's second
    # sale needed the lower: a deadlock (found by a review, reproduced here).
    from django.db import transaction

    from datafi.market.models import Purchase

    account = {user.pk: ledger.account_for(kind="available", user=user) for user in (alice, carol)}
    low, high = sorted((alice, carol), key=lambda user: account[user.pk].id)
    scan, reached, release = scan_of_two_sales(
        product, operator, evm, market_arena, monkeypatch, high, low
    )

    def fold():  # as points_award_for_votes locks a batch's voters
        with transaction.atomic():
            return sorted(ledger._locked_available_accounts([low.pk, high.pk]))

    outcome = {}
    scanning = in_thread(outcome, "scan", scan)
    assert reached.wait(30)
    folding = in_thread(outcome, "fold", fold)
    try:
        assert a_backend_waits_on_a_lock(), "the fold did not wait for the scan"
    finally:
        release.set()
        scanning.join(30)
        folding.join(30)
    assert outcome["scan"] == "booked", outcome["scan"]
    assert outcome["fold"] == sorted([low.pk, high.pk]), outcome["fold"]
    assert Purchase.objects.filter(status=Purchase.Status.PAID).count() == 2


def test_an_order_placed_during_an_operators_sale_of_the_version_is_not_kept(
    published, market_arena, product, alice, monkeypatch
):
    # The order's check (no sale yet) ran before the operator's sale committed:
    # storing it waits for the version row the sale holds, then sees the sale
    # and stores nothing. Before, both were kept, and the order could be paid.
    from datafi.market.models import DatasetVersion, Purchase

    version = DatasetVersion.objects.get(product=product)
    org = market_arena["orgs"]["quorvex-ai"]
    split_reached, split_release = held(monkeypatch, split, "split", before=True)
    outcome = {}
    sale = in_thread(outcome, "sale", lambda: published("INV-9"))
    assert split_reached.wait(30)

    def order():
        return market.order_create(
            version_id=version.pk,
            organization_id=org.pk,
            user=alice,
            order_id="0x" + "ab" * 32,
            buyer_address="0x" + "12" * 20,
            amount=1_200_000_000,
            decimals=6,
            network="test",
            market_address="0x" + "34" * 20,
            token_address="0x" + "56" * 20,
            deadline=2_000_000_000,
            quote="0x" + "78" * 65,
        )

    ordering = in_thread(outcome, "order", order)
    try:
        assert a_backend_waits_on_a_lock(), "the order did not wait for the sale"
    finally:
        split_release.set()
        sale.join(30)
        ordering.join(30)
    assert not isinstance(outcome["sale"], Exception), outcome["sale"]
    assert isinstance(outcome["order"], market.AlreadyBought), outcome["order"]
    assert list(Purchase.objects.values_list("method", "status")) == [("offchain", "paid")]
