"""The data market's cross-app flows: publishing a version (its root recorded on chain by
rewards), buying one (an order quoted, paid on chain, confirmed, booked), and paying the
contributors in it (the sale's split credited in the ledger, once).

Publishing:

The payout epochs' shape, so that the chain is never called inside a DB
transaction and a crash anywhere loses nothing:

1. ``version_registration_start`` (one short transaction): the approved version
   becomes REGISTERING; one caller wins (a conditional UPDATE).
2. ``registration_send`` (outside any transaction): rewards signs the
   ``register`` call, stores it and links its hash to the version in one
   commit, then broadcasts. Idempotent per (dataset, version): a second send
   finds the stored transaction instead of signing another.
3. ``version_follow``: the stored transaction is looked up (re-broadcast if the
   node never saw it); once confirmed the version is PUBLISHED with its block;
   if it reverted or was lost, the version goes back to APPROVED with the reason.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from eth_utils import is_address, to_checksum_address

from datafi.errors import ApiError
from datafi.market import downloads, presentation
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from rewards.services import ledger, market_payments, registry

log = logging.getLogger(__name__)

# What a bought version downloads as (the provider export's formats and more).
VERSION_FORMATS = downloads.FORMATS


def version_publish(*, version_id: int):
    """Send an approved version's root to the chain and follow it (resumable)."""
    version = market_selectors.version_by_id(version_id=version_id)
    if version.status == market.VersionStatus.APPROVED:
        version = market.version_registration_start(
            version_id=version_id, network=registry.chain_network()
        )
    if version.status != market.VersionStatus.REGISTERING:
        raise ApiError(
            "wrong_state",
            _("Version %(version)s is %(status)s: nothing to publish.")
            % {"version": version, "status": version.get_status_display()},
            status_code=409,
        )
    if not version.tx_hash:
        _send(version)
    return version_follow(version_id=version_id)


def _send(version) -> None:
    try:
        registry.registration_send(
            dataset=version.product_id,
            version=version.number,
            root=version.root,
            metadata_hash=version.metadata_hash,
            rows=version.row_count,
            record=lambda tx_hash: market.version_registration_link(
                version_id=version.pk, tx_hash=tx_hash
            ),
        )
    except registry.ChainReverted as exc:
        market.version_registration_failed(
            version_id=version.pk, error=f"the registry refused it: {exc.error}"
        )
    except registry.ChainUnavailable as exc:
        # Nothing was signed: the version stays REGISTERING without a hash and the
        # next ``version_follow`` sends it.
        log.warning("registration of %s not sent: %s", version, exc)


def version_follow(*, version_id: int):
    """Move one REGISTERING version on: send if unsent, count confirmations, settle."""
    version = market_selectors.version_by_id(version_id=version_id)
    if version.status != market.VersionStatus.REGISTERING:
        return version
    if not version.tx_hash:
        _send(version)
        version.refresh_from_db()
        if not version.tx_hash:
            return version
    try:
        state = registry.registration_progress(tx_hash=version.tx_hash)
    except registry.ChainUnavailable as exc:
        log.warning("registration of %s not followed: %s", version, exc)
        return version
    if state.confirmed:
        return market.version_registration_confirmed(
            version_id=version_id, tx_hash=state.tx_hash, block_number=state.block_number
        )
    if state.dead:
        return market.version_registration_failed(
            version_id=version_id, error=f"registration {state.status}: {state.last_error}"
        )
    return version


def registrations_follow() -> list:
    """Follow every version being registered (the worker's pass; the command's)."""
    return [version_follow(version_id=pk) for pk in market_selectors.versions_registering()]


def version_onchain(*, version) -> dict:
    """What the chain this process reads holds for ``version`` (reads only).

    Raises ``registry.WrongChain`` in plain words when this process does not read
    the chain the version was registered on, or ``registry.ChainUnavailable``.
    """
    if not version.network:
        raise registry.WrongChain(f"version {version} was never registered on a chain")
    network = registry.chain_network()
    if network != version.network:
        raise registry.WrongChain(
            f"this process reads {network}, but version {version} was registered on "
            f"{version.network}"
            + (
                " (an in-process chain lives only in the server that registered it; "
                "set CHAIN_RPC_URL to verify on a real node)"
                if network.startswith("embedded-")
                else ""
            )
        )
    record = registry.registration_onchain(dataset=version.product_id, version=version.number)
    if record is None:
        raise registry.WrongChain(f"the registry on {network} holds no record of {version}")
    return {
        "root": record.root,
        "metadata_hash": record.metadata_hash,
        "rows": record.rows,
        "registered_at": record.registered_at,
    }


# --- buying ---------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    purchase: object  # datafi.market.models.Purchase
    calls: list[dict]
    token_symbol: str
    decimals: int


def _address(value) -> str:
    """A checksummed Ethereum address that can hold tokens, or a 400 in plain words."""
    if not isinstance(value, str) or not is_address(value):
        raise ApiError("bad_address", _("The address is not an Ethereum address."))
    if int(value, 16) == 0:
        raise ApiError("bad_address", _("The zero address cannot hold or send tokens."))
    return to_checksum_address(value)


def _chain_down(exc) -> ApiError:
    return ApiError(
        "chain_unavailable",
        _("The chain cannot be reached just now; nothing was ordered. Try again shortly."),
        status_code=503,
    )


def _order_waiting(waiting, *, names: dict, chain_now: int) -> ApiError:
    # Past its deadline but not yet marked expired (the market's pass does that,
    # after reading whether it was paid in time): about a minute more.
    minutes = max(1, -(-((waiting.deadline or 0) - chain_now) // 60))
    return ApiError(
        "order_waiting",
        ngettext(
            "Order %(order)s for version %(number)s of %(dataset)s waits for its "
            "payment: pay that one, or order again once its quote expires, in about "
            "%(minutes)s minute. Two orders could both be paid. Nothing was ordered.",
            "Order %(order)s for version %(number)s of %(dataset)s waits for its "
            "payment: pay that one, or order again once its quote expires, in about "
            "%(minutes)s minutes. Two orders could both be paid. Nothing was ordered.",
            minutes,
        )
        % {**names, "order": waiting.pk, "minutes": minutes},
        status_code=409,
    )


def _already_bought(names: dict) -> ApiError:
    return ApiError(
        "already_bought",
        _(
            "Your organisation has already bought version %(number)s of %(dataset)s: "
            "download it from the dataset's page. Nothing was ordered."
        )
        % names,
        status_code=409,
    )


def order_place(
    *, organization_id: int, user, product_slug: str, number: int, buyer_address: str
) -> Order:
    """Quote a published version to a buyer's address and store the order, signed,
    before the buyer's wallet can pay it. The buyer then sends ``calls`` in order."""
    buyer = _address(buyer_address)
    version = market.sellable_version(product_slug=product_slug, number=number)
    names = {"number": version.number, "dataset": version.product.title}
    if market_selectors.version_buyer(organization_ids=[organization_id], version=version):
        # Paying twice for the same download right helps nobody (a red-team finding).
        raise _already_bought(names)
    try:
        info = market_payments.payment_info()
        amount = market.price_in_units(version=version, decimals=info.decimals)
        order_id = "0x" + secrets.token_hex(32)
        now = market_payments.chain_now()
        waiting = market_selectors.order_waiting(organization_id=organization_id, version=version)
        if waiting is not None:
            raise _order_waiting(waiting, names=names, chain_now=now)
        deadline = now + settings.MARKET_QUOTE_MINUTES * 60
        quote = market_payments.quote_sign(
            order_id=order_id,
            buyer=buyer,
            dataset=version.product_id,
            version=version.number,
            amount=amount,
            deadline=deadline,
        )
    except market_payments.ChainUnavailable as exc:
        raise _chain_down(exc) from None
    except market_payments.ChainReverted as exc:
        log.error("quoting %s refused on chain: %s", version, exc)
        raise ApiError(
            "refused_on_chain",
            _("The market contract refused the quote (%(error)s); nothing was ordered.")
            % {"error": exc.error},
            status_code=409,
        ) from None
    try:
        purchase = market.order_create(
            version_id=version.pk,
            organization_id=organization_id,
            user=user,
            order_id=order_id,
            buyer_address=buyer,
            amount=amount,
            decimals=info.decimals,
            network=quote.network,
            market_address=quote.market,
            token_address=quote.token,
            deadline=deadline,
            quote=quote.signature,
        )
    except market.AlreadyBought:
        # An operator recorded an off-chain sale of it meanwhile.
        raise _already_bought(names) from None
    except market.OrderWaiting as exc:
        # Another order slipped in between the check above and this one.
        raise _order_waiting(exc.purchase, names=names, chain_now=now) from None
    return Order(
        purchase=purchase, calls=quote.calls, token_symbol=info.symbol, decimals=info.decimals
    )


def order_calls(*, purchase) -> list[dict] | None:
    """The wallet's calls that pay ``purchase``, the same as when it was placed, while it
    awaits its payment and its quote can still be paid on the chain's clock; ``[]``
    once it cannot (paid, expired, past its deadline); None when the chain this order
    is on cannot be read just now (the order is still answered: a buyer polling it
    should not see an error)."""
    if (
        purchase.method != market.Purchase.Method.CHAIN
        or purchase.status != market.Purchase.Status.AWAITING
    ):
        return []
    try:
        calls = market_payments.purchase_calls(
            network=purchase.network,
            order_id=purchase.order_id,
            dataset=purchase.version.product_id,
            version=purchase.version.number,
            amount=purchase.amount,
            deadline=purchase.deadline,
            quote=purchase.quote,
        )
        if calls is None:
            return None  # another chain: neither its clock nor its contracts are read here
        # The same rule as ``orders_expire``: payable up to and including the deadline.
        if purchase.deadline < market_payments.chain_now():
            return []
    except market_payments.ChainUnavailable as exc:
        log.warning("the calls of order %s not given: %s", purchase.pk, exc)
        return None
    return calls


def _book(purchase, result) -> None:
    ledger.sale_book(
        source_key=f"market.sale.{purchase.pk}",
        sale_points=result.sale_points,
        fee_points=result.fee_points,
        shares=result.shares,
        sold=str(purchase.version),
    )


def _on_purchased(event) -> None:
    booked = market.purchase_paid_onchain_locked(
        order_id=event.order_id,
        buyer=event.buyer,
        dataset=event.dataset,
        version=event.version,
        amount=event.amount,
        network=registry.chain_network(),
        tx_hash=event.tx_hash,
        log_index=event.log_index,
        block_number=event.block_number,
    )
    if booked is None:
        return
    purchase, result = booked
    _book(purchase, result)


def purchases_follow() -> int:
    """Confirm paid orders from the chain's Purchased events and book their sales (once);
    expire unpaid quotes past their deadline. Returns the events read (none are read,
    and nothing is deployed, while no order waits for its payment)."""
    if not market_selectors.orders_unpaid_exist():
        return 0
    read = market_payments.purchases_scan(_on_purchased)
    market.orders_expire(chain_now=market_payments.chain_now())
    return read


@transaction.atomic(durable=True)
def payment_record_offchain(
    *, operator, version_id: int, organization_id: int, amount_cents: int, reference: str
):
    """An operator records an off-chain payment: the purchase, the sale and the split, once."""
    purchase, result = market.purchase_record_offchain_locked(
        operator=operator,
        version_id=version_id,
        organization_id=organization_id,
        amount_cents=amount_cents,
        reference=reference,
    )
    _book(purchase, result)
    return purchase


def test_dollars(*, address: str, amount: int) -> str:
    """Mint test dollars to a buyer (embedded chain and anvil only); the transaction hash."""
    address = _address(address)
    try:
        if not market_payments.payment_info().mintable:
            raise ApiError(
                "not_mintable",
                _("Payments here are in a real stablecoin: there are no test dollars."),
                status_code=409,
            )
        return market_payments.test_dollars_mint(
            to=address, amount=amount, label=f"faucet:{uuid.uuid4().hex}"
        )
    except market_payments.ChainUnavailable as exc:
        raise _chain_down(exc) from None
    except market_payments.ChainReverted as exc:
        raise ApiError(
            "refused_on_chain",
            _("The token contract refused to mint: %(error)s.") % {"error": exc.error},
            status_code=409,
        ) from None


def market_tick() -> dict:
    """One pass of the market's worker: registrations followed, purchases confirmed."""
    report = {"registrations": 0, "purchase_events": 0, "errors": []}
    try:
        report["registrations"] = len(registrations_follow())
        report["purchase_events"] = purchases_follow()
    except (registry.ChainUnavailable, market_payments.ChainUnavailable) as exc:
        report["errors"].append(f"chain unavailable: {exc}")
    return report


# --- downloads ------------------------------------------------------------------


def version_download(
    *,
    organization_ids,
    product_slug: str,
    number: int,
    format: str,
    compression: str,
    api_key_id: int | None,
    user,
) -> downloads.Download:
    """A bought version as a download (logged). 404 for no such published version, 403
    naming the price when none of ``organization_ids`` (None: an operator) bought it."""
    version = market_selectors.version_get(product_slug=product_slug, number=number)
    if version is None or version.status != market.VersionStatus.PUBLISHED:
        raise ApiError(
            "not_found",
            _("No published version %(number)s of dataset %(dataset)s.")
            % {"number": number, "dataset": product_slug},
            status_code=404,
        )
    buyer = None
    if organization_ids is not None:
        buyer = market_selectors.version_buyer(organization_ids=organization_ids, version=version)
        if buyer is None:
            raise ApiError(
                "not_bought",
                # Translators: %(price)s is written for the reader, e.g. "$2,500.00".
                _(
                    "Your organisation has not bought version %(number)s of %(dataset)s: it "
                    "costs %(price)s. Order it with POST /api/v1/market/orders."
                )
                % {
                    "number": number,
                    "dataset": product_slug,
                    "price": presentation.price_display(
                        version.product.price_amount, version.product.price_currency
                    ),
                },
                status_code=403,
            )
    try:
        download = downloads.version_download(
            version=version, format=format, compression=compression
        )
    except downloads.DownloadError as exc:
        raise ApiError("invalid_export", str(exc)) from None
    market.download_log(
        version_id=version.pk,
        organization_id=buyer,
        api_key_id=api_key_id,
        user=user,
        format=format,
        now=timezone.now(),
    )
    return download
