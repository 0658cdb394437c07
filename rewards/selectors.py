"""Reads for the rewards pages and APIs."""

from django.conf import settings

from rewards.merkle import UNITS_PER_POINT
from rewards.models import ChainDeployment, ChainTx, Entry, Epoch, Redemption, Wallet
from rewards.services import ledger

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


def redemption_dict(r: Redemption) -> dict:
    epoch = r.epoch
    return {
        "id": str(r.id),
        "points": r.points,
        "address": r.address,
        "status": r.status,
        "status_label": Redemption.Status(r.status).label,
        "epoch": epoch.number if epoch else None,
        "publish_tx": _tx_dict(epoch.chain_tx) if epoch else None,
        "claim_tx": r.claim_tx_hash or None,
        "cancel_reason": r.cancel_reason or None,
        "created_at": r.created_at.isoformat(),
    }


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
        "history": [
            {
                "amount": e.amount,
                "kind": e.transaction.kind,
                "memo": e.transaction.memo,
                "at": e.created_at.isoformat(),
            }
            for e in history
        ],
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
