"""Redemptions: points into escrow on request, back on cancel, out when paid on chain
(and back into escrow if the chain loses the claim that paid them)."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from datafi.api import ApiError
from datafi.events import send_on_commit
from rewards import rules
from rewards.models import Account, Epoch, LedgerTransaction, Redemption, Wallet
from rewards.services import ledger

Kind = Account.Kind


def _validate(points, idempotency_key) -> tuple[int, str]:
    if isinstance(points, bool) or not isinstance(points, int):
        raise ApiError("invalid_points", _("points must be a whole number."))
    minimum = rules.redemption_minimum()
    if points < minimum:
        raise ApiError(
            "below_minimum",
            ngettext(
                "Redeem at least %(minimum)d point.", "Redeem at least %(minimum)d points.", minimum
            )
            % {"minimum": minimum},
        )
    if points > 10**12:
        raise ApiError("invalid_points", _("points is too large."))
    if not isinstance(idempotency_key, str) or not (1 <= len(idempotency_key.strip()) <= 100):
        raise ApiError(
            "invalid_idempotency_key",
            _(
                "An Idempotency-Key (1 to 100 characters) is required, "
                "so a retry is not paid twice."
            ),
        )
    return points, idempotency_key.strip()


@transaction.atomic(durable=True)
def redemption_request(*, user, points, idempotency_key, now=None) -> tuple[Redemption, bool]:
    """Move ``points`` into escrow for payout to the user's wallet; (redemption, created).

    A request repeating an earlier Idempotency-Key returns that redemption unchanged.
    """
    points, key = _validate(points, idempotency_key)
    now = now or timezone.now()
    earlier = Redemption.objects.filter(user=user, idempotency_key=key).first()
    if earlier is not None:
        if earlier.points != points:
            raise ApiError(
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different amount."),
                status_code=422,
            )
        return earlier, False
    # Locked: an account deletion takes the wallet before it reads the escrow
    # (rewards.services.closing), so the two cannot both go through.
    wallet = Wallet.objects.select_for_update().filter(user=user).first()
    if wallet is None:
        raise ApiError("no_wallet", _("Link a wallet before redeeming."), status_code=409)
    available = ledger.account_for(kind=Kind.AVAILABLE, user=user)
    escrow = ledger.account_for(kind=Kind.ESCROW, user=user)
    try:
        with transaction.atomic():
            redemption = Redemption.objects.create(
                user=user,
                idempotency_key=key,
                points=points,
                address=wallet.address,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        # The same key arrived twice at once: the other request created it.
        raise ApiError(
            "in_progress", _("A request with this Idempotency-Key is in progress."), 409
        ) from None
    ledger.post(
        source_key=f"redeem:{redemption.id}",
        kind=LedgerTransaction.Kind.REDEEM,
        user=user,
        lines=[(available, -points), (escrow, points)],
        memo=f"redemption {redemption.id} to {wallet.address}",
        now=now,
    )
    return redemption, True


# The stored reason of a redemption its owner cancelled (rewards.selectors words it).
USER_CANCEL_REASON = "cancelled by the user"


def _cancel_locked(redemption: Redemption, *, reason: str, now) -> Redemption:
    available = ledger.account_for(kind=Kind.AVAILABLE, user=redemption.user_id)
    escrow = ledger.account_for(kind=Kind.ESCROW, user=redemption.user_id)
    ledger.post(
        source_key=f"cancel:{redemption.id}",
        kind=LedgerTransaction.Kind.CANCEL,
        user=redemption.user_id,
        lines=[(escrow, -redemption.points), (available, redemption.points)],
        memo=reason,
        now=now,
    )
    Redemption.objects.filter(pk=redemption.pk).update(
        status=Redemption.Status.CANCELLED,
        epoch=None,
        leaf_cumulative_points=None,
        cancel_reason=reason[:200],
        updated_at=now,
    )
    redemption.refresh_from_db()
    return redemption


@transaction.atomic(durable=True)
def redemption_cancel(*, user, redemption_id, now=None) -> Redemption:
    """Return a redemption's points to the user, if it is not in an epoch yet."""
    now = now or timezone.now()
    # Locked so that the epoch builder (which locks pending redemptions) and a
    # cancel cannot both take the same redemption.
    redemption = Redemption.objects.select_for_update().filter(pk=redemption_id).first()
    if redemption is None or redemption.user_id != user.id:
        raise ApiError("not_found", _("No such redemption."), status_code=404)
    if redemption.status != Redemption.Status.PENDING:
        raise ApiError(
            "not_cancellable",
            # Translators: %(status)s is the redemption's status as the API names it.
            _("This redemption is %(status)s: only a pending one can be cancelled.")
            % {"status": redemption.status},
            status_code=409,
        )
    return _cancel_locked(redemption, reason=USER_CANCEL_REASON, now=now)


def _settle_key(redemption: Redemption) -> str:
    # One settlement per time the redemption was (re)opened: a settlement the
    # chain lost is undone (redemption_reopen_locked), and the next one books anew.
    n = redemption.reopened
    return f"settle:{redemption.id}" if n == 0 else f"settle:{redemption.id}:{n}"


def redemption_settle_locked(
    redemption: Redemption, *, tx_hash: str, now, block_number: int | None = None
) -> bool:
    """Book escrow -> redeemed for a redemption whose claim is confirmed (inside a txn)."""
    redeemed = ledger.account_for(kind=Kind.REDEEMED)
    escrow = ledger.account_for(kind=Kind.ESCROW, user=redemption.user_id)
    try:
        ledger.post(
            source_key=_settle_key(redemption),
            kind=LedgerTransaction.Kind.SETTLE,
            user=redemption.user_id,
            lines=[(escrow, -redemption.points), (redeemed, redemption.points)],
            memo=f"claimed on chain in {tx_hash}",
            now=now,
        )
    except ledger.DuplicateSource:
        return False
    Redemption.objects.filter(pk=redemption.pk).update(
        status=Redemption.Status.SETTLED,
        claim_tx_hash=tx_hash,
        claim_block=block_number,
        updated_at=now,
    )
    send_on_commit(ledger.user_group(redemption.user_id), {"type": "rewards.changed"})
    return True


def redemption_reopen_locked(redemption: Redemption, *, reason: str, now) -> bool:
    """Undo the settlement of a redemption whose claim the chain no longer has (inside a txn).

    The points go back from redeemed to escrow and the redemption waits for a
    claim again (or for its epoch, if that is being published again). The
    caller holds the redemption's row lock and has checked the chain.
    """
    if redemption.status != Redemption.Status.SETTLED:
        return False
    count = redemption.reopened + 1
    redeemed = ledger.account_for(kind=Kind.REDEEMED)
    escrow = ledger.account_for(kind=Kind.ESCROW, user=redemption.user_id)
    try:
        ledger.post(
            source_key=f"reopen:{redemption.id}:{count}",
            kind=LedgerTransaction.Kind.REOPEN,
            user=redemption.user_id,
            lines=[(redeemed, -redemption.points), (escrow, redemption.points)],
            memo=reason,
            now=now,
        )
    except ledger.DuplicateSource:
        return False
    epoch_open = Epoch.objects.filter(
        pk=redemption.epoch_id, status=Epoch.Status.PUBLISHING
    ).exists()
    Redemption.objects.filter(pk=redemption.pk, status=Redemption.Status.SETTLED).update(
        status=Redemption.Status.PUBLISHING if epoch_open else Redemption.Status.CLAIMABLE,
        claim_tx_hash="",
        claim_block=None,
        reopened=count,
        updated_at=now,
    )
    send_on_commit(ledger.user_group(redemption.user_id), {"type": "rewards.changed"})
    return True


def redemptions_fail_epoch_locked(epoch, *, reason: str, now) -> int:
    """Return the points of every redemption of a failed epoch (inside a txn)."""
    count = 0
    for redemption in Redemption.objects.select_for_update().filter(
        epoch=epoch, status=Redemption.Status.PUBLISHING
    ):
        _cancel_locked(redemption, reason=reason, now=now)
        count += 1
    return count
