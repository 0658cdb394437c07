"""Dataset version registration on the DatasetRegistry: what the data market calls.

The market owns its versions; rewards owns the chain. These functions take plain
values and give back plain ``RegistrationState``s, so the market never touches
a ``ChainTx`` row. The caller follows the epochs' shape: store the pending
registration, ``registration_send`` (which links the signed hash through
``record`` in the commit that stores it, before the broadcast), then
``registration_progress`` until it is confirmed. Never inside a DB transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rewards import chain
from rewards.models import ChainTx

RegisteredVersion = chain.RegisteredVersion
ChainUnavailable = chain.ChainUnavailable
ChainReverted = chain.ChainReverted
WrongChain = chain.WrongChain


@dataclass(frozen=True)
class RegistrationState:
    tx_hash: str
    status: str  # a ChainTx status: signed, sent, mined, confirmed, reverted, dropped
    block_number: int | None
    network: str
    last_error: str = ""

    @property
    def confirmed(self) -> bool:
        return self.status == ChainTx.Status.CONFIRMED

    @property
    def dead(self) -> bool:
        return self.status in ChainTx.DEAD


def _state(tx: ChainTx) -> RegistrationState:
    return RegistrationState(
        tx_hash=tx.tx_hash,
        status=tx.status,
        block_number=tx.block_number,
        network=tx.network,
        last_error=tx.last_error,
    )


def registration_label(*, dataset: int, version: int) -> str:
    return f"dataset:{dataset}:{version}"


def registration_send(
    *,
    dataset: int,
    version: int,
    root: str,
    metadata_hash: str,
    rows: int,
    record: Callable[[str], None],
) -> RegistrationState:
    """Sign, store and broadcast ``register(...)`` for one version (idempotent per version).

    ``record(tx_hash)`` runs in the DB transaction that stores the signed
    transaction. Raises ChainUnavailable (nothing signed) or ChainReverted
    (the registry would refuse it, e.g. ``AlreadyRegistered``).
    """
    to, data = chain.register_call(
        dataset=dataset, version=version, root=root, metadata_hash=metadata_hash, rows=rows
    )
    tx = chain.submit(
        label=registration_label(dataset=dataset, version=version),
        purpose=ChainTx.Purpose.REGISTER,
        to=to,
        data=data,
        record=lambda tx: record(tx.tx_hash),
    )
    return _state(tx)


def registration_progress(*, tx_hash: str) -> RegistrationState:
    """Move a stored registration on (look up, re-broadcast if unknown, count confirmations)."""
    tx = ChainTx.objects.get(tx_hash=tx_hash)
    return _state(chain.progress(tx))


def registration_onchain(*, dataset: int, version: int) -> RegisteredVersion | None:
    """What this chain's registry holds for the version (reads only; WrongChain if none)."""
    return chain.registered_version(dataset=dataset, version=version)


def chain_network() -> str:
    """The network this process's chain connection is on."""
    return chain.get().network


def registry_address() -> str:
    """The registry's address on this network (deployed on first use)."""
    return chain.registry_address()
