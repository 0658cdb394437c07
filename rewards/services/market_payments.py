"""Payments for dataset versions on the DataMarket contract: what the data market calls.

The market owns its orders; rewards owns the chain. The market stores an order
with the quote this module signs (before the buyer's wallet can send anything),
then ``purchases_scan`` reads confirmed Purchased events, re-reading the reorg
window every pass, and hands each one to the caller inside the transaction that
moves the scan cursor: two workers reading the same blocks book them once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from rewards import chain
from rewards.models import ChainDeployment

PurchasedEvent = chain.PurchasedEvent
PaymentTokenInfo = chain.PaymentTokenInfo
ChainUnavailable = chain.ChainUnavailable
ChainReverted = chain.ChainReverted


@dataclass(frozen=True)
class Quote:
    network: str
    market: str
    token: str
    signature: str
    calls: list[dict]  # the buyer wallet's calls, in order: approve, then purchase


def payment_info() -> PaymentTokenInfo:
    """The payment token (address, symbol, decimals), the market and its treasury."""
    return chain.payment_token_info()


def chain_now() -> int:
    """The latest block's timestamp: quotes expire on the chain's clock."""
    return chain.block_time()


def quote_sign(
    *, order_id: str, buyer: str, dataset: int, version: int, amount: int, deadline: int
) -> Quote:
    """Sign a purchase quote and give the buyer's calls. Never inside a DB transaction."""
    signature = chain.purchase_quote(
        order_id=order_id,
        buyer=buyer,
        dataset=dataset,
        version=version,
        amount=amount,
        deadline=deadline,
    )
    row = chain.market_deployment()
    calls = chain.purchase_calls(
        order_id=order_id,
        dataset=dataset,
        version=version,
        amount=amount,
        deadline=deadline,
        quote=signature,
    )
    return Quote(
        network=chain.get().network,
        market=row.market_address,
        token=row.payment_token_address,
        signature=signature,
        calls=calls,
    )


def purchase_calls(
    *,
    network: str,
    order_id: str,
    dataset: int,
    version: int,
    amount: int,
    deadline: int,
    quote: str,
) -> list[dict] | None:
    """The buyer wallet's calls for a stored quote, as ``quote_sign`` gave them (nothing
    is signed or sent); None when this process reads another chain than ``network``."""
    if chain.get().network != network:
        return None
    return chain.purchase_calls(
        order_id=order_id,
        dataset=dataset,
        version=version,
        amount=amount,
        deadline=deadline,
        quote=quote,
    )


def purchases_scan(on_event: Callable[[PurchasedEvent], None]) -> int:
    """Read confirmed Purchased events; ``on_event`` books each in a transaction of its
    own, then the cursor moves. Returns how many events were read (0: another worker
    moved the cursor first).

    ``on_event`` must be idempotent: the reorg window is read again every pass, two
    workers may read the same events, and a pass that stops between an event and
    the cursor reads it again.

    One transaction per event: a sale locks its contributors' accounts in id order,
    but two sales in one transaction do not, and the vote fold (which locks a
    batch's accounts in id order) deadlocked with a scan whose first sale held a
    higher account and whose second needed a lower one.
    """
    dep = chain.market_deployment()
    cursor = ChainDeployment.objects.get(pk=dep.pk).market_scanned_block
    events, last = chain.purchased_events(
        from_block=cursor + 1,
        rescan=settings.CHAIN_REORG_WINDOW,
        floor=dep.market_deployed_block,
    )
    for event in events:
        with transaction.atomic():
            on_event(event)
    moved = ChainDeployment.objects.filter(pk=dep.pk, market_scanned_block=cursor).update(
        market_scanned_block=last
    )
    return len(events) if moved else 0


def test_dollars_mint(*, to: str, amount: int, label: str) -> str:
    """Mint test dollars to a buyer's address (embedded chain and anvil only); its hash."""
    return chain.payment_token_mint(to=to, amount=amount, label=label).tx_hash


def token_balance(address: str) -> int:
    return chain.payment_token_balance(address)
