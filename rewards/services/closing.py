"""Closing a deleted account's side of rewards: nothing in flight, the wallet unlinked.

The ledger keeps every entry (it is append-only); the person's points simply
stay where they are, and the page that asks for the deletion says so first.
"""

from dataclasses import dataclass

from django.utils.translation import ngettext

from datafi.api import ApiError
from rewards.db import in_transaction
from rewards.models import Account, Wallet

Kind = Account.Kind


@dataclass(frozen=True)
class Closed:
    available: int  # points left in the account, which nobody can redeem any more
    wallet_address: str  # the unlinked wallet, "" if none was linked


def in_flight_refusal(escrow: int) -> str:
    """Why an account holding ``escrow`` points for a redemption cannot be deleted yet."""
    return ngettext(
        "%(points)s point is on its way to your wallet in a redemption. Your account can "
        "be deleted once that payout is settled (or once you cancel the redemption while "
        "it is still pending), so that no points are lost.",
        "%(points)s points are on their way to your wallet in a redemption. Your account "
        "can be deleted once that payout is settled (or once you cancel the redemption "
        "while it is still pending), so that no points are lost.",
        escrow,
    ) % {"points": escrow}


def rewards_close_locked(*, user) -> Closed:
    """Refuse while a redemption holds points in escrow; otherwise unlink the wallet.

    Must run inside the caller's transaction (the account deletion's), which
    holds the user's row lock.
    """
    if not in_transaction():
        raise RuntimeError("rewards_close_locked must run inside a transaction")
    # Lock order as in redemption_request (wallet, then the ledger accounts): a
    # redemption racing the deletion either commits first, and its escrow is
    # seen below, or waits on the wallet row and finds it gone ("link a wallet").
    wallet = Wallet.objects.select_for_update().filter(user=user).first()
    balances = dict(
        Account.objects.select_for_update()
        .filter(user=user, kind__in=Account.USER_KINDS)
        .order_by("id")
        .values_list("kind", "balance")
    )
    escrow = balances.get(Kind.ESCROW, 0)
    if escrow > 0:
        raise ApiError("redemption_in_flight", in_flight_refusal(escrow), status_code=409)
    address = ""
    if wallet is not None:
        address = wallet.address
        wallet.delete()
    return Closed(available=balances.get(Kind.AVAILABLE, 0), wallet_address=address)
