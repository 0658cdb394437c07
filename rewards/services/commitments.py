"""Pre-release commitments: published at entry, recorded on chain, disclosed at the end.

A provider that tests a model under a codename commits to it in public at entry:
the digest below is listed on /transparency/ and anchored on chain. When testing
ends (release or withdrawal) the preimage and the results are published whatever
they are, so anyone can check that every model a provider tested was disclosed.

The canonical preimage (README, "Pre-release testing") is the UTF-8 bytes of the
JSON object ``{"codename", "organization", "salt", "started_at", "v"}`` with its
keys sorted, no whitespace (``separators=(",", ":")``) and non-ASCII characters
as they are (``ensure_ascii=False``); ``started_at`` is ISO 8601 UTC to the
second ending in ``Z``, ``salt`` 32 random bytes in lower-case hex (so that the
codename cannot be guessed from the digest), ``v`` is 1. The digest is
``"0x" + sha256(preimage).hexdigest()``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import UTC, datetime

from django.utils import timezone

from rewards import chain
from rewards.models import ChainTx, Commitment

log = logging.getLogger(__name__)

PREIMAGE_VERSION = 1


def commitment_timestamp(at: datetime) -> str:
    """``at`` as the preimage writes it: ISO 8601 UTC, whole seconds, ``Z``."""
    return at.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def commitment_preimage(*, codename: str, organization: str, started_at: str, salt: str) -> str:
    """The canonical preimage (a str; its UTF-8 bytes are hashed)."""
    return json.dumps(
        {
            "codename": codename,
            "organization": organization,
            "salt": salt,
            "started_at": started_at,
            "v": PREIMAGE_VERSION,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def commitment_digest(preimage: str) -> str:
    """``0x`` + the sha256 of the preimage's UTF-8 bytes."""
    return "0x" + hashlib.sha256(preimage.encode("utf-8")).hexdigest()


def commitment_create(
    *, model_id: int, organization, codename: str, started_at: datetime
) -> Commitment:
    """Store the commitment of a model entering testing, in the caller's transaction.

    Nothing goes to the chain here (never inside a transaction): ``commitment_send``
    does after the commit, and the payout worker retries what it could not send.
    """
    preimage = commitment_preimage(
        codename=codename,
        organization=organization.slug,
        started_at=commitment_timestamp(started_at),
        salt=secrets.token_hex(32),
    )
    return Commitment.objects.create(
        model_id=model_id,
        organization=organization,
        digest=commitment_digest(preimage),
        preimage=preimage,
        created_at=timezone.now(),
    )


def _label(commitment: Commitment) -> str:
    return f"commit:{commitment.digest}"


def commitment_send(*, commitment: Commitment) -> Commitment:
    """Sign, store and broadcast the commitment's on-chain record (or move it on).

    Never inside a transaction. The signed transaction is linked to the commitment
    in the commit that stores it, before the broadcast (``chain.submit``'s
    ``record``), so a crash in between leaves a stored transaction that the
    worker sends again as it was, not a second one.
    """
    commitment.refresh_from_db()
    tx = commitment.chain_tx
    if tx is not None and tx.status == ChainTx.Status.DROPPED:
        Commitment.objects.filter(pk=commitment.pk, chain_tx=tx).update(chain_tx=None)
        commitment.refresh_from_db()
        tx = None
    if tx is not None:
        chain.progress(tx)
        commitment.refresh_from_db()
        return commitment
    to, data = chain.commit_call(digest=commitment.digest)
    chain.submit(
        label=_label(commitment),
        purpose=ChainTx.Purpose.COMMIT,
        to=to,
        data=data,
        record=lambda stored: Commitment.objects.filter(
            pk=commitment.pk, chain_tx__isnull=True
        ).update(chain_tx=stored),
    )
    commitment.refresh_from_db()
    return commitment


def commitments_send_pending() -> int:
    """The worker's pass: send every commitment without a live on-chain record."""
    sent = 0
    pending = Commitment.objects.filter(chain_tx__isnull=True) | Commitment.objects.filter(
        chain_tx__status=ChainTx.Status.DROPPED
    )
    for commitment in pending.order_by("id"):
        try:
            commitment_send(commitment=commitment)
        except chain.ChainReverted as exc:  # a plain value transfer to itself: not expected
            log.error("commitment %s would revert: %s", commitment.digest, exc)
            continue
        sent += 1
    return sent


def commitment_disclose(
    *, model_id: int, outcome: str, released_name: str, results: dict
) -> Commitment | None:
    """Publish the preimage and the results of a model whose testing ended.

    In the caller's transaction (which holds the model's row lock). Returns None
    when the model has no commitment or it was disclosed already: a second
    release or withdrawal cannot overwrite what was published.
    """
    if outcome not in (Commitment.Outcome.RELEASED, Commitment.Outcome.WITHDRAWN):
        raise ValueError(f"not an end of testing: {outcome!r}")
    now = timezone.now()
    changed = Commitment.objects.filter(
        model_id=model_id, outcome=Commitment.Outcome.TESTING
    ).update(outcome=outcome, released_name=released_name, results=results, disclosed_at=now)
    if not changed:
        return None
    return Commitment.objects.get(model_id=model_id)


class CommitmentMismatch(Exception):
    """A published commitment does not check out; the message says which part."""


def commitment_check(
    *, digest: str, preimage: str, tx_hash: str, sender: str | None = None
) -> chain.CommitmentRecord:
    """Recompute the digest from ``preimage`` and compare it with ``digest`` and
    the on-chain record of ``tx_hash``; raise CommitmentMismatch on any difference.

    Reads only (``chain.ChainUnavailable`` when the node cannot be reached).
    """
    recomputed = commitment_digest(preimage)
    if recomputed.lower() != digest.lower():
        raise CommitmentMismatch(
            f"the preimage hashes to {recomputed}, not to the published digest {digest}"
        )
    record = chain.commitment_record_onchain(tx_hash=tx_hash)
    if record is None:
        raise CommitmentMismatch(f"the chain this process reads has no transaction {tx_hash}")
    if not record.succeeded:
        raise CommitmentMismatch(f"transaction {tx_hash} is not mined successfully")
    if record.data.lower() != digest.lower():
        raise CommitmentMismatch(
            f"transaction {tx_hash} records {record.data}, not the digest {digest}"
        )
    if sender and record.sender.lower() != sender.lower():
        raise CommitmentMismatch(
            f"transaction {tx_hash} was sent by {record.sender}, not by the service ({sender})"
        )
    return record


def commitment_as_dict(commitment: Commitment) -> dict:
    """The public view of a commitment: preimage and results only once disclosed."""
    tx = commitment.chain_tx
    disclosed = commitment.disclosed_at is not None
    return {
        "id": commitment.pk,
        "digest": commitment.digest,
        "organization": commitment.organization.name,
        "organization_slug": commitment.organization.slug,
        "outcome": commitment.outcome,
        "committed_at": commitment.created_at.isoformat(),
        "network": tx.network if tx else None,
        "sender": tx.sender if tx else None,
        "tx": (
            {"hash": tx.tx_hash, "status": tx.status, "block": tx.block_number}
            if tx is not None
            else None
        ),
        "disclosed_at": commitment.disclosed_at.isoformat() if disclosed else None,
        "preimage": commitment.preimage if disclosed else None,
        "released_name": commitment.released_name if disclosed else None,
        "results": commitment.results if disclosed else None,
    }


def commitment_publish(*, commitment: Commitment) -> Commitment:
    """``commitment_send`` at entry: a node that is down leaves it to the payout worker."""
    try:
        return commitment_send(commitment=commitment)
    except (chain.ChainUnavailable, chain.ChainReverted) as exc:
        log.warning("commitment %s not sent now, the worker retries: %s", commitment.digest, exc)
        commitment.refresh_from_db()
        return commitment


def commitment_for_model(*, model_id: int) -> Commitment | None:
    """The commitment of a model, with its chain transaction (None: it has none)."""
    return Commitment.objects.select_related("chain_tx").filter(model_id=model_id).first()
