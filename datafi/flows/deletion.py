"""A contributor deletes their account (issue #14, item 2): what it will do, shown
first, then the deletion across the apps in one transaction.

accounts removes who they were (the user row stays, anonymised: ledger entries
and frozen dataset rows refer to it); rewards refuses while a redemption holds
points in escrow and unlinks the wallet; market records a final "no" to selling
their data, so every version frozen later leaves their votes out, while the
versions frozen before keep their rows and roots (they may have been sold); the
arena forgets the languages they read and the words of their appeals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import ngettext

from datafi.accounts import selectors as accounts_selectors
from datafi.accounts import services as accounts
from datafi.errors import ApiError
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from evals import services as arena
from rewards import rules
from rewards import selectors as rewards_selectors
from rewards.services import closing, ledger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeletionPreview:
    versions: list  # market_selectors.VersionVotes, newest first
    available: int  # points the person would leave behind
    escrow: int  # points held for a redemption in flight
    redemption_minimum: int
    wallet_address: str | None
    seats: list  # accounts_selectors.Seat
    has_password: bool
    refusal: str  # why the deletion cannot go ahead now; "" when it can
    refusal_kind: str = ""  # "escrow" or "sole_owner": where the page points

    @property
    def votes_in_versions(self) -> int:
        return sum(v.votes for v in self.versions)


def sole_owner_refusal(organizations: list[str]) -> str:
    """Why an organisation's only owner cannot delete their account yet."""
    return ngettext(
        "You are the only owner of %(organizations)s. Make another member an owner "
        "first (on the provider page, add them with the owner role), so that the "
        "organisation is not left without anyone who can manage its keys and models.",
        "You are the only owner of %(organizations)s. Make another member an owner of "
        "each first (on the provider page, add them with the owner role), so that no "
        "organisation is left without anyone who can manage its keys and models.",
        len(organizations),
    ) % {"organizations": ", ".join(organizations)}


def deletion_preview(*, user) -> DeletionPreview:
    """Everything the deletion would do to ``user``'s votes, points, wallet and seats."""
    balances = ledger.balances_for(user)
    sole = accounts_selectors.organizations_left_without_owner(user=user)
    if balances.escrow > 0:
        refusal, kind = closing.in_flight_refusal(balances.escrow), "escrow"
    elif sole:
        refusal, kind = sole_owner_refusal(sole), "sole_owner"
    else:
        refusal, kind = "", ""
    return DeletionPreview(
        versions=market_selectors.versions_with_votes_of(user=user),
        available=balances.available,
        escrow=balances.escrow,
        redemption_minimum=rules.redemption_minimum(),
        wallet_address=rewards_selectors.wallet_address_of(user=user),
        seats=accounts_selectors.seats_of(user=user),
        has_password=user.has_usable_password(),
        refusal=refusal,
        refusal_kind=kind,
    )


@dataclass(frozen=True)
class Deleted:
    record: object  # datafi.accounts.models.DeletionRequest
    already: bool  # deleted by an earlier request: this one changed nothing
    points_left: int  # available points left behind (0 for an earlier deletion)


def account_delete(*, user_id: int, requested_at=None) -> Deleted:
    """Delete ``user_id``'s account: all of it or, refused (ApiError), nothing.

    The user's row lock serialises two requests: the second finds the record
    of the first and changes nothing. Renaming the user needs PostgreSQL's
    strongest row lock, which waits for rows being inserted that refer to the
    user; a vote fold folding the person's first vote at that moment (it refers
    to the user both before and after it locks their points, which this holds)
    could deadlock with it (an interleaving read off the lock order; not seen in
    tests). A rolled-back deletion is then tried again, as the fold does.
    """
    requested_at = requested_at or timezone.now()
    for attempt in range(1, 3):
        try:
            return _account_delete(user_id=user_id, requested_at=requested_at)
        except OperationalError:
            if connection.vendor != "postgresql":
                raise
            log.warning("account deletion rolled back (attempt %d); retrying", attempt)
    return _account_delete(user_id=user_id, requested_at=requested_at)


def _account_delete(*, user_id: int, requested_at) -> Deleted:
    now = timezone.now()
    with transaction.atomic(durable=True):
        user = accounts.user_lock(user_id=user_id)
        done = accounts_selectors.deletion_of(user=user)
        if done is not None:
            return Deleted(record=done, already=True, points_left=0)
        sole = accounts.organizations_left_without_owner_locked(user=user)
        if sole:
            raise ApiError("sole_owner", sole_owner_refusal(sole), status_code=409)
        closed = closing.rewards_close_locked(user=user)
        market.consent_set(user=user, agreed=False, source="deletion")
        arena.voter_forget_locked(user=user)
        record = accounts.account_anonymise_locked(
            user=user, requested_at=min(requested_at, now), now=now
        )
    return Deleted(record=record, already=False, points_left=closed.available)
