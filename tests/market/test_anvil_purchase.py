"""The purchase-to-payout flow on anvil (a real JSON-RPC node): a version published, an
order quoted and paid by the buyer's wallet, the node stopped and restarted in the middle
of the purchase (after the payment was mined, before the service confirmed it), then the
payment confirmed, the sale booked once and the contributor's share redeemed on chain."""

import pytest

from datafi.errors import ApiError
from datafi.flows import market as market_flow
from datafi.market import services as market
from datafi.market.models import Purchase, SaleShare
from rewards import chain
from rewards.models import LedgerTransaction, Redemption
from rewards.services import ledger, market_payments, payouts, redemptions
from tests.market.buying import BUYER, fund_gas, send
from tests.market.conftest import approve
from tests.rewards.conftest import assert_ledger_sound, link_wallet, wallet_of

pytestmark = [pytest.mark.anvil, pytest.mark.django_db]


def _publish(product, operator):
    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    for _ in range(20):
        if version.status == "published":
            return version
        chain.mine(1)
        version = market_flow.version_follow(version_id=version.pk)
    raise AssertionError(f"not published: {version.status} {version.last_error}")


def test_a_purchase_survives_an_anvil_restart_and_is_booked_once(
    product, operator, anvil_node, market_arena, alice, settings
):
    settings.CHAIN_CONFIRMATIONS = 2
    version = _publish(product, operator)
    org = market_arena["orgs"]["zephyrine-labs"]
    fund_gas()
    tx_hash = market_flow.test_dollars(address=BUYER.address, amount=3000 * 10**6)
    for _ in range(10):
        chain.mine(1)
        if market_payments.token_balance(BUYER.address):
            break
    assert market_payments.token_balance(BUYER.address) == 3000 * 10**6, tx_hash

    order = market_flow.order_place(
        organization_id=org.pk,
        user=None,
        product_slug=product.slug,
        number=version.number,
        buyer_address=BUYER.address,
    )
    approve_call, purchase_call = order.calls
    send(approve_call)
    receipt = send(purchase_call)
    assert receipt["status"] == 1

    # The node goes down before the service has seen the payment confirmed.
    anvil_node.stop()
    chain.reset()
    report = market_flow.market_tick()
    assert report["errors"] and Purchase.objects.get(pk=order.purchase.pk).status == "awaiting"
    # Nothing can be ordered while the node is down: a clear 503, nothing stored.
    with pytest.raises(ApiError) as down:
        market_flow.order_place(
            organization_id=org.pk,
            user=None,
            product_slug=product.slug,
            number=version.number,
            buyer_address=BUYER.address,
        )
    assert down.value.status_code == 503 and Purchase.objects.count() == 1

    anvil_node.start()
    chain.reset()
    for _ in range(10):
        market_flow.market_tick()
        if Purchase.objects.get(pk=order.purchase.pk).status == "paid":
            break
        chain.mine(1)
    purchase = Purchase.objects.get(pk=order.purchase.pk)
    assert purchase.status == "paid"
    assert purchase.tx_hash == "0x" + bytes(receipt["transactionHash"]).hex()
    assert market_payments.token_balance(BUYER.address) == 500 * 10**6

    # Read again after another restart: the same event, booked once.
    anvil_node.stop()
    anvil_node.start()
    chain.reset()
    for _ in range(3):
        chain.mine(1)
        market_flow.market_tick()
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1
    share = SaleShare.objects.get(purchase=purchase, user=alice)
    assert ledger.unbalanced_transactions() == [] and ledger.balance_mismatches() == []
    assert ledger.balances_for(alice).available >= share.points > 0

    # Alice redeems her share: the payout worker pays it on chain through an epoch.
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=share.points, idempotency_key="sale")
    for _ in range(12):
        payouts.worker_tick()
        if Redemption.objects.get(user=alice).status == Redemption.Status.CLAIMABLE:
            break
        chain.mine(1)
    payouts.claim_request(user=alice)
    for _ in range(12):
        chain.mine(1)
        payouts.worker_tick()
        if Redemption.objects.get(user=alice).status == Redemption.Status.SETTLED:
            break
    assert Redemption.objects.get(user=alice).status == Redemption.Status.SETTLED
    assert chain.claimed_points(wallet_of("alice").address) == share.points
    assert_ledger_sound()
