"""Publishing a dataset version: the market's frozen root, recorded on chain by rewards.

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

from django.utils.translation import gettext as _

from datafi.errors import ApiError
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from rewards.services import registry

log = logging.getLogger(__name__)


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
