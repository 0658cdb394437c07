"""The chain adapter: the only module that imports web3.

Two backends behind one interface:

- default: an in-process EVM (web3 ``EthereumTesterProvider``: eth-tester + py-evm).
  It lives in this process's memory, so its network key carries a per-process id
  and the contracts are deployed on first use; only this process can reach it
  (see ``REWARD_WORKER_ON_DEMAND``).
- ``CHAIN_RPC_URL`` + ``CHAIN_PRIVATE_KEY``: any Ethereum JSON-RPC node.

Every transaction is signed locally. ``submit`` takes the sender's nonce under a
row lock (``NonceCursor``, the one nonce manager), signs, and stores hash and raw
bytes in ``ChainTx`` *before* broadcasting, in its own short DB transaction.
``progress`` moves a stored transaction forward: it looks the hash up (receipt,
then the node's pool) and only if the node has never heard of it re-broadcasts
the *same* signed bytes, which cannot pay twice (same nonce, same hash).
No function here is meant to be called inside a DB transaction: the chain calls
happen between the short DB transactions.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from eth_account import Account as EthAccount
from eth_utils import ValidationError as EvmRefused  # py-evm's refusal, e.g. a spent nonce
from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)

from datafi import recursion
from rewards.db import in_transaction
from rewards.merkle import UNITS_PER_POINT
from rewards.models import ChainDeployment, ChainTx, NonceCursor

try:  # the in-process EVM raises its own types on a revert and a refused send
    from eth_tester.exceptions import TransactionFailed
    from eth_tester.exceptions import ValidationError as TesterRefused
except ImportError:  # pragma: no cover
    TransactionFailed = ContractLogicError  # type: ignore[misc,assignment]
    TesterRefused = ValueError  # type: ignore[misc,assignment]

log = logging.getLogger(__name__)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
EMBEDDED_FUNDING_WEI = 10**23
REVERTS = (ContractLogicError, ContractCustomError, TransactionFailed)
# What a node that is down or too slow looks like from here (requests' errors are OSErrors).
UNREACHABLE = (OSError, ProviderConnectionError, TimeExhausted)


class ChainUnavailable(Exception):
    """The node could not be reached (or timed out). Nothing was lost; retry later."""


class ChainReverted(Exception):
    """A call or gas estimate reverted: sending it would fail on chain."""

    def __init__(self, error: str, detail: str = ""):
        super().__init__(detail or error)
        self.error = error


@cache
def artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


class _LockedTesterProvider(EthereumTesterProvider):
    # py-evm is not thread-safe, and web requests run in a thread pool.
    _lock = threading.RLock()

    def make_request(self, method, params):
        with self._lock:
            return super().make_request(method, params)


@dataclass
class Chain:
    w3: Web3
    account: object  # eth_account LocalAccount
    network: str
    embedded: bool

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def chain_id(self) -> int:
        return _cached_chain_id(self)


_chain_ids: dict[int, int] = {}


def _cached_chain_id(c: Chain) -> int:
    key = id(c)
    if key not in _chain_ids:
        _chain_ids[key] = int(c.w3.eth.chain_id)
    return _chain_ids[key]


_instance: Chain | None = None
_instance_lock = threading.Lock()


def _build() -> Chain:
    if settings.CHAIN_RPC_URL:
        if not settings.CHAIN_PRIVATE_KEY:
            raise RuntimeError("CHAIN_RPC_URL needs CHAIN_PRIVATE_KEY to sign payouts")
        provider = HTTPProvider(
            settings.CHAIN_RPC_URL,
            request_kwargs={"timeout": settings.CHAIN_TIMEOUT},
            exception_retry_configuration=None,
        )
        w3 = Web3(provider)
        account = EthAccount.from_key(settings.CHAIN_PRIVATE_KEY)
        network = f"chain-{settings.CHAIN_ID}" if settings.CHAIN_ID else None
        c = Chain(w3=w3, account=account, network=network or "", embedded=False)
        if not network:
            try:
                c.network = f"chain-{c.chain_id}"
            except UNREACHABLE as exc:
                raise ChainUnavailable(f"node unreachable: {exc}") from exc
        return c
    w3 = Web3(_LockedTesterProvider())
    # Building it imported py-evm, which raised the recursion limit: see datafi.recursion.
    recursion.restore_safe_limit()
    key = settings.CHAIN_PRIVATE_KEY or keccak(text=f"datafi embedded {uuid.uuid4()}")
    account = EthAccount.from_key(key)
    # The tester's own accounts are unlocked and rich: fund our signer once.
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction(
            {"from": w3.eth.accounts[0], "to": account.address, "value": EMBEDDED_FUNDING_WEI}
        )
    )
    return Chain(w3=w3, account=account, network=f"embedded-{uuid.uuid4().hex[:12]}", embedded=True)


def get() -> Chain:
    """The process's chain connection (the in-process EVM is created on first use)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = _build()
        return _instance


def reset() -> None:
    """Forget the connection: the next ``get()`` builds a fresh one (tests; a new embedded EVM)."""
    global _instance
    with _instance_lock:
        _instance = None
        _deployments.clear()


def chain_id() -> int:
    """The chain payouts are on (CHAIN_ID, else what the node says)."""
    if settings.CHAIN_ID:
        return int(settings.CHAIN_ID)
    try:
        return get().chain_id
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc


def is_embedded() -> bool:
    return not settings.CHAIN_RPC_URL


def hexstr(value) -> str:
    if isinstance(value, str):
        return value if value.startswith("0x") else "0x" + value
    return "0x" + bytes(value).hex()


# --- contracts -------------------------------------------------------------------

_deployments: dict[str, ChainDeployment] = {}


def _contract(c: Chain, name: str, address: str):
    return c.w3.eth.contract(address=to_checksum_address(address), abi=artifact(name)["abi"])


def distributor(c: Chain | None = None):
    c = c or get()
    return _contract(c, "MerkleDistributor", deployment(c).distributor_address)


def token(c: Chain | None = None):
    c = c or get()
    return _contract(c, "RewardToken", deployment(c).token_address)


def deployment(c: Chain | None = None) -> ChainDeployment:
    """The contracts on this network, deployed (and recorded) on first use.

    Deployment waits for one receipt per step and is resumable: each step is a
    ChainTx with a label, so a crash mid-way picks up the stored transaction.
    """
    c = c or get()
    cached = _deployments.get(c.network)
    if cached is not None:
        return cached
    row, _ = ChainDeployment.objects.get_or_create(
        network=c.network, defaults={"chain_id": c.chain_id}
    )
    if not row.distributor_address and settings.CHAIN_DISTRIBUTOR_ADDRESS:
        row.token_address = to_checksum_address(settings.CHAIN_TOKEN_ADDRESS)
        row.distributor_address = to_checksum_address(settings.CHAIN_DISTRIBUTOR_ADDRESS)
        row.save(update_fields=["token_address", "distributor_address"])
    if not row.distributor_address:
        row = _deploy(c, row)
    _deployments[c.network] = row
    return row


def _wait_confirmed(tx: ChainTx, *, confirmations: int = 1, timeout: float = 30.0) -> ChainTx:
    import time

    deadline = time.monotonic() + timeout
    while True:
        tx = progress(tx, confirmations=confirmations)
        if tx.status == ChainTx.Status.CONFIRMED:
            return tx
        if tx.status == ChainTx.Status.REVERTED:
            raise ChainReverted(
                "deploy_reverted", f"{tx.purpose} transaction {tx.tx_hash} reverted"
            )
        if time.monotonic() > deadline:
            raise ChainUnavailable(f"transaction {tx.tx_hash} not confirmed in {timeout}s")
        time.sleep(0.2)


def _deploy(c: Chain, row: ChainDeployment) -> ChainDeployment:
    token_art, dist_art = artifact("RewardToken"), artifact("MerkleDistributor")
    tok = c.w3.eth.contract(abi=token_art["abi"], bytecode=token_art["bytecode"])
    data = tok.constructor(c.address).data_in_transaction
    tx = _wait_confirmed(submit(label="deploy:token", purpose="deploy", to=None, data=data))
    token_address = tx.contract_address
    dist = c.w3.eth.contract(abi=dist_art["abi"], bytecode=dist_art["bytecode"])
    data = dist.constructor(token_address, c.address, c.address).data_in_transaction
    tx = _wait_confirmed(submit(label="deploy:distributor", purpose="deploy", to=None, data=data))
    distributor_address = tx.contract_address
    token_contract = _contract(c, "RewardToken", token_address)
    minter = token_contract.functions.MINTER_ROLE().call()
    data = token_contract.encode_abi("grantRole", args=[minter, distributor_address])
    tx = _wait_confirmed(
        submit(label="deploy:grant", purpose="deploy", to=token_address, data=data)
    )
    row.token_address = token_address
    row.distributor_address = distributor_address
    row.deployed_block = tx.block_number or 0
    row.scanned_block = (tx.block_number or 0) - 1
    row.save(
        update_fields=["token_address", "distributor_address", "deployed_block", "scanned_block"]
    )
    return row


# --- sending ---------------------------------------------------------------------


def _revert_bytes(exc: BaseException) -> bytes:
    """The raw revert data, whether a JSON-RPC node (hex) or eth-tester (bytes repr) sent it."""
    for item in (getattr(exc, "data", None), *exc.args):
        if isinstance(item, dict):
            item = item.get("data")
        if isinstance(item, bytes | bytearray):
            return bytes(item)
        if not isinstance(item, str):
            continue
        match = re.search(r"""(b'(?:[^'\\]|\\.)*'|b"(?:[^"\\]|\\.)*")""", item)
        if match:
            return ast.literal_eval(match.group(1))
        match = re.search(r"0x[0-9a-fA-F]{8,}", item)
        if match and len(match.group(0)) % 2 == 0:
            return bytes.fromhex(match.group(0)[2:])
    return b""


def _decode_revert(exc: BaseException) -> str:
    """Our contracts' custom error name carried by a revert, else "reverted"."""
    data = _revert_bytes(exc)
    abis = [artifact(n)["abi"] for n in ("MerkleDistributor", "DatasetRegistry", "DataMarket")]
    for item in (item for abi in abis for item in abi):
        if item["type"] != "error":
            continue
        types = ",".join(i["type"] for i in item["inputs"])
        if data[:4] == keccak(text=f"{item['name']}({types})")[:4]:
            return item["name"]
    return "reverted"


def live_tx(label: str) -> ChainTx | None:
    """The stored, not reverted or dropped transaction with ``label`` on this network, if any."""
    return (
        ChainTx.objects.filter(network=get().network, label=label)
        .exclude(status__in=ChainTx.DEAD)
        .first()
    )


def _follow_existing(tx: ChainTx, record: Callable[[ChainTx], None] | None) -> ChainTx:
    if record is not None:
        with transaction.atomic():
            record(tx)
    return progress(tx)


def submit(
    *,
    label: str,
    purpose: str,
    to: str | None,
    data: str,
    record: Callable[[ChainTx], None] | None = None,
) -> ChainTx:
    """Sign, store, then broadcast one transaction; return its ChainTx.

    Idempotent per ``label``: if a non-reverted transaction with this label exists,
    that one is returned (and nudged along) instead of signing another.
    ``record(tx)`` runs in the DB transaction that stores the signed tx (or finds
    the existing one), before anything is broadcast: the caller links its row to
    the hash in the same commit.
    Raises ChainUnavailable when the node cannot be reached before signing (nothing
    stored), ChainReverted when the node says the call would revert.
    """
    if in_transaction():
        raise RuntimeError("never call the chain inside a database transaction")
    c = get()
    existing = live_tx(label)
    if existing is not None:
        return _follow_existing(existing, record)
    fields = {"from": c.address, "data": data, "value": 0}
    if to:
        fields["to"] = to_checksum_address(to)
    try:
        pending_nonce = c.w3.eth.get_transaction_count(c.address, "pending")
        gas = int(c.w3.eth.estimate_gas(fields) * 1.25) + 10_000
        gas_price = max(int(c.w3.eth.gas_price), 1) * 2
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    except REVERTS as exc:
        # Another process may have signed, sent and mined this very transaction
        # since we looked (an operator's action racing a worker's pass): the
        # call then reverts because it is done. Follow that one instead.
        existing = live_tx(label)
        if existing is not None:
            return _follow_existing(existing, record)
        raise ChainReverted(_decode_revert(exc), str(exc)) from exc
    now = timezone.now()
    with transaction.atomic():
        cursor, _ = NonceCursor.objects.get_or_create(network=c.network, address=c.address)
        # The one nonce manager: every sender's nonce is taken under this row
        # lock, so two workers can never sign two different transactions with
        # the same nonce (one of which the node would drop, or worse, both pay).
        cursor = NonceCursor.objects.select_for_update().get(pk=cursor.pk)
        again = ChainTx.objects.filter(network=c.network, label=label).exclude(
            status__in=ChainTx.DEAD
        )
        if again.exists():  # another worker signed it while we were estimating
            tx = again.first()
        else:
            nonce = max(cursor.next_nonce, pending_nonce)
            signed = c.account.sign_transaction(
                {
                    **({"to": fields["to"]} if to else {}),
                    "data": data,
                    "value": 0,
                    "gas": gas,
                    "gasPrice": gas_price,
                    "nonce": nonce,
                    "chainId": c.chain_id,
                }
            )
            tx = ChainTx.objects.create(
                network=c.network,
                sender=c.address,
                nonce=nonce,
                tx_hash=hexstr(signed.hash),
                raw=hexstr(signed.raw_transaction),
                purpose=purpose,
                label=label,
                created_at=now,
                updated_at=now,
            )
            cursor.next_nonce = nonce + 1
            cursor.save(update_fields=["next_nonce"])
        if record is not None:
            record(tx)
    return broadcast(tx)


def _mark(tx: ChainTx, **fields) -> ChainTx:
    fields["updated_at"] = timezone.now()
    # Dropped is final: its nonce may already carry another transaction, so a
    # worker that was still broadcasting the old bytes must not bring it back.
    if ChainTx.objects.filter(pk=tx.pk).exclude(status=ChainTx.Status.DROPPED).update(**fields):
        for key, value in fields.items():
            setattr(tx, key, value)
    else:
        tx.refresh_from_db()
    return tx


def _known_to_node(c: Chain, tx: ChainTx) -> bool:
    try:
        c.w3.eth.get_transaction(tx.tx_hash)
        return True
    except TransactionNotFound:
        return False


def broadcast(tx: ChainTx) -> ChainTx:
    """Send the stored signed bytes. A failure to reach the node leaves the tx SIGNED."""
    c = get()
    try:
        if _known_to_node(c, tx):
            return _mark(tx, status=ChainTx.Status.SENT, attempts=tx.attempts + 1)
        c.w3.eth.send_raw_transaction(tx.raw)
    except UNREACHABLE as exc:
        log.warning("broadcast of %s failed, will retry: %s", tx.tx_hash, exc)
        return _mark(tx, attempts=tx.attempts + 1, last_error=f"unreachable: {exc}"[:300])
    except (Web3RPCError, ValueError, TesterRefused, EvmRefused) as exc:
        # "already known", "nonce too low": the node may hold or have mined it already
        # (two workers can look the same stored tx up and re-send it at once).
        try:
            if _known_to_node(c, tx):
                return _mark(tx, status=ChainTx.Status.SENT, attempts=tx.attempts + 1)
        except UNREACHABLE:
            pass
        log.warning("broadcast of %s refused: %s", tx.tx_hash, exc)
        return _mark(tx, attempts=tx.attempts + 1, last_error=f"refused: {exc}"[:300])
    return _mark(tx, status=ChainTx.Status.SENT, attempts=tx.attempts + 1, last_error="")


def _receipt(c: Chain, tx_hash: str):
    try:
        return c.w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def progress(tx: ChainTx, *, confirmations: int | None = None) -> ChainTx:
    """Move a stored transaction on: look it up, re-broadcast if unknown, count confirmations."""
    if tx.status in (ChainTx.Status.CONFIRMED, *ChainTx.DEAD):
        return tx
    needed = max(1, confirmations or settings.CHAIN_CONFIRMATIONS)
    c = get()
    try:
        receipt = _receipt(c, tx.tx_hash)
        # Our nonce may have been spent by another transaction (a node that came
        # back from an older state took a re-signed one): these bytes can never
        # be mined. The receipt is read again after the count, in case it was
        # our own transaction that was mined in between.
        if (
            receipt is None
            and tx.sender == c.address
            and not _known_to_node(c, tx)
            and c.w3.eth.get_transaction_count(c.address, "latest") > tx.nonce
        ):
            receipt = _receipt(c, tx.tx_hash)
            if receipt is None:
                log.warning("tx %s dropped: nonce %s was spent", tx.tx_hash, tx.nonce)
                return _mark(tx, status=ChainTx.Status.DROPPED, last_error="nonce spent elsewhere")
        if receipt is None:
            # Looked up first; only a node that has never seen it gets it again.
            return broadcast(tx)
        head = c.w3.eth.block_number
    except UNREACHABLE as exc:
        return _mark(tx, last_error=f"unreachable: {exc}"[:300])
    seen = head - receipt["blockNumber"] + 1
    fields = {
        "block_number": receipt["blockNumber"],
        "gas_used": receipt["gasUsed"],
        "contract_address": receipt.get("contractAddress") or "",
        "last_error": "",
    }
    if seen >= needed:
        ok = receipt["status"] == 1
        fields["status"] = ChainTx.Status.CONFIRMED if ok else ChainTx.Status.REVERTED
        if not ok:
            fields["last_error"] = "reverted on chain"
    else:
        fields["status"] = ChainTx.Status.MINED
    return _mark(tx, **fields)


# --- a node that comes back behind the database ----------------------------------


def txs_recheck(*, window: int) -> list[ChainTx]:
    """Look our transactions of the last ``window`` blocks up again; return those the chain lost.

    A node restored from an older state (or a reorg) no longer has what it once
    mined. A lost transaction whose signed bytes we hold goes back to SIGNED, so
    that ``progress`` sends the same bytes again: same nonce, same hash, it
    cannot pay twice. One that had reverted, or that we did not sign, is dropped
    instead (its nonce released): a decision was taken on its revert, and
    sending it again could now succeed and undo it.
    """
    if in_transaction():
        raise RuntimeError("never call the chain inside a database transaction")
    c = get()
    lost = []
    try:
        head = c.w3.eth.block_number
        recent = ChainTx.objects.filter(
            network=c.network,
            status__in=(ChainTx.Status.CONFIRMED, ChainTx.Status.REVERTED),
            block_number__gt=head - max(1, window),
        ).order_by("nonce")
        for tx in recent:
            receipt = _receipt(c, tx.tx_hash)
            if receipt is not None:
                if receipt["blockNumber"] != tx.block_number and tx.status != "reverted":
                    # Mined again in another block: its confirmations count anew.
                    _mark(tx, status=ChainTx.Status.MINED, block_number=receipt["blockNumber"])
                continue
            log.warning(
                "the chain no longer has %s %s (block %s)", tx.purpose, tx.tx_hash, tx.block_number
            )
            if tx.status == ChainTx.Status.REVERTED or not tx.raw or tx.sender != c.address:
                lost.append(
                    _mark(tx, status=ChainTx.Status.DROPPED, last_error="lost by the chain")
                )
            else:
                lost.append(
                    _mark(
                        tx,
                        status=ChainTx.Status.SIGNED,
                        block_number=None,
                        gas_used=None,
                        last_error="lost by the chain, sent again",
                    )
                )
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    return lost


def head() -> int:
    """The node's latest block number."""
    try:
        return int(get().w3.eth.block_number)
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc


def succeeded_in(tx_hash: str) -> int | None:
    """The block in which ``tx_hash`` succeeded on the chain as it is now, else None."""
    try:
        receipt = _receipt(get(), tx_hash)
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    if receipt is None or receipt["status"] != 1:
        return None
    return int(receipt["blockNumber"])


def nonce_gap_close() -> int | None:
    """Move the nonce cursor back to the node's own count if nothing we hold fills the gap.

    The cursor runs ahead of the node when the node lost transactions it had
    mined. Lost transactions we can send again fill the gap themselves (see
    ``txs_recheck``); but if the node's next nonce is not one we hold, every
    transaction signed above it waits in the node's queue forever. Then those
    are dropped and the next transaction is signed at the node's count.
    Returns the new next nonce, or None when nothing moved.
    """
    if in_transaction():
        raise RuntimeError("never call the chain inside a database transaction")
    c = get()
    try:
        pending = c.w3.eth.get_transaction_count(c.address, "pending")
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    with transaction.atomic():
        cursor = (
            NonceCursor.objects.select_for_update()
            .filter(network=c.network, address=c.address)
            .first()
        )
        if cursor is None or cursor.next_nonce <= pending:
            return None
        waiting = ChainTx.objects.filter(
            network=c.network, sender=c.address, nonce__gte=pending, status__in=ChainTx.OPEN
        )
        first = waiting.order_by("nonce").first()
        if first is not None and first.nonce == pending:
            return None  # the node's next nonce is a stored transaction: progress sends it
        stuck = list(waiting.values_list("tx_hash", flat=True))
        waiting.update(
            status=ChainTx.Status.DROPPED,
            last_error="behind a nonce gap the node does not hold",
            updated_at=timezone.now(),
        )
        log.warning("nonce gap: cursor %s, node %s; dropped %s", cursor.next_nonce, pending, stuck)
        cursor.next_nonce = pending
        cursor.save(update_fields=["next_nonce"])
    return pending


# --- pre-release commitments ----------------------------------------------------


def commit_call(*, digest: str) -> tuple[str, str]:
    """(to, data) of a commitment's record: a zero-value transaction from the
    service's signer to itself whose input is exactly the 32-byte digest.

    No contract is needed to anchor 32 bytes: the transaction's sender, input and
    block are the record, and anyone with the hash can read them back.
    """
    raw = bytes.fromhex(digest.removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError("a commitment digest is 32 bytes")
    return get().address, hexstr(raw)


@dataclass(frozen=True)
class CommitmentRecord:
    tx_hash: str
    sender: str
    to: str
    data: str
    block_number: int | None
    succeeded: bool


def commitment_record_onchain(*, tx_hash: str) -> CommitmentRecord | None:
    """What the chain this process reads holds under ``tx_hash`` (None: nothing). Reads only."""
    c = get()
    try:
        try:
            sent = c.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return None
        receipt = _receipt(c, tx_hash)
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    return CommitmentRecord(
        tx_hash=hexstr(sent["hash"]),
        sender=to_checksum_address(sent["from"]),
        to=to_checksum_address(sent["to"]) if sent.get("to") else "",
        data=hexstr(sent["input"]),
        block_number=int(receipt["blockNumber"]) if receipt is not None else None,
        succeeded=receipt is not None and receipt["status"] == 1,
    )


def network() -> str:
    """The network key of the chain this process talks to."""
    return get().network


# --- distributor -----------------------------------------------------------------


def publish_call(*, root: str, epoch: int) -> tuple[str, str]:
    """(to, data) of ``publishRoot(root, epoch)``."""
    d = distributor()
    return d.address, d.encode_abi("publishRoot", args=[root, epoch])


def recorded_deployment(c: Chain | None = None) -> ChainDeployment | None:
    """The contracts recorded for this process's network, if any; never deploys."""
    c = c or get()
    cached = _deployments.get(c.network)
    if cached is not None:
        return cached
    return ChainDeployment.objects.filter(network=c.network).exclude(distributor_address="").first()


def claim_call(
    *, account: str, cumulative_points: int, proof: list[str], deploy: bool = True
) -> tuple[str, str]:
    """(to, data) of ``claim(account, cumulativeAmount, proof)``; amounts in base units.

    ``deploy=False`` (a read, e.g. for a GET) raises WrongChain instead of
    deploying contracts on a chain that has none recorded.
    """
    c = get()
    if deploy:
        d = distributor(c)
    else:
        dep = recorded_deployment(c)
        if dep is None:
            raise WrongChain(f"no reward contracts are recorded for {c.network}")
        d = _contract(c, "MerkleDistributor", dep.distributor_address)
    args = [to_checksum_address(account), cumulative_points * UNITS_PER_POINT, proof]
    return d.address, d.encode_abi("claim", args=args)


def claimed_points(account: str) -> int:
    try:
        units = distributor().functions.claimed(to_checksum_address(account)).call()
    except UNREACHABLE as exc:
        raise ChainUnavailable(str(exc)) from exc
    return units // UNITS_PER_POINT


def token_balance(account: str) -> int:
    """Token base units held by ``account``."""
    try:
        return token().functions.balanceOf(to_checksum_address(account)).call()
    except UNREACHABLE as exc:
        raise ChainUnavailable(str(exc)) from exc


def onchain_root() -> tuple[str, int]:
    d = distributor()
    try:
        return hexstr(d.functions.merkleRoot().call()), int(d.functions.epoch().call())
    except UNREACHABLE as exc:
        raise ChainUnavailable(str(exc)) from exc


@dataclass(frozen=True)
class RootPublication:
    tx_hash: str
    block_number: int
    sender: str
    nonce: int


def root_publication(*, epoch: int, root: str) -> RootPublication | None:
    """Where ``root`` was published as ``epoch`` on chain (a RootPublished event), if it was.

    The distributor's state is checked first (``epoch()`` and ``merkleRoot()``);
    the event log then says whether an older root of ours was ever live.
    """
    c = get()
    dep = deployment(c)
    try:
        current_root, current_epoch = onchain_root()
        if current_epoch < epoch:
            return None
        logs = distributor(c).events.RootPublished.get_logs(
            from_block=max(dep.deployed_block, 0), argument_filters={"epoch": epoch}
        )
        found = next((e for e in logs if hexstr(e["args"]["root"]) == root), None)
        if found is None:
            if current_epoch == epoch and current_root == root:
                # The state says it is live even if the node served no log for it.
                return RootPublication(tx_hash="", block_number=0, sender="", nonce=-1)
            return None
        tx_hash = hexstr(found["transactionHash"])
        sent = c.w3.eth.get_transaction(tx_hash)
    except UNREACHABLE as exc:
        raise ChainUnavailable(str(exc)) from exc
    return RootPublication(
        tx_hash=tx_hash,
        block_number=int(found["blockNumber"]),
        sender=to_checksum_address(sent["from"]),
        nonce=int(sent["nonce"]),
    )


class WrongChain(Exception):
    """The chain this process reads is not the one an epoch was published on."""


def epoch_root_onchain(*, network: str, epoch: int) -> tuple[str, int]:
    """The root that ``network``'s distributor holds for ``epoch``, and its current epoch.

    Reads only: nothing is deployed or recorded (``deployment()`` would deploy
    a fresh pair on an empty chain). Raises WrongChain, with the reason in plain
    words, when the chain this process reads is not ``network``, holds no
    contract at the recorded address, or never reached ``epoch``.
    """
    c = get()
    if c.network != network:
        if c.embedded:
            raise WrongChain(
                f"this process runs its own, new in-process EVM ({c.network}), not the chain "
                f"epoch {epoch} was published on ({network}): an in-process chain lives only "
                "in the server that published it. Set CHAIN_RPC_URL to verify on a real node."
            )
        raise WrongChain(
            f"the node at CHAIN_RPC_URL is {c.network}, "
            f"but epoch {epoch} was published on {network}"
        )
    dep = ChainDeployment.objects.filter(network=network).first()
    if dep is None or not dep.distributor_address:
        raise WrongChain(f"no reward contracts are recorded for {network}")
    try:
        node_chain_id = int(c.w3.eth.chain_id)
        if node_chain_id != dep.chain_id:
            raise WrongChain(
                f"the node reports chain id {node_chain_id}; the contracts of {network} "
                f"are on chain id {dep.chain_id}"
            )
        if not bytes(c.w3.eth.get_code(to_checksum_address(dep.distributor_address))):
            raise WrongChain(
                f"there is no contract at the distributor address {dep.distributor_address} "
                "on the chain this node serves (a different or reset chain)"
            )
        d = _contract(c, "MerkleDistributor", dep.distributor_address)
        current_epoch = int(d.functions.epoch().call())
        if current_epoch == epoch:
            return hexstr(d.functions.merkleRoot().call()), current_epoch
        if current_epoch < epoch:
            raise WrongChain(
                f"the distributor on this chain is at epoch {current_epoch}: "
                f"epoch {epoch} was never published here"
            )
        logs = d.events.RootPublished.get_logs(
            from_block=max(dep.deployed_block, 0), argument_filters={"epoch": epoch}
        )
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    if not logs:
        raise WrongChain(f"this chain holds no publication of epoch {epoch}")
    return hexstr(logs[-1]["args"]["root"]), current_epoch


def _confirmed_logs(event_of, *, from_block: int, confirmations, rescan: int, floor: int):
    """(logs of the event ``event_of(chain)`` with enough confirmations, last block read).

    From ``from_block`` on; the last ``rescan`` blocks are read again even if
    ``from_block`` is past them (never below ``floor``): a node that lost blocks, or
    a reorg, puts events back into blocks a cursor had passed.
    """
    needed = max(1, confirmations or settings.CHAIN_CONFIRMATIONS)
    c = get()
    try:
        head = c.w3.eth.block_number
        end = head - needed + 1
        start = max(floor, min(from_block, end - rescan + 1))
        if end < start:
            return [], max(floor - 1, min(from_block - 1, end))
        return event_of(c).get_logs(from_block=start, to_block=end), end
    except UNREACHABLE as exc:
        raise ChainUnavailable(str(exc)) from exc


@dataclass(frozen=True)
class ClaimedEvent:
    account: str
    amount_units: int
    cumulative_units: int
    epoch: int
    tx_hash: str
    block_number: int


def claimed_events(
    *, from_block: int, confirmations: int | None = None, rescan: int = 0, floor: int = 0
) -> tuple[list[ClaimedEvent], int]:
    """Claimed events with enough confirmations from ``from_block`` on: (events, last block read).

    The last ``rescan`` blocks are read again even if ``from_block`` is past
    them (never below ``floor``): a node that lost blocks, or a reorg, puts
    claims back into blocks the cursor had passed.
    The caller records the last block as its scan cursor once the events are booked.
    """
    logs, end = _confirmed_logs(
        lambda c: distributor(c).events.Claimed,
        from_block=from_block,
        confirmations=confirmations,
        rescan=rescan,
        floor=floor,
    )
    events = [
        ClaimedEvent(
            account=to_checksum_address(e["args"]["account"]),
            amount_units=int(e["args"]["amount"]),
            cumulative_units=int(e["args"]["cumulativeAmount"]),
            epoch=int(e["args"]["epoch"]),
            tx_hash=hexstr(e["transactionHash"]),
            block_number=int(e["blockNumber"]),
        )
        for e in logs
    ]
    return events, end


def mine(blocks: int = 1) -> None:
    """Produce empty blocks (in-process EVM or anvil/hardhat): tests and the demo."""
    c = get()
    if c.embedded:
        c.w3.testing.mine(blocks)
    else:
        for _ in range(blocks):
            c.w3.provider.make_request("evm_mine", [])


# --- dataset registry (the data market) ------------------------------------------


def _deploy_registry(c: Chain, row: ChainDeployment) -> ChainDeployment:
    art = artifact("DatasetRegistry")
    reg = c.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    data = reg.constructor(c.address, c.address).data_in_transaction
    tx = _wait_confirmed(submit(label="deploy:registry", purpose="deploy", to=None, data=data))
    ChainDeployment.objects.filter(pk=row.pk, registry_address="").update(
        registry_address=tx.contract_address
    )
    row.refresh_from_db()
    return row


def registry_address(c: Chain | None = None) -> str:
    """The DatasetRegistry on this network: CHAIN_REGISTRY_ADDRESS, else deployed on first use.

    Deployed apart from the reward pair (a network whose reward contracts were
    deployed before the market existed gets its registry later), resumable like
    them: the deployment is a ChainTx labelled ``deploy:registry``.
    """
    c = c or get()
    row = deployment(c)
    if not row.registry_address:
        row.refresh_from_db()  # the cached row may predate another process's deployment
    if not row.registry_address and settings.CHAIN_REGISTRY_ADDRESS:
        ChainDeployment.objects.filter(pk=row.pk, registry_address="").update(
            registry_address=to_checksum_address(settings.CHAIN_REGISTRY_ADDRESS)
        )
        row.refresh_from_db()
    if not row.registry_address:
        row = _deploy_registry(c, row)
    _deployments[c.network] = row
    return row.registry_address


def registry(c: Chain | None = None):
    c = c or get()
    return _contract(c, "DatasetRegistry", registry_address(c))


def register_call(
    *, dataset: int, version: int, root: str, metadata_hash: str, rows: int
) -> tuple[str, str]:
    """(to, data) of ``register(dataset, version, root, metadataHash, rowCount)``."""
    r = registry()
    return r.address, r.encode_abi("register", args=[dataset, version, root, metadata_hash, rows])


@dataclass(frozen=True)
class RegisteredVersion:
    root: str
    metadata_hash: str
    rows: int
    registered_at: int


def registered_version(*, dataset: int, version: int) -> RegisteredVersion | None:
    """What the registry on this chain holds for (dataset, version); None if nothing.

    Reads only: raises WrongChain when this network has no registry recorded
    (nothing is deployed to answer a read).
    """
    c = get()
    recorded = ChainDeployment.objects.filter(network=c.network).values_list(
        "registry_address", flat=True
    )
    address = next(iter(recorded), "") or settings.CHAIN_REGISTRY_ADDRESS
    if not address:
        raise WrongChain(f"no dataset registry is recorded for {c.network}")
    try:
        if not bytes(c.w3.eth.get_code(to_checksum_address(address))):
            raise WrongChain(f"there is no contract at the registry address {address}")
        root, metadata_hash, rows, at = (
            _contract(c, "DatasetRegistry", address).functions.versionOf(dataset, version).call()
        )
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    if bytes(root) == bytes(32):
        return None
    return RegisteredVersion(
        root=hexstr(root),
        metadata_hash=hexstr(metadata_hash),
        rows=int(rows),
        registered_at=int(at),
    )


# --- data market payments -------------------------------------------------------


def _deploy_market(c: Chain, row: ChainDeployment) -> ChainDeployment:
    """The payment token (unless a stablecoin is configured) and the DataMarket contract.

    Resumable like the reward pair: each step is a labelled ChainTx, so a crash
    mid-way picks up the stored transaction instead of deploying twice.
    """
    token_address = row.payment_token_address or (
        to_checksum_address(settings.CHAIN_PAYMENT_TOKEN_ADDRESS)
        if settings.CHAIN_PAYMENT_TOKEN_ADDRESS
        else ""
    )
    if not token_address:
        art = artifact("PaymentToken")
        tok = c.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        data = tok.constructor(c.address).data_in_transaction
        tx = _wait_confirmed(
            submit(label="deploy:payment-token", purpose="deploy", to=None, data=data)
        )
        token_address = tx.contract_address
    ChainDeployment.objects.filter(pk=row.pk, payment_token_address="").update(
        payment_token_address=token_address
    )
    treasury = to_checksum_address(settings.CHAIN_MARKET_TREASURY or c.address)
    art = artifact("DataMarket")
    market = c.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    data = market.constructor(token_address, treasury, c.address, c.address).data_in_transaction
    tx = _wait_confirmed(submit(label="deploy:market", purpose="deploy", to=None, data=data))
    ChainDeployment.objects.filter(pk=row.pk, market_address="").update(
        market_address=tx.contract_address,
        market_deployed_block=tx.block_number or 0,
        market_scanned_block=(tx.block_number or 0) - 1,
    )
    row.refresh_from_db()
    return row


def market_deployment(c: Chain | None = None) -> ChainDeployment:
    """This network's deployment row with the market's addresses (deployed on first use)."""
    c = c or get()
    row = deployment(c)
    if not row.market_address:
        row.refresh_from_db()
    if not row.market_address and settings.CHAIN_MARKET_ADDRESS:
        address = to_checksum_address(settings.CHAIN_MARKET_ADDRESS)
        try:
            token_address = _contract(c, "DataMarket", address).functions.paymentToken().call()
            head = c.w3.eth.block_number
        except UNREACHABLE as exc:
            raise ChainUnavailable(f"node unreachable: {exc}") from exc
        ChainDeployment.objects.filter(pk=row.pk, market_address="").update(
            market_address=address,
            payment_token_address=to_checksum_address(token_address),
            market_deployed_block=head,
            market_scanned_block=head - 1,
        )
        row.refresh_from_db()
    if not row.market_address:
        row = _deploy_market(c, row)
    _deployments[c.network] = row
    return row


def market(c: Chain | None = None):
    c = c or get()
    return _contract(c, "DataMarket", market_deployment(c).market_address)


def payment_token(c: Chain | None = None):
    """The ERC-20 buyers pay in (its ``transfer``/``approve``/``balanceOf`` are standard)."""
    c = c or get()
    return _contract(c, "PaymentToken", market_deployment(c).payment_token_address)


@dataclass(frozen=True)
class PaymentTokenInfo:
    address: str
    symbol: str
    decimals: int
    market: str
    treasury: str
    mintable: bool  # our test dollar: the platform can mint it for buyers to try


def payment_token_info() -> PaymentTokenInfo:
    c = get()
    row = market_deployment(c)
    try:
        tok = payment_token(c)
        symbol = tok.functions.symbol().call()
        decimals = int(tok.functions.decimals().call())
        treasury = _contract(c, "DataMarket", row.market_address).functions.treasury().call()
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
    return PaymentTokenInfo(
        address=row.payment_token_address,
        symbol=symbol,
        decimals=decimals,
        market=row.market_address,
        treasury=to_checksum_address(treasury),
        mintable=not settings.CHAIN_PAYMENT_TOKEN_ADDRESS,
    )


def purchase_quote(
    *, order_id: str, buyer: str, dataset: int, version: int, amount: int, deadline: int
) -> str:
    """The platform's signature over a purchase quote (see DataMarket.quoteDigest)."""
    from eth_abi import encode
    from eth_account.messages import encode_defunct

    c = get()
    inner = keccak(
        encode(
            ["uint256", "address", "bytes32", "address", "uint256", "uint256", "uint256", "uint64"],
            [
                c.chain_id,
                to_checksum_address(market_deployment(c).market_address),
                bytes.fromhex(order_id.removeprefix("0x")),
                to_checksum_address(buyer),
                dataset,
                version,
                amount,
                deadline,
            ],
        )
    )
    signed = c.account.sign_message(encode_defunct(primitive=inner))
    return hexstr(signed.signature)


def purchase_calls(
    *,
    order_id: str,
    dataset: int,
    version: int,
    amount: int,
    deadline: int,
    quote: str,
) -> list[dict]:
    """The buyer wallet's two calls: approve the market for ``amount``, then purchase."""
    c = get()
    tok, mkt = payment_token(c), market(c)
    return [
        {"to": tok.address, "data": tok.encode_abi("approve", args=[mkt.address, amount])},
        {
            "to": mkt.address,
            "data": mkt.encode_abi(
                "purchase",
                args=[
                    bytes.fromhex(order_id.removeprefix("0x")),
                    dataset,
                    version,
                    amount,
                    deadline,
                    bytes.fromhex(quote.removeprefix("0x")),
                ],
            ),
        },
    ]


def block_time() -> int:
    """The timestamp of the latest block (quotes expire on the chain's clock)."""
    try:
        return int(get().w3.eth.get_block("latest")["timestamp"])
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc


@dataclass(frozen=True)
class PurchasedEvent:
    order_id: str
    buyer: str
    dataset: int
    version: int
    amount: int
    tx_hash: str
    log_index: int
    block_number: int


def purchased_events(
    *, from_block: int, confirmations: int | None = None, rescan: int = 0, floor: int = 0
) -> tuple[list[PurchasedEvent], int]:
    """Purchased events with enough confirmations from ``from_block`` on (like
    ``claimed_events``): (events, last block read)."""
    logs, end = _confirmed_logs(
        lambda c: market(c).events.Purchased,
        from_block=from_block,
        confirmations=confirmations,
        rescan=rescan,
        floor=floor,
    )
    return [
        PurchasedEvent(
            order_id=hexstr(e["args"]["orderId"]),
            buyer=to_checksum_address(e["args"]["buyer"]),
            dataset=int(e["args"]["dataset"]),
            version=int(e["args"]["version"]),
            amount=int(e["args"]["amount"]),
            tx_hash=hexstr(e["transactionHash"]),
            log_index=int(e["logIndex"]),
            block_number=int(e["blockNumber"]),
        )
        for e in logs
    ], end


def payment_token_mint(*, to: str, amount: int, label: str) -> ChainTx:
    """Mint test dollars to a buyer (only where the payment token is ours)."""
    if settings.CHAIN_PAYMENT_TOKEN_ADDRESS:
        raise ChainReverted("not_mintable", "the payment token is a real stablecoin")
    tok = payment_token()
    data = tok.encode_abi("mint", args=[to_checksum_address(to), amount])
    return submit(label=label, purpose=ChainTx.Purpose.FAUCET, to=tok.address, data=data)


def payment_token_balance(address: str) -> int:
    try:
        return int(payment_token().functions.balanceOf(to_checksum_address(address)).call())
    except UNREACHABLE as exc:
        raise ChainUnavailable(f"node unreachable: {exc}") from exc
