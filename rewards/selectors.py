"""Reads for the rewards pages and APIs."""

import re

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from evals import selectors as evals_selectors
from rewards import chain, rules
from rewards.merkle import UNITS_PER_POINT
from rewards.models import (
    ChainDeployment,
    ChainTx,
    Commitment,
    Entry,
    Epoch,
    LedgerTransaction,
    Redemption,
    Wallet,
)
from rewards.services import ledger
from rewards.services.commitments import commitment_as_dict
from rewards.services.redemptions import USER_CANCEL_REASON

HISTORY_LIMIT = 50


def _tx_dict(tx: ChainTx | None) -> dict | None:
    if tx is None:
        return None
    return {
        "hash": tx.tx_hash,
        "status": tx.status,
        "block": tx.block_number,
        "gas_used": tx.gas_used,
        "error": tx.last_error,
    }


# A failed epoch's cancellations store "epoch N: <why>" (payouts._epoch_failed).
_EPOCH_FAILED = re.compile(r"epoch \d+: ")


def cancel_explained(reason: str) -> str | None:
    """A cancelled redemption's reason in plain words for its owner (None if none).

    The stored reason stays as it was (the operators' record, e.g. the contract's
    error); the voter reads what happened and what to do.
    """
    if not reason:
        return None
    if reason == USER_CANCEL_REASON:
        return _("You cancelled this redemption; its points are back in your balance.")
    if _EPOCH_FAILED.match(reason):
        return _(
            "The payout list holding this redemption could not be published on the chain, "
            "so its points are back in your balance. Redeem them again to be paid."
        )
    return reason


def redemption_dict(r: Redemption) -> dict:
    epoch = r.epoch
    return {
        "id": str(r.id),
        "points": r.points,
        "address": r.address,
        "status": r.status,
        "status_label": str(Redemption.Status(r.status).label),
        "epoch": epoch.number if epoch else None,
        "publish_tx": _tx_dict(epoch.chain_tx) if epoch else None,
        "claim_tx": r.claim_tx_hash or None,
        "cancel_reason": r.cancel_reason or None,
        "cancel_explained": cancel_explained(r.cancel_reason),
        "created_at": r.created_at.isoformat(),
    }


PROMPT_WORDS = 8


def prompt_opening(text: str, words: int = PROMPT_WORDS) -> str:
    """A prompt's first words, for a line that names a battle without its uuid."""
    # Markdown markers read as noise in one line of plain text.
    parts = re.sub(r"[*_`#>~]+", "", text).split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def daily_progress(*, user, now=None) -> dict:
    """Points earned today (UTC, the day the daily cap counts) against the cap."""
    from django.db.models import Sum
    from django.utils import timezone

    start, end = rules.day_window(now or timezone.now())
    earned = (
        Entry.objects.filter(
            account__user=user,
            account__kind="available",
            transaction__kind=LedgerTransaction.Kind.AWARD,
            created_at__gte=start,
            created_at__lt=end,
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    cap = rules.daily_cap()
    return {"earned": earned, "cap": cap, "resets_at": end.isoformat()}


def _vote_of(source_key: str) -> tuple[str | None, bool]:
    """The battle a credit is for, and whether it is an appeal's top-up."""
    kind, _sep, battle_id = source_key.partition(":")
    if kind == "vote":
        return battle_id, False
    if kind == ledger.TOP_UP:
        return battle_id, True
    return None, False


def _history_says(e, addresses: dict) -> str:
    """A history line that is not a vote's, in plain words for its owner.

    The stored memo stays the operators' record ("redemption <uuid> to 0x..",
    "epoch 3: publication would revert: ZeroRoot"); the voter reads what happened.
    ``addresses``: each redemption's wallet, by its ledger source key.
    """
    txn = e.transaction
    if txn.kind == LedgerTransaction.Kind.REDEEM:
        address = addresses.get(txn.source_key)
        if address:
            return _("Set aside for a redemption to %(address)s") % {"address": address}
        return _("Set aside for a redemption")
    if txn.kind == LedgerTransaction.Kind.CANCEL:
        return cancel_explained(txn.memo) or _("A redemption was cancelled; its points are back.")
    if txn.kind == LedgerTransaction.Kind.SALE:
        sold = ledger.sale_sold(txn.memo)
        if sold:
            return _("Your share of a sale of the dataset %(dataset)s") % {"dataset": sold}
        return _("Your share of a dataset sale")
    if txn.kind == LedgerTransaction.Kind.AWARD:
        # A vote whose battle is gone (its account's data was deleted).
        return _("Points for a vote")
    return str(LedgerTransaction.Kind(txn.kind).label)


def _history(entries: list) -> list[dict]:
    """History rows in plain words; a vote's credit names its prompt and links to it."""
    prompts = evals_selectors.battle_prompt_texts(
        battle_ids=[b for b in (_vote_of(e.transaction.source_key)[0] for e in entries) if b]
    )
    redeem_keys = {
        e.transaction.source_key.removeprefix("redeem:"): e.transaction.source_key
        for e in entries
        if e.transaction.kind == LedgerTransaction.Kind.REDEEM
    }
    addresses = {
        redeem_keys[str(pk)]: address
        for pk, address in Redemption.objects.filter(pk__in=redeem_keys).values_list(
            "pk", "address"
        )
    }
    my_data = reverse("market-my-data")
    rows = []
    for e in entries:
        row = {
            "amount": e.amount,
            "kind": e.transaction.kind,
            "memo": _history_says(e, addresses),
            "at": e.created_at.isoformat(),
            "battle": None,
            "prompt": None,
            "url": None,
        }
        battle_id, top_up = _vote_of(e.transaction.source_key)
        if battle_id in prompts:
            row["battle"] = battle_id
            row["prompt"] = prompt_opening(prompts[battle_id])
            row["url"] = f"/votes/#battle-{battle_id}"
            if top_up:
                row["memo"] = _("Full points restored on appeal: vote on “%(prompt)s”") % {
                    "prompt": row["prompt"]
                }
            else:
                row["memo"] = _("Vote on “%(prompt)s”") % {"prompt": row["prompt"]}
        elif e.transaction.kind == LedgerTransaction.Kind.SALE:
            row["url"] = my_data
        rows.append(row)
    return rows


def rewards_summary(*, user) -> dict:
    """Everything the rewards page shows, as JSON-ready data."""
    wallet = Wallet.objects.filter(user=user).first()
    redemptions = (
        Redemption.objects.filter(user=user)
        .select_related("epoch__chain_tx")
        .order_by("-created_at")[:HISTORY_LIMIT]
    )
    history = (
        Entry.objects.filter(account__user=user, account__kind="available")
        .select_related("transaction")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    claim_pending = (
        ChainTx.objects.filter(
            purpose=ChainTx.Purpose.CLAIM,
            status__in=ChainTx.OPEN,
            claim__address=wallet.address if wallet else "",
        ).first()
        if wallet
        else None
    )
    return {
        "balance": ledger.balances_for(user).as_dict(),
        "wallet": {"address": wallet.address, "linked_at": wallet.linked_at.isoformat()}
        if wallet
        else None,
        "redemptions": [redemption_dict(r) for r in redemptions],
        "history": _history(list(history)),
        "today": daily_progress(user=user),
        "claim_pending": _tx_dict(claim_pending),
        "minimum": settings.REDEMPTION_MINIMUM,
    }


def epoch_dict(epoch: Epoch, *, with_leaves: bool = True) -> dict:
    data = {
        "number": epoch.number,
        "status": epoch.status,
        "root": epoch.root,
        "network": epoch.network,
        "tx": _tx_dict(epoch.chain_tx),
        "created_at": epoch.created_at.isoformat(),
        "published_at": epoch.published_at.isoformat() if epoch.published_at else None,
        "leaf_count": len(epoch.dump["values"]),
    }
    if with_leaves:
        data["leaves"] = [
            {"address": v["value"][0], "cumulative_amount": v["value"][1]}
            for v in epoch.dump["values"]
        ]
        data["dump"] = epoch.dump
    return data


def transparency(*, with_leaves: bool = True) -> dict:
    deployments = ChainDeployment.objects.order_by("-created_at")
    return {
        "units_per_point": str(UNITS_PER_POINT),
        "leaf_encoding": ["address", "uint256"],
        "format": "standard-v1",
        "contracts": [
            {
                "network": d.network,
                "chain_id": d.chain_id,
                "token": d.token_address,
                "distributor": d.distributor_address,
            }
            for d in deployments
            if d.distributor_address
        ],
        "epochs": [
            epoch_dict(e, with_leaves=with_leaves)
            for e in Epoch.objects.select_related("chain_tx").order_by("-number")
        ],
    }


def prerelease_disclosures() -> dict:
    """Pre-release commitments (preimage and results once disclosed) and, per
    organisation, how many models it has in testing now: all public."""
    rows = Commitment.objects.select_related("chain_tx", "organization").order_by("-id")
    return {
        "in_testing": [
            {"organization": org, "models": n}
            for org, n in evals_selectors.models_in_testing_by_organization().items()
        ],
        "commitments": [commitment_as_dict(c) for c in rows],
        "preimage_format": "sha256(UTF-8 of JSON {codename, organization, salt, started_at, v},"
        " keys sorted, separators (',', ':'), non-ASCII as is)",
    }


def prerelease_commitment(*, commitment_id: int) -> dict | None:
    """One commitment's public view, or None."""
    if not 0 < commitment_id < 2**63:  # a URL's number the database cannot hold
        return None
    c = (
        Commitment.objects.select_related("chain_tx", "organization")
        .filter(pk=commitment_id)
        .first()
    )
    return commitment_as_dict(c) if c is not None else None


def payout_queue(*, now=None) -> dict:
    """What waits on the payout worker: redemptions not yet settled and chain
    transactions not yet final, with the age of the oldest of each."""
    from django.db.models import Count, Min
    from django.utils import timezone

    now = now or timezone.now()
    open_redemptions = Redemption.objects.filter(
        status__in=[
            Redemption.Status.PENDING,
            Redemption.Status.PUBLISHING,
            Redemption.Status.CLAIMABLE,
        ]
    ).aggregate(n=Count("pk"), oldest=Min("created_at"))
    open_txs = ChainTx.objects.filter(status__in=ChainTx.OPEN).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )

    def age(row):
        return round((now - row["oldest"]).total_seconds(), 1) if row["oldest"] else 0.0

    return {
        "redemptions_open": open_redemptions["n"],
        "oldest_redemption_age_s": age(open_redemptions),
        "chain_txs_pending": open_txs["n"],
        "oldest_chain_tx_age_s": age(open_txs),
    }


def chain_txs_by_state() -> dict[tuple[str, str], int]:
    """Chain transactions counted by (purpose, status): the payout machinery at a glance."""
    from django.db.models import Count

    rows = ChainTx.objects.values("purpose", "status").annotate(n=Count("pk"))
    return {(r["purpose"], r["status"]): r["n"] for r in rows}


LEDGER_CHECK_CACHE_KEY = "rewards:ledger-balance-check"


def ledger_balance_check() -> dict:
    """User accounts whose stored balance differs from the sum of their entries
    (``mismatched_accounts``), and how old that count is (``age_s``).

    The count reads every ledger entry (1.2 s for a million entries on
    PostgreSQL) and /healthz is polled every 10-30 s by each load balancer and
    monitor: the count is kept in the shared cache for
    ``HEALTH_LEDGER_CHECK_EVERY_S`` seconds, so one request per period pays
    for it, whichever process answers. A mismatch is a bug that stays until
    someone repairs it, so a count a few minutes old still tells it.
    """
    import time

    from django.core.cache import cache

    every = settings.HEALTH_LEDGER_CHECK_EVERY_S
    found = cache.get(LEDGER_CHECK_CACHE_KEY) if every > 0 else None
    if found is None:
        found = {"mismatched_accounts": ledger.balance_mismatch_count(), "at": time.time()}
        if every > 0:
            cache.set(LEDGER_CHECK_CACHE_KEY, found, timeout=every)
    return {
        "mismatched_accounts": found["mismatched_accounts"],
        "age_s": round(time.time() - found["at"], 1),
    }


def chain_head() -> dict:
    """The chain node's head block, or why it cannot be read. Never call inside a
    transaction: it waits on the node."""

    if chain.is_embedded():
        return {"ok": True, "node": "embedded", "head": chain.head()}
    try:
        return {"ok": True, "node": "rpc", "head": chain.head()}
    except chain.ChainUnavailable as exc:
        return {"ok": False, "node": "rpc", "error": str(exc) or "unreachable"}


def wallet_address_of(*, user) -> str | None:
    """The address of the wallet linked to ``user``, or None."""
    return Wallet.objects.filter(user=user).values_list("address", flat=True).first()
