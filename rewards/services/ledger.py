"""The double-entry points ledger: the only code that writes entries and balances."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from datafi.api import ApiError
from datafi.events import send_many_on_commit, send_on_commit
from rewards import rules
from rewards.db import in_transaction
from rewards.models import Account, Entry, LedgerTransaction

Kind = Account.Kind


class DuplicateSource(Exception):
    """A transaction with this source key exists: the event was already booked."""


def user_group(user_id) -> str:
    return f"rewards.user.{user_id}"


def account_for(*, kind: str, user=None) -> Account:
    """The account of ``kind`` (a user's, or the platform's), created on first use."""
    user_id = getattr(user, "id", user)
    if kind in Account.USER_KINDS and user_id is None:
        raise ValueError(f"a {kind} account belongs to a user")
    if kind not in Account.USER_KINDS:
        user_id = None
    # get_or_create retries the read when a concurrent insert wins the unique index.
    account, _ = Account.objects.get_or_create(kind=kind, user_id=user_id)
    return account


@dataclass(frozen=True)
class Balances:
    available: int
    escrow: int
    redeemed: int

    def as_dict(self) -> dict:
        return {"available": self.available, "escrow": self.escrow, "redeemed": self.redeemed}


def balances_for(user) -> Balances:
    rows = dict(
        Account.objects.filter(user=user, kind__in=Account.USER_KINDS).values_list(
            "kind", "balance"
        )
    )
    redeemed = (
        Entry.objects.filter(
            account__kind=Kind.REDEEMED,
            # A settlement the chain lost is taken back by a "reopen" transaction.
            transaction__kind__in=("settle", "reopen"),
            transaction__user=user,
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return Balances(
        available=rows.get(Kind.AVAILABLE, 0), escrow=rows.get(Kind.ESCROW, 0), redeemed=redeemed
    )


def _points(amount: int) -> Value:
    """An amount added to a balance, typed as the balance column (64 bits): a
    bare integer would be inferred as a 32-bit one."""
    return Value(amount, output_field=BigIntegerField())


def post(
    *,
    source_key: str,
    kind: str,
    user,
    lines: list[tuple[Account, int]],
    memo: str = "",
    now=None,
    notify: bool = True,
    locked: list[Account] = (),
) -> LedgerTransaction:
    """Book one balanced transaction. Must run inside a transaction.

    Raises DuplicateSource when ``source_key`` was booked before, ApiError(409)
    when a user account would go negative.
    """
    if not in_transaction():
        raise RuntimeError("ledger.post must run inside a transaction")
    amounts: dict[int, int] = {}
    for account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError("ledger amounts are integers")
        amounts[account.id] = amounts.get(account.id, 0) + amount
    amounts = {acct: amt for acct, amt in amounts.items() if amt != 0}
    if not amounts:
        raise ValueError("a ledger transaction needs at least one non-zero entry")
    if sum(amounts.values()) != 0:
        raise ValueError(f"entries must sum to zero, not {sum(amounts.values())}")
    now = now or timezone.now()

    # Lock every touched user account row, always in id order. Two requests
    # that each read a balance of 10 and each debit 10 would otherwise both pass
    # the check below and drive it to -10 (the check constraint would then turn
    # one of them into an error instead of a clean 409); sorted order means two
    # transfers over the same pair of accounts cannot deadlock.
    # The platform accounts (issuance, redeemed) are not locked and keep no
    # running balance: every vote touches issuance, and a lock on that one row
    # would serialise all voters. Their balances are the sum of their entries.
    # ``locked``: rows the caller already holds under select_for_update in this
    # transaction (their balances are current), so they are not read again.
    held = {a.id: a for a in locked}
    ids = [a.id for a, _amount in lines if a.kind in Account.USER_KINDS and a.id not in held]
    held.update(
        (a.id, a) for a in Account.objects.select_for_update().filter(id__in=ids).order_by("id")
    )
    for account_id, amount in amounts.items():
        account = held.get(account_id)
        if account is not None and account.balance + amount < 0:
            raise ApiError(
                "insufficient_points",
                _("Not enough points: %(available)s available, %(needed)s needed.")
                % {"available": account.balance, "needed": -amount},
                status_code=409,
            )
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                source_key=source_key,
                kind=kind,
                user_id=getattr(user, "id", user),
                memo=memo[:200],
                created_at=now,
            )
    except IntegrityError:
        raise DuplicateSource(source_key) from None
    Entry.objects.bulk_create(
        [
            Entry(transaction=txn, account_id=acct, amount=amt, created_at=now)
            for acct, amt in sorted(amounts.items())
        ]
    )
    for account_id, amount in amounts.items():
        if account_id in held:
            Account.objects.filter(id=account_id).update(balance=F("balance") + _points(amount))
    if notify and user is not None:
        user_id = getattr(user, "id", user)
        send_on_commit(user_group(user_id), {"type": "rewards.changed", "reason": kind})
    return txn


@dataclass(frozen=True)
class VoteCredit:
    user_id: int
    battle_id: object
    at: datetime  # when the vote was cast: the day whose cap it counts against
    multiplier: float  # in [0, 1]: quality's judgement, passed in by the fold
    booked: int = 0  # points the vote already earned (a top-up credits the rest)


def _locked_available_accounts(user_ids: list[int]) -> dict[int, Account]:
    """The users' available-points accounts, locked in id order (created if missing)."""
    # Create only the missing ones (a plain read first: nearly every voter of a
    # batch has an account, and building the rows was a tenth of the fold's CPU).
    # ON CONFLICT DO NOTHING still settles a race with another batch.
    have = set(
        Account.objects.filter(kind=Kind.AVAILABLE, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    Account.objects.bulk_create(
        [Account(kind=Kind.AVAILABLE, user_id=u) for u in user_ids if u not in have],
        ignore_conflicts=True,
    )
    return {
        a.user_id: a
        for a in Account.objects.select_for_update()
        .filter(kind=Kind.AVAILABLE, user_id__in=user_ids)
        .order_by("id")
    }


TOP_UP = "vote-topup"  # source-key prefix of the rest of a discounted vote's points


def points_award_for_votes(*, credits: list[VoteCredit], prefix: str = "vote") -> dict:
    """Credit a batch of votes, each at most once; the points booked, by battle id.

    Must run inside a transaction. Each vote is one ledger transaction with the
    unique source key ``<prefix>:<battle>`` (a vote booked before earns nothing
    again), its two entries stamped with the vote's time. The daily cap is
    applied in vote order over what each voter already earned that day.
    ``prefix`` is ``vote`` for the fold and ``TOP_UP`` for what an appeal adds
    to a vote that earned less (each credit's ``booked``).
    """
    if prefix not in ("vote", TOP_UP):
        raise ValueError(f"unknown vote credit prefix {prefix!r}")
    if not in_transaction():
        raise RuntimeError("points are awarded inside a transaction (the vote's fold)")
    if not credits:
        return {}
    # Lock the voters' accounts before reading today's totals: two batches
    # committing at once would otherwise both see room under the daily cap.
    accounts = _locked_available_accounts(sorted({c.user_id for c in credits}))
    issuance = account_for(kind=Kind.ISSUANCE)
    booked = set(
        LedgerTransaction.objects.filter(
            source_key__in=[f"{prefix}:{c.battle_id}" for c in credits]
        ).values_list("source_key", flat=True)
    )
    earned: dict[tuple[int, datetime], int] = {}
    account_ids = [a.id for a in accounts.values()]
    for start, end in sorted({rules.day_window(c.at) for c in credits}):
        totals = (
            Entry.objects.filter(
                account_id__in=account_ids,
                transaction__kind=LedgerTransaction.Kind.AWARD,
                created_at__gte=start,
                created_at__lt=end,
            )
            .values("account_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        earned.update({(row["account_id"], start): row["total"] for row in totals})
    out, booking, gains = {}, [], defaultdict(int)
    for c in credits:
        key = f"{prefix}:{c.battle_id}"
        account = accounts[c.user_id]
        day = (account.id, rules.day_window(c.at)[0])
        award = rules.vote_award(
            earned_today=earned.get(day, 0), multiplier=c.multiplier, booked=c.booked
        )
        if key in booked or award.points <= 0:
            out[c.battle_id] = 0
            continue
        booked.add(key)
        earned[day] = earned.get(day, 0) + award.points
        gains[account.id] += award.points
        out[c.battle_id] = award.points
        txn = LedgerTransaction(
            source_key=key,
            kind=LedgerTransaction.Kind.AWARD,
            user_id=c.user_id,
            memo=(
                f"vote on battle {c.battle_id}"
                if prefix == "vote"
                else f"rest of the points of the vote on battle {c.battle_id}, restored on appeal"
            ),
            created_at=c.at,
        )
        booking.append((txn, account.id, award.points))
    if not booking:
        return out
    LedgerTransaction.objects.bulk_create([txn for txn, _, _ in booking])
    Entry.objects.bulk_create(
        [
            Entry(transaction=txn, account_id=acct, amount=amt, created_at=txn.created_at)
            for txn, account_id, points in booking
            for acct, amt in sorted([(account_id, points), (issuance.id, -points)])
        ]
    )
    # The user accounts are locked above; issuance keeps no running balance
    # (see ``post``): its balance is the sum of its entries. One UPDATE per
    # distinct gain: a vote earns a small whole number of points, so a batch
    # has a handful of them, where one CASE with a WHEN per account cost more
    # CPU to compile than the rest of the award.
    by_gain: dict[int, list[int]] = defaultdict(list)
    for account_id, gain in gains.items():
        by_gain[gain].append(account_id)
    for gain, ids in sorted(by_gain.items()):
        Account.objects.filter(id__in=sorted(ids)).update(balance=F("balance") + _points(gain))
    send_many_on_commit(
        (user_group(user_id), {"type": "rewards.changed", "reason": "award"})
        for user_id in sorted({txn.user_id for txn, _, _ in booking})
    )
    return out


def ledger_sum() -> int:
    """Sum of every entry: zero, always."""
    return Entry.objects.aggregate(total=Sum("amount"))["total"] or 0


def unbalanced_transactions() -> list[str]:
    """Source keys of transactions whose entries do not sum to zero (should be none)."""
    return list(
        LedgerTransaction.objects.annotate(total=Sum("entries__amount"))
        .exclude(total=0)
        .values_list("source_key", flat=True)
    )


def _mismatched_accounts():
    # Compared in the database: only the mismatched rows (usually none) leave it,
    # not every user account (3.5 s in Python against 1.2 s in SQL for 50,000
    # accounts and a million entries on PostgreSQL).
    return (
        Account.objects.filter(kind__in=Account.USER_KINDS)
        .annotate(total=Coalesce(Sum("entries__amount"), Value(0, output_field=BigIntegerField())))
        .exclude(total=F("balance"))
    )


def balance_mismatches() -> list[int]:
    """User accounts whose stored balance differs from the sum of their entries."""
    return list(_mismatched_accounts().order_by("id").values_list("id", flat=True))


def balance_mismatch_count() -> int:
    """How many user accounts' stored balances differ from the sum of their entries."""
    return _mismatched_accounts().count()


def platform_balance(kind: str) -> int:
    """Issuance (negative: minus all points ever awarded) or redeemed, from the entries."""
    return Entry.objects.filter(account__kind=kind).aggregate(t=Sum("amount"))["t"] or 0


_SOLD = " sold"


def sale_sold(memo: str) -> str | None:
    """What a sale's memo says was sold (``sold`` of sale_book), or None."""
    if memo.endswith(_SOLD) and len(memo) > len(_SOLD):
        return memo[: -len(_SOLD)]
    return None


def sale_book(
    *,
    source_key: str,
    sale_points: int,
    fee_points: int,
    shares: dict[int, int],
    sold: str,
    now=None,
) -> LedgerTransaction:
    """Book one dataset sale: points issued against it, the platform's fee, and each
    contributor's share credited to their available points, in one transaction.
    ``sold`` names what was sold (e.g. "arena-prefs v1"); the memo records it.

    Must run inside a transaction. Raises DuplicateSource if the sale was booked.
    """
    if fee_points + sum(shares.values()) != sale_points:
        raise ValueError("the fee and the shares must add up to the sale")
    lines = [(account_for(kind=Kind.SALES), -sale_points)]
    if fee_points:
        lines.append((account_for(kind=Kind.FEES), fee_points))
    for user_id, points in sorted(shares.items()):
        if points:
            lines.append((account_for(kind=Kind.AVAILABLE, user=user_id), points))
    txn = post(
        source_key=source_key,
        kind=LedgerTransaction.Kind.SALE,
        user=None,
        lines=lines,
        memo=f"{sold}{_SOLD}",
        now=now,
        notify=False,
    )
    send_many_on_commit(
        [(user_group(uid), {"type": "rewards.changed", "reason": "sale"}) for uid in shares]
    )
    return txn
