"""Payout epochs, gasless claims and settlement: the worker's steps.

Each step follows the same shape, so that the chain is never called inside a DB
transaction and a crash anywhere loses nothing:

1. a short DB transaction claims the work and records the intent
   (rows claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` or a conditional
   UPDATE whose row count says who got there first);
2. the chain call, outside any transaction (``rewards.chain`` stores the signed
   transaction before broadcasting it);
3. a short DB transaction records the result.

``worker_tick`` runs every step once; ``manage.py rewards_worker`` loops over it,
and with the in-process EVM the rewards POSTs that act (redeem, claim) call it
on demand. A GET never does: the step sends chain transactions.
"""

import logging
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from datafi.api import ApiError
from datafi.events import send_on_commit
from rewards import chain
from rewards.merkle import UNITS_PER_POINT, MerkleTree
from rewards.models import (
    ChainDeployment,
    ChainTx,
    ClaimRequest,
    Epoch,
    EpochLeaf,
    Redemption,
)
from rewards.services import ledger
from rewards.services.commitments import commitments_send_pending
from rewards.services.redemptions import (
    redemption_reopen_locked,
    redemption_settle_locked,
    redemptions_fail_epoch_locked,
)

log = logging.getLogger(__name__)


def _skip_locked(qs):
    # SQLite has no row locks (its writers are serialised by the database lock).
    return qs.select_for_update(skip_locked=True) if connection.vendor == "postgresql" else qs


def _latest_published_leaves(network: str) -> dict[str, int]:
    # Each network's distributor keeps its own record of what it paid: the amounts
    # carried forward are that network's. (Carrying another network's amounts made
    # a new distributor, which had paid nothing, pay them again.)
    latest = (
        Epoch.objects.filter(status=Epoch.Status.PUBLISHED, network=network)
        .order_by("-number")
        .first()
    )
    if latest is None:
        return {}
    return dict(latest.leaves.values_list("address", "cumulative_points"))


def _notify_users(user_ids) -> None:
    for user_id in set(user_ids):
        send_on_commit(ledger.user_group(user_id), {"type": "rewards.changed"})


def _epochs_lock(network: str) -> None:
    """One builder or reopener of epochs at a time (the deployment's row lock).

    Two builders, each with its own SKIP LOCKED share of the pending redemptions
    (one that landed while the first was building), took the same epoch number
    and the second failed; a reopen committing between a builder's in-flight
    check and its insert made the insert fail. Waiting here, the second finds
    the first's epoch in flight.
    """
    ChainDeployment.objects.select_for_update().filter(network=network).first()


@transaction.atomic(durable=True)
def epoch_build(*, now=None) -> Epoch | None:
    """Gather pending redemptions into a new epoch (or return the one in flight).

    The tree holds every wallet's cumulative payout on this network: its previous
    published epoch's amounts plus this epoch's redemptions.
    """
    now = now or timezone.now()
    network = chain.get().network
    _epochs_lock(network)
    # One epoch in flight at a time, on any network (a database constraint).
    in_flight = Epoch.objects.filter(status=Epoch.Status.PUBLISHING).first()
    if in_flight is not None:
        return in_flight
    last = Epoch.objects.order_by("-number").first()
    interval = timedelta(seconds=settings.REWARD_EPOCH_INTERVAL)
    if last is not None and interval and last.created_at > now - interval:
        return None
    pending = list(
        _skip_locked(Redemption.objects.filter(status=Redemption.Status.PENDING)).order_by(
            "created_at", "id"
        )
    )
    if not pending:
        return None
    cumulative = defaultdict(int, _latest_published_leaves(network))
    for redemption in pending:
        cumulative[redemption.address] += redemption.points
    tree = MerkleTree((address, pts * UNITS_PER_POINT) for address, pts in cumulative.items())
    number = (Epoch.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    epoch = Epoch.objects.create(
        number=number,
        network=network,
        root=tree.root(),
        dump=tree.dump(),
        created_at=now,
    )
    EpochLeaf.objects.bulk_create(
        EpochLeaf(epoch=epoch, address=address, cumulative_points=pts)
        for address, pts in sorted(cumulative.items())
    )
    for redemption in pending:
        moved = Redemption.objects.filter(
            pk=redemption.pk, status=Redemption.Status.PENDING
        ).update(
            status=Redemption.Status.PUBLISHING,
            epoch=epoch,
            leaf_cumulative_points=cumulative[redemption.address],
            updated_at=now,
        )
        if moved != 1:  # cannot happen under the row lock; refuse to publish a wrong tree
            raise RuntimeError(f"redemption {redemption.pk} changed while building an epoch")
    _notify_users(r.user_id for r in pending)
    return epoch


# How long a worker's claim on sending an epoch's publication lasts. It only has
# to outlive one gas estimate and one signature; a worker that dies holding it
# delays the epoch by this much and never makes it pay twice.
PUBLISH_CLAIM = timedelta(minutes=5)


def _publish_label(epoch: Epoch) -> str:
    return f"publish:{epoch.number}"


def _epoch_claim_publication(epoch: Epoch, *, now) -> str | None:
    """Take the right to send ``epoch``'s publication; a token, or None if another worker has it."""
    token = uuid.uuid4().hex
    claimed = (
        Epoch.objects.filter(pk=epoch.pk, status=Epoch.Status.PUBLISHING, chain_tx__isnull=True)
        .filter(Q(publish_claimed_at__isnull=True) | Q(publish_claimed_at__lt=now - PUBLISH_CLAIM))
        .update(publish_owner=token, publish_claimed_at=now)
    )
    return token if claimed == 1 else None


def _epoch_link(epoch: Epoch, tx: ChainTx, *, replacing: int | None = None) -> bool:
    """Point ``epoch``, still in flight, at its publication ``tx`` (if it still points
    at ``replacing``)."""
    return bool(
        Epoch.objects.filter(
            pk=epoch.pk, status=Epoch.Status.PUBLISHING, chain_tx=replacing
        ).update(chain_tx=tx)
    )


class _NotInFlight(Exception):
    """The epoch a worker was about to send is no longer its to send."""


def epoch_publish(epoch: Epoch) -> Epoch:
    """Send (or resume) the root publication of ``epoch``; never inside a transaction."""
    epoch.refresh_from_db()
    if epoch.status != Epoch.Status.PUBLISHING:
        return epoch
    if epoch.network != chain.get().network:
        return _epoch_other_network(epoch)
    if epoch.chain_tx_id is not None and epoch.chain_tx.status == ChainTx.Status.DROPPED:
        _epoch_unlink_dropped(epoch)
    if epoch.chain_tx_id is None:
        # There's a possible race where several workers see the in-flight epoch with
        # no publication tx yet: worker A signs, sends and mines publish:N while
        # worker B, past its "no tx yet" check, estimates gas for the same call. B's
        # estimate reverts (EpochNotIncreasing) and B used to fail the epoch and
        # return its points while the root was live on chain: paid twice. So one
        # worker owns the send (a conditional UPDATE whose row count says who got
        # there first), and holds it until the signed tx is linked to the epoch,
        # which ``submit`` does in the same commit that stores the tx, before the
        # broadcast. The others only follow ``chain_tx`` once it is there.
        token = _epoch_claim_publication(epoch, now=timezone.now())
        if token is None:
            epoch.refresh_from_db()
            if epoch.chain_tx_id is None:
                return epoch  # another worker got there first and is sending it
        else:
            try:
                _epoch_send(epoch, owner=token)
            finally:
                Epoch.objects.filter(pk=epoch.pk, publish_owner=token).update(
                    publish_owner="", publish_claimed_at=None
                )
            epoch.refresh_from_db()
            if epoch.status != Epoch.Status.PUBLISHING or epoch.chain_tx_id is None:
                return epoch
    return _epoch_follow(epoch)


def _epoch_other_network(epoch: Epoch) -> Epoch:
    """An epoch in flight for a network this worker no longer reads (payouts moved).

    Its root is never sent here: this network's distributor would pay the old
    network's amounts again. Never sent at all, it fails and its redemptions'
    points go back to their owners, who may redeem them on this network. Sent
    on its own network, it may be mined there: it stays in flight (and keeps
    new epochs waiting) until a worker on that network finishes it.
    """
    token = _epoch_claim_publication(epoch, now=timezone.now())
    if token is not None:  # nobody is sending it, and no transaction was ever linked
        return _epoch_failed(
            epoch,
            f"payouts moved to {chain.get().network} before its root was sent to {epoch.network}",
            owner=token,
        )
    return epoch


def _epoch_record(epoch: Epoch, tx: ChainTx) -> None:
    """Link the signed publication before it is stored, or store and send nothing.

    A sender that stalled past its claim may find the epoch failed by another
    worker (its points returned) or linked to another transaction: sending its
    root then would pay those points a second time.
    """
    if not _epoch_link(epoch, tx):
        raise _NotInFlight(epoch.number)


def _epoch_send(epoch: Epoch, *, owner: str) -> None:
    to, data = chain.publish_call(root=epoch.root, epoch=epoch.number)
    try:
        chain.submit(
            label=_publish_label(epoch),
            purpose=ChainTx.Purpose.PUBLISH,
            to=to,
            data=data,
            record=lambda tx: _epoch_record(epoch, tx),
        )
    except _NotInFlight:
        return
    except chain.ChainReverted as exc:
        _epoch_reverted(epoch, f"publication would revert: {exc.error}", owner=owner)


def _epoch_follow(epoch: Epoch) -> Epoch:
    tx = chain.progress(epoch.chain_tx)
    if tx.status == ChainTx.Status.CONFIRMED:
        _epoch_mark_published(epoch)
    elif tx.status == ChainTx.Status.REVERTED:
        return _epoch_reverted(epoch, f"publication {tx.tx_hash} reverted")
    elif tx.status == ChainTx.Status.DROPPED:
        _epoch_unlink_dropped(epoch)
    epoch.refresh_from_db()
    return epoch


def _epoch_unlink_dropped(epoch: Epoch) -> None:
    """Forget a publication the chain lost for good: the next pass signs a new one.

    A dropped transaction can never be mined (its nonce is released), so a new
    one under the same label cannot make the root go out twice; and if the old
    one did land after all, the new one's revert finds the root on chain.
    """
    Epoch.objects.filter(
        pk=epoch.pk, status=Epoch.Status.PUBLISHING, chain_tx__status=ChainTx.Status.DROPPED
    ).update(chain_tx=None, publish_owner="", publish_claimed_at=None)
    epoch.refresh_from_db()


def _epoch_mark_published(epoch: Epoch) -> None:
    with transaction.atomic():
        now = timezone.now()
        flipped = Epoch.objects.filter(pk=epoch.pk, status=Epoch.Status.PUBLISHING).update(
            status=Epoch.Status.PUBLISHED, published_at=now
        )
        if flipped:
            users = list(Redemption.objects.filter(epoch=epoch).values_list("user_id", flat=True))
            Redemption.objects.filter(epoch=epoch, status=Redemption.Status.PUBLISHING).update(
                status=Redemption.Status.CLAIMABLE, updated_at=now
            )
            _notify_users(users)


def _epoch_reverted(epoch: Epoch, reason: str, *, owner: str = "") -> Epoch:
    """A publication reverted (or would): return the points only if its root is not on chain.

    A revert says the call failed *now*, not that the root was never published:
    another worker's tx, or one sent before a crash, may have put it there. Our
    own record of a live tx for the label is looked at first, then the
    distributor's state and its RootPublished events.
    """
    epoch.refresh_from_db()
    if epoch.status != Epoch.Status.PUBLISHING:
        return epoch
    live = chain.live_tx(_publish_label(epoch))
    if live is not None and live.pk != epoch.chain_tx_id:
        if _epoch_link(epoch, live, replacing=epoch.chain_tx_id):
            log.warning("epoch %s: %s, following %s instead", epoch.number, reason, live.tx_hash)
        epoch.refresh_from_db()
        return _epoch_follow(epoch) if epoch.chain_tx_id else epoch
    seen = chain.root_publication(epoch=epoch.number, root=epoch.root)
    if seen is None:
        return _epoch_failed(epoch, reason, owner=owner)
    log.warning("epoch %s: %s, but its root is on chain (%s)", epoch.number, reason, seen.tx_hash)
    tx = _publication_record(epoch, seen)
    if tx is not None and tx.pk != epoch.chain_tx_id:
        _epoch_link(epoch, tx, replacing=epoch.chain_tx_id)
        epoch.refresh_from_db()
        if epoch.chain_tx_id == tx.pk:
            return _epoch_follow(epoch)
    _epoch_mark_published(epoch)
    epoch.refresh_from_db()
    return epoch


def _publication_record(epoch: Epoch, seen: chain.RootPublication) -> ChainTx | None:
    """The ChainTx of a publication found on chain, stored if we never recorded it."""
    if not seen.tx_hash:
        return None
    tx = ChainTx.objects.filter(tx_hash=seen.tx_hash).first()
    if tx is not None:
        return tx
    now = timezone.now()
    try:
        with transaction.atomic():
            # Sent outside ``submit`` (its signed bytes are not ours to store): it is
            # mined, so it only needs its confirmations counted.
            return ChainTx.objects.create(
                network=epoch.network,
                sender=seen.sender,
                nonce=seen.nonce,
                tx_hash=seen.tx_hash,
                raw="",
                purpose=ChainTx.Purpose.PUBLISH,
                label=_publish_label(epoch),
                status=ChainTx.Status.MINED,
                block_number=seen.block_number,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        return None


def _epoch_failed(epoch: Epoch, reason: str, *, owner: str = "") -> Epoch:
    with transaction.atomic():
        now = timezone.now()
        # Conditional on nothing having moved since the chain was checked: the same
        # publication tx, and for the sending worker, its claim still being its own.
        still = Epoch.objects.filter(
            pk=epoch.pk, status=Epoch.Status.PUBLISHING, chain_tx=epoch.chain_tx_id
        )
        if owner:
            still = still.filter(publish_owner=owner)
        flipped = still.update(status=Epoch.Status.FAILED)
        if flipped:
            users = list(Redemption.objects.filter(epoch=epoch).values_list("user_id", flat=True))
            redemptions_fail_epoch_locked(epoch, reason=f"epoch {epoch.number}: {reason}", now=now)
            _notify_users(users)
    if flipped:
        log.error("epoch %s failed: %s", epoch.number, reason)
    epoch.refresh_from_db()
    return epoch


def proof_for(address: str, *, network: str | None = None) -> dict | None:
    """The latest published leaf and proof of ``address`` (None if it has no payout).

    On ``network`` when given (what its distributor pays), else the newest payout
    on any network: each network's epochs carry that network's amounts only, so
    another network's newest epoch may not hold this address at all.
    """
    published = Epoch.objects.filter(status=Epoch.Status.PUBLISHED)
    if network is not None:
        published = published.filter(network=network)
    else:
        published = published.filter(leaves__address=address)
    epoch = published.order_by("-number").first()
    if epoch is None:
        return None
    leaf = epoch.leaves.filter(address=address).first()
    if leaf is None:
        return None
    tree = MerkleTree.load(epoch.dump)
    return {
        "epoch": epoch.number,
        "network": epoch.network,
        "root": epoch.root,
        "address": address,
        "cumulative_points": leaf.cumulative_points,
        "cumulative_amount": str(leaf.cumulative_points * UNITS_PER_POINT),
        "proof": tree.proof(address),
    }


def claim_call_for(*, address: str) -> dict:
    """The claim a wallet sends itself: (to, data) and its proof. Reads only (a GET serves it)."""
    proof = proof_for(address, network=chain.get().network) or proof_for(address)
    if proof is None:
        raise ApiError("nothing_to_claim", _("No published payout for your wallet yet."), 409)
    try:
        if proof["network"] != chain.get().network:
            raise chain.WrongChain(f"epoch {proof['epoch']} is on {proof['network']}")
        to, data = chain.claim_call(
            account=address,
            cumulative_points=proof["cumulative_points"],
            proof=proof["proof"],
            deploy=False,
        )
    except chain.WrongChain:
        raise ApiError(
            "other_chain",
            _(
                "Your payout was published on a chain this server no longer reads (the in-process "
                "demo chain starts anew with each server start)."
            ),
            409,
        ) from None
    return {"to": to, "data": data, "chain_id": chain.chain_id(), **proof}


def claim_request(*, user) -> ClaimRequest:
    """Ask the service to submit the claim for the user's wallet (gasless for the user)."""
    claimable = Redemption.objects.filter(user=user, status=Redemption.Status.CLAIMABLE)
    if not claimable.exists():
        raise ApiError(
            "nothing_to_claim", _("No published redemption is waiting to be claimed."), 409
        )
    network = chain.get().network
    # The wallets with something to claim on this network: another wallet's leaf
    # here may be one it has claimed already, while its redemptions wait elsewhere.
    here = sorted(set(claimable.filter(epoch__network=network).values_list("address", flat=True)))
    if not here:
        raise ApiError(
            "other_chain",
            _(
                "Your payout was published on a chain this server no longer reads. "
                "An operator can help you claim it there."
            ),
            409,
        )
    proof = next((p for p in (proof_for(a, network=network) for a in here) if p is not None), None)
    if proof is None:
        raise ApiError("nothing_to_claim", _("No published leaf for your redemptions yet."), 409)
    with transaction.atomic():
        request, _created = ClaimRequest.objects.get_or_create(
            network=network,
            address=proof["address"],
            cumulative_points=proof["cumulative_points"],
            defaults={
                "epoch_id": Epoch.objects.get(number=proof["epoch"]).pk,
                "requested_by": user,
                "created_at": timezone.now(),
            },
        )
    return claim_submit(request)


def claim_submit(request: ClaimRequest) -> ClaimRequest:
    """Send (or resume) the relayer's claim transaction for ``request``."""
    if request.chain_tx_id is not None and request.chain_tx.status not in ChainTx.DEAD:
        chain.progress(request.chain_tx)
        return request
    proof = proof_for(request.address, network=request.network)
    if proof is None or proof["cumulative_points"] != request.cumulative_points:
        # A newer epoch superseded this amount: a fresh request carries the new one.
        return request
    to, data = chain.claim_call(
        account=request.address,
        cumulative_points=request.cumulative_points,
        proof=proof["proof"],
    )
    try:
        tx = chain.submit(
            label=f"claim:{request.address}:{request.cumulative_points}",
            purpose="claim",
            to=to,
            data=data,
        )
    except chain.ChainReverted as exc:
        if exc.error == "NothingToClaim":
            # Someone's claim (the wallet's own, or another relayer attempt) already
            # paid this amount: nothing is refunded here, the Claimed event settles it.
            return request
        latest = proof_for(request.address, network=request.network)
        if exc.error == "InvalidProof" and (latest is None or latest["root"] != proof["root"]):
            return request  # a newer root landed while we were sending; its request follows
        # The contract's error name stays on the cause, for the worker's report.
        raise ApiError("claim_reverted", _claim_refusal(exc.error), 409) from exc
    ClaimRequest.objects.filter(pk=request.pk).update(chain_tx=tx)
    request.refresh_from_db()
    return request


def _claim_refusal(error: str) -> str:
    """Why the payout contract refused a claim, in plain words (the API's detail)."""
    kept = _("Nothing was paid and nothing is lost: your redemption stays reserved for you.")
    if error == "InvalidProof":
        why = _(
            "The payout contract does not hold the payout list your claim belongs to yet "
            "(usually a newer list is being confirmed on the chain). Try again in a few "
            "minutes; if it keeps failing, contact the operators."
        )
    elif error.startswith("ERC20Insufficient"):
        why = _(
            "The payout contract does not hold enough tokens to pay this claim right now. "
            "The operators have to top it up; try again later."
        )
    else:
        # Translators: %(error)s is the contract's error name, e.g. "EpochNotIncreasing".
        why = _("The chain refused the claim (%(error)s).") % {"error": error}
    return f"{why} {kept}"


def claims_settle() -> int:
    """Read confirmed Claimed events and settle the redemptions they pay; returns how many."""
    dep = chain.deployment()
    cursor = ChainDeployment.objects.get(pk=dep.pk).scanned_block
    # The reorg window is read again every pass: a claim the chain lost and
    # mined again may land in a block the cursor had already passed.
    events, last = chain.claimed_events(
        from_block=cursor + 1, rescan=settings.CHAIN_REORG_WINDOW, floor=dep.deployed_block
    )
    settled = 0
    with transaction.atomic():
        # Conditional on the cursor: of two workers reading the same blocks, one books them.
        moved = ChainDeployment.objects.filter(pk=dep.pk, scanned_block=cursor).update(
            scanned_block=last
        )
        if not moved:
            return 0
        now = timezone.now()
        for event in events:
            cumulative_points = event.cumulative_units // UNITS_PER_POINT
            # This distributor's Claimed events pay this network's redemptions only.
            # OF self: the join would lock the epochs' rows too, and a reopen that
            # updates an epoch and then its redemptions deadlocked with this.
            for redemption in Redemption.objects.select_for_update(of=("self",)).filter(
                epoch__network=dep.network,
                address=event.account,
                status=Redemption.Status.CLAIMABLE,
                leaf_cumulative_points__lte=cumulative_points,
            ):
                settled += redemption_settle_locked(
                    redemption, tx_hash=event.tx_hash, block_number=event.block_number, now=now
                )
    return settled


def chain_txs_progress() -> None:
    """Move every open transaction forward (lookups and re-broadcasts, in nonce order)."""
    network = chain.get().network
    for tx in ChainTx.objects.filter(network=network, status__in=ChainTx.OPEN).order_by("nonce"):
        chain.progress(tx)


def chain_reconcile() -> int:
    """Check what the last CHAIN_REORG_WINDOW blocks paid against the chain; reopen what it lost.

    A node can come back behind the database (restored from an older state, or
    a reorg): claims we settled and roots we published are then no longer on
    chain. Lost transactions we signed are sent again as they were (see
    ``chain.txs_recheck``), a settlement whose claim is gone goes back to
    escrow and waits for its claim again, and the latest published epoch whose
    publication is gone is published again. Nothing is paid twice: the same
    signed bytes cannot be mined twice, the distributor pays cumulative amounts
    once, and each settlement books under its own source key. Returns how many
    redemptions were reopened.
    """
    window = settings.CHAIN_REORG_WINDOW
    if window <= 0:
        return 0
    chain.txs_recheck(window=window)
    head = chain.head()
    reopened = 0
    # Claims on another network are not on this chain and never were: not lost.
    settled = Redemption.objects.filter(
        status=Redemption.Status.SETTLED,
        claim_block__gt=head - window,
        epoch__network=chain.get().network,
    ).exclude(claim_tx_hash="")
    for redemption in settled:
        block = chain.succeeded_in(redemption.claim_tx_hash)  # outside any transaction
        if block is not None:
            if block != redemption.claim_block:  # mined again elsewhere: still paid
                Redemption.objects.filter(
                    pk=redemption.pk, claim_tx_hash=redemption.claim_tx_hash
                ).update(claim_block=block)
            continue
        with transaction.atomic():
            locked = (
                Redemption.objects.select_for_update()
                .filter(pk=redemption.pk, claim_tx_hash=redemption.claim_tx_hash)
                .first()
            )
            if locked is not None and redemption_reopen_locked(
                locked,
                reason=f"claim {redemption.claim_tx_hash} is no longer on chain",
                now=timezone.now(),
            ):
                reopened += 1
                log.warning("redemption %s reopened: its claim left the chain", redemption.pk)
    _epochs_reopen()
    return reopened


def _epochs_reopen() -> None:
    """Publish again the latest published epoch whose publication the chain no longer has.

    Only the latest one: a later root carries every cumulative amount of the
    earlier ones, so an earlier lost root is not needed any more (and sending
    it after a later one would revert, and could return points that the later
    root pays).
    """
    latest = (
        Epoch.objects.exclude(status=Epoch.Status.FAILED)
        .filter(network=chain.get().network)
        .select_related("chain_tx")
        .order_by("-number")
        .first()
    )
    if latest is None or latest.status != Epoch.Status.PUBLISHED or latest.chain_tx is None:
        return
    # A published epoch whose transaction reverted was found on chain by other
    # means (see _epoch_reverted): that is not a loss.
    if latest.chain_tx.status in (ChainTx.Status.CONFIRMED, ChainTx.Status.REVERTED):
        return
    with transaction.atomic():
        _epochs_lock(latest.network)
        if Epoch.objects.filter(status=Epoch.Status.PUBLISHING).exists():
            # Built since we looked: one epoch in flight at a time. The new epoch
            # carries this one's amounts; the next pass looks again.
            return
        dropped = latest.chain_tx.status == ChainTx.Status.DROPPED
        fields = {"status": Epoch.Status.PUBLISHING, "published_at": None}
        if dropped:
            fields.update(chain_tx=None, publish_owner="", publish_claimed_at=None)
        flipped = Epoch.objects.filter(
            pk=latest.pk, status=Epoch.Status.PUBLISHED, chain_tx=latest.chain_tx_id
        ).update(**fields)
        if flipped:
            users = list(Redemption.objects.filter(epoch=latest).values_list("user_id", flat=True))
            Redemption.objects.filter(epoch=latest, status=Redemption.Status.CLAIMABLE).update(
                status=Redemption.Status.PUBLISHING, updated_at=timezone.now()
            )
            _notify_users(users)
    if flipped:
        log.warning("epoch %s: its publication left the chain, publishing it again", latest.number)


@dataclass
class TickReport:
    epoch: int | None = None
    epoch_status: str = ""
    claims: int = 0
    settled: int = 0
    reopened: int = 0
    errors: list[str] = field(default_factory=list)


_tick_lock = threading.Lock()
_tick_again = threading.Event()


def worker_tick() -> TickReport:
    """One pass of the payout worker; a node that is down is reported, not raised."""
    report = TickReport()
    try:
        chain.deployment()
        try:
            report.reopened = chain_reconcile()
            chain_txs_progress()
            chain.nonce_gap_close()
            # Pre-release commitments that could not be sent at entry (or were lost).
            commitments_send_pending()
        except chain.ChainUnavailable as exc:
            # Gathering redemptions into an epoch needs only the database: it still
            # happens, and the next pass checks the chain again.
            report.errors.append(f"chain unavailable: {exc}")
        epoch = epoch_build()
        if epoch is not None and epoch.status == Epoch.Status.PUBLISHING:
            epoch = epoch_publish(epoch)
        if epoch is not None:
            report.epoch, report.epoch_status = epoch.number, epoch.status
            if epoch.status == Epoch.Status.PUBLISHING and epoch.network != chain.get().network:
                report.errors.append(
                    f"epoch {epoch.number} was sent on {epoch.network}, which this worker does "
                    "not read: a worker on that network finishes it; new epochs wait"
                )
        waiting = Redemption.objects.filter(status=Redemption.Status.CLAIMABLE)
        for request in ClaimRequest.objects.filter(
            network=chain.get().network,
            address__in=waiting.values("address"),
        ).exclude(chain_tx__status=ChainTx.Status.CONFIRMED):
            # A claim that would revert now (a new root mined but not yet confirmed makes
            # the last published proof invalid) is refused to the user who asked; here it
            # is reported and tried again next pass. Raised, it ended the pass before
            # claims_settle, on every pass while it lasted, and killed rewards_worker.
            try:
                claim_submit(request)
            except ApiError as exc:
                reverted = getattr(exc.__cause__, "error", None)
                report.errors.append(
                    f"claim for {request.address}: {exc.detail}"
                    + (f" (contract error {reverted})" if reverted else "")
                )
                continue
            report.claims += 1
        report.settled = claims_settle()
    except chain.ChainUnavailable as exc:
        report.errors.append(f"chain unavailable: {exc}")
    return report


def worker_tick_on_demand() -> TickReport | None:
    """Run a tick from a POST that acts, when REWARD_WORKER_ON_DEMAND (never from a GET)."""
    if not settings.REWARD_WORKER_ON_DEMAND:
        return None
    return worker_tick_serialised()


def worker_tick_serialised() -> TickReport | None:
    """A tick, unless one is running in this process: that one then goes round again.

    For the process's own callers (POSTs that act, the in-process background
    pass); separate processes are kept apart by the database's row locks.
    """
    # A tick already running may have started before this request's redemption
    # or claim was stored, and no GET comes after to pick it up: ask it to go
    # round once more instead of waiting for it. Waiting held this request's
    # database connection, and 100 concurrent redemptions then emptied the pool.
    # The flag is read after the lock is released, so a request whose acquire
    # failed is always seen by the holder's next check.
    _tick_again.set()
    report = None
    while _tick_again.is_set():
        if not _tick_lock.acquire(blocking=False):
            return report
        try:
            _tick_again.clear()
            report = worker_tick()
        except Exception:  # best effort inside a request: the loop retries, the page must render
            log.exception("on-demand payout tick failed")
        finally:
            _tick_lock.release()
    return report
