"""Writes for the data market: consent, freezing a version, its review and registration steps.

Battles and votes are read through evals' selectors, voters' reliability through
evals.quality's; the chain is reached by the flow (datafi.flows.market), never here.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from datafi.accounts import services as accounts
from datafi.errors import ApiError
from datafi.market import canonical, scrub, split
from datafi.market.models import (
    DataSaleConsent,
    DatasetProduct,
    DatasetVersion,
    DownloadLog,
    Purchase,
    SaleShare,
    ScrubFinding,
    VersionLeftOut,
    VersionRow,
)
from evals import selectors as evals_selectors
from evals.provider.selectors import voter_pseudonym
from evals.quality import selectors as quality_selectors

log = logging.getLogger(__name__)
SCRUBBED_FIELDS = ("prompt", "response_a", "response_b")
VersionStatus = DatasetVersion.Status
INSERT_BATCH = 2000


# --- consent ------------------------------------------------------------------------


@transaction.atomic
def consent_set(*, user, agreed: bool, source: str = "settings") -> DataSaleConsent:
    """Record whether ``user`` agrees to their votes being sold; applies to later versions.

    The "no" of a deleted account is final: no later call turns it back.
    """
    if not isinstance(agreed, bool):
        raise ApiError("bad_consent", _("Consent is yes or no."))
    if source not in DataSaleConsent.Source.values:
        raise ValueError(f"unknown consent source {source!r}")
    now = timezone.now()
    # Locked, and read again after a lost insert race: a change from a page
    # still open in another tab must not turn a deletion's "no" back into a yes
    # (update_or_create would overwrite it once the deletion commits).
    row = DataSaleConsent.objects.select_for_update().filter(user_id=user.pk).first()
    if row is None:
        try:
            with transaction.atomic():
                return DataSaleConsent.objects.create(
                    user_id=user.pk, agreed=agreed, changed_at=now, source=source
                )
        except IntegrityError:
            row = DataSaleConsent.objects.select_for_update().get(user_id=user.pk)
    if row.source == DataSaleConsent.Source.DELETION:
        if source == DataSaleConsent.Source.DELETION:
            return row
        raise ApiError(
            "account_deleted",
            _("This account was deleted: its votes stay out of every later dataset version."),
            status_code=409,
        )
    row.agreed, row.changed_at, row.source = agreed, now, source
    row.save(update_fields=["agreed", "changed_at", "source"])
    return row


# --- products -----------------------------------------------------------------------


@transaction.atomic(durable=True)
def product_create(*, operator, **fields) -> DatasetProduct:
    """Define a dataset product (its filter, card, licence, per-model terms and price)."""
    product = DatasetProduct(created_by=operator, **fields)
    try:
        product.full_clean()
    except ValidationError as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        raise ApiError("bad_product", detail) from None
    product.save()
    return product


# --- freezing a version -------------------------------------------------------------


class _Prompts:
    """Collapses duplicate prompts: one canonical (scrubbed) text per normalised text."""

    def __init__(self):
        self.by_key: dict[str, tuple[str, list]] = {}  # key -> (scrubbed text, findings)
        self.raw_by_key: dict[str, set[str]] = {}
        self.ids_by_key: dict[str, set[int]] = {}
        self.key_by_id: dict[int, str] = {}  # a prompt record's text is the same in every row
        self.exact_duplicates = 0
        self.normalised_duplicates = 0

    def get(self, battle) -> tuple[str, str, list]:
        key = self.key_by_id.get(battle.prompt_id)
        if key is None:
            key = self.key_by_id[battle.prompt_id] = canonical.prompt_key(battle.prompt)
        ids = self.ids_by_key.setdefault(key, set())
        if battle.prompt_id not in ids:
            if ids:
                # Another prompt record with the same text (exactly, or once normalised).
                if battle.prompt in self.raw_by_key[key]:
                    self.exact_duplicates += 1
                else:
                    self.normalised_duplicates += 1
            ids.add(battle.prompt_id)
            self.raw_by_key.setdefault(key, set()).add(battle.prompt)
        if key not in self.by_key:
            self.by_key[key] = scrub.scrub(battle.prompt, language=battle.language)
        text, findings = self.by_key[key]
        return key, text, findings


def _finding_rows(version, battle_id, field: str, masked: str, findings) -> list[ScrubFinding]:
    counts = Counter(f.kind for f in findings)
    return [
        ScrubFinding(
            version=version,
            battle_id=battle_id,
            field=field,
            kind=kind,
            count=n,
            excerpt=scrub.excerpt(masked, around=scrub.MASKS[kind])[:200],
        )
        for kind, n in sorted(counts.items())
    ]


def _card_section(*, rows: int, prompts: int, dedup: dict, scrub_counts: dict, left_out: dict):
    lines = [
        "",
        "## This version",
        "",
        f"- Rows (voted battles): {rows}; distinct prompts: {prompts}.",
        f"- Duplicate prompts collapsed: {dedup['exact'] + dedup['normalised']} "
        f"({dedup['exact']} exact, {dedup['normalised']} equal once normalised: case, "
        "width, punctuation and spacing ignored).",
        f"- Repeated judgements dropped (the same voter, prompt and pair of models): "
        f"{dedup['repeated_judgements']}.",
        "- Personal data masked: "
        + (", ".join(f"{k} {v}" for k, v in sorted(scrub_counts.items())) or "none")
        + ".",
        f"- Votes left out: {left_out['no_consent']} (the contributor did not agree to their "
        f"data being sold), {left_out['reliability']} (voter reliability below the minimum).",
    ]
    return "\n".join(lines)


def _product_filters(product: DatasetProduct) -> dict:
    """The product's filter as evals' dataset selectors take it."""
    return {
        "categories": product.categories,
        "languages": product.languages,
        "model_slugs": product.model_slugs,
        "voted_from": product.voted_from,
        "voted_until": product.voted_until,
        "modes": [
            m
            for m, on in (("stored", product.include_stored), ("live", product.include_live))
            if on
        ],
    }


def product_votes_count(*, product_id: int) -> int:
    """How many counted votes match a product's filter (before consent and reliability)."""
    product = DatasetProduct.objects.filter(pk=product_id).first()
    if product is None:
        raise ApiError("not_found", _("No such dataset."), status_code=404)
    return evals_selectors.dataset_battles_count(**_product_filters(product))


@transaction.atomic(durable=True)
def version_freeze(
    *,
    product_id: int,
    operator,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> DatasetVersion:
    """Freeze a new version of a product: its rows (consenting contributors only, reliable
    enough, PII-scrubbed, duplicates collapsed), their root and metadata, the scrub report.

    The version then awaits the operator's review; nothing is sent to the chain here.
    ``on_progress(votes read so far)`` is called after each chunk (a command's bar).
    """
    now = now or timezone.now()
    # One freeze per product at a time: the version number is taken under this lock.
    product = DatasetProduct.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise ApiError("not_found", _("No such dataset."), status_code=404)
    filters = _product_filters(product)
    modes = filters["modes"]
    consenting = set(DataSaleConsent.objects.filter(agreed=True).values_list("user_id", flat=True))
    prompts = _Prompts()
    answers: dict[int, tuple[str, list]] = {}
    seen_judgements: set[tuple] = set()
    left_out = {"no_consent": 0, "reliability": 0}
    left_out_by_voter: Counter[int] = Counter()  # reliability only: told on My data
    repeated = 0
    # Kept per row: the voter's id, the row (whose texts are the scrub caches' shared
    # strings) and its leaf; canonical bytes are made again at insert time rather than
    # held for every row (they repeat both answers: gigabytes over a million votes).
    # Every row is held until the root is known, so what repeats across rows is held
    # once: the voter's pseudonym, and the short values the database driver hands out
    # as a new string per row (slugs, category, language, mode, winner, reason tags).
    # bench/market.py, 807,464 rows: peak resident set 1.95 GB before, 1.25 GB after.
    pending = []  # (voter id, row dict, leaf)
    pseudonyms: dict[int, str] = {}
    scores: dict[int, tuple[float, bool]] = {}
    shared: dict[str, str] = {}
    one = shared.setdefault
    flagged = []  # (battle id, field, masked text, findings): rows the scrubber touched
    scrub_counts = Counter()
    slugs: set[str] = set()
    keys: set[str] = set()
    read = 0
    for chunk in evals_selectors.dataset_battles(**filters):
        read += len(chunk)
        if on_progress is not None:
            on_progress(read)
        # Each voter's reliability is read once, at their first vote in the scan: one
        # score per voter for the whole version (and no query per chunk for voters seen).
        unseen = {b.voter_id for b in chunk}.difference(scores)
        if unseen:
            scores.update(quality_selectors.voter_reliability_scores(user_ids=unseen))
        for battle in chunk:
            if battle.voter_id not in consenting:
                left_out["no_consent"] += 1
                continue
            score, excluded = scores[battle.voter_id]
            if excluded or score < product.min_reliability:
                left_out["reliability"] += 1
                left_out_by_voter[battle.voter_id] += 1
                continue
            key, prompt_text, prompt_findings = prompts.get(battle)
            model_a, model_b = (
                one(battle.model_a, battle.model_a),
                one(battle.model_b, battle.model_b),
            )
            # The unordered pair in order, in a tuple of plain values: the garbage
            # collector stops tracking it (a frozenset it would walk on every pass).
            judgement = (battle.voter_id, key, *sorted((model_a, model_b)))
            if judgement in seen_judgements:
                repeated += 1
                continue
            seen_judgements.add(judgement)
            texts = {}
            for field, answer_id, text in (
                ("response_a", battle.answer_a_id, battle.response_a),
                ("response_b", battle.answer_b_id, battle.response_b),
            ):
                if answer_id not in answers:
                    answers[answer_id] = scrub.scrub(text, language=battle.language)
                texts[field] = answers[answer_id]
            judge = pseudonyms.get(battle.voter_id)
            if judge is None:
                judge = pseudonyms[battle.voter_id] = voter_pseudonym(battle.voter_public_id)
            row = {
                "battle_id": battle.battle_id.hex,
                "voted_at": canonical.timestamp(battle.voted_at),
                "mode": one(battle.mode, battle.mode),
                "category": one(battle.category, battle.category),
                "language": one(battle.language, battle.language),
                "prompt": prompt_text,
                "prompt_key": key,
                "model_a": model_a,
                "model_b": model_b,
                "response_a": texts["response_a"][0],
                "response_b": texts["response_b"][0],
                "winner": one(battle.choice, battle.choice),
                "reasons": [one(tag, tag) for tag in battle.reasons or []],
                "judge": judge,
            }
            for field, (masked, found) in (
                ("prompt", (prompt_text, prompt_findings)),
                ("response_a", texts["response_a"]),
                ("response_b", texts["response_b"]),
            ):
                if found:
                    flagged.append((battle.battle_id, field, masked, found))
                    scrub_counts.update(f.kind for f in found)
            slugs.update((model_a, model_b))
            keys.add(key)
            leaf = canonical.leaf_of_bytes(canonical.row_bytes(row))
            pending.append((battle.voter_id, row, leaf))

    if not pending:
        raise ApiError(
            "empty_version",
            _("No counted vote matches this dataset's filter (with consent and reliability)."),
            status_code=409,
        )
    in_version = sorted(slugs)
    missing = [slug for slug in in_version if not str(product.model_terms.get(slug, "")).strip()]
    if missing:
        raise ApiError(
            "model_terms_missing",
            _("State the provider's terms for the outputs of: %(models)s.")
            % {"models": ", ".join(missing)},
            status_code=409,
        )

    root = canonical.tree(leaf for _v, _r, leaf in pending).root()
    dedup = {
        "exact": prompts.exact_duplicates,
        "normalised": prompts.normalised_duplicates,
        "repeated_judgements": repeated,
    }
    number = (product.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    card = (
        product.card.rstrip()
        + "\n"
        + _card_section(
            rows=len(pending),
            prompts=len(keys),
            dedup=dedup,
            scrub_counts=dict(scrub_counts),
            left_out=left_out,
        )
    )
    metadata = {
        "dataset": product.slug,
        "dataset_id": product.pk,
        "version": number,
        "title": product.title,
        "card": card,
        "licence": {
            "prompts_and_votes": product.licence,
            "model_outputs": {slug: str(product.model_terms[slug]) for slug in in_version},
        },
        "price": {"amount": str(product.price_amount), "currency": product.price_currency},
        "filter": {
            "categories": sorted(product.categories),
            "languages": sorted(product.languages),
            "models": sorted(product.model_slugs),
            "voted_from": canonical.timestamp(product.voted_from) if product.voted_from else "",
            "voted_until": canonical.timestamp(product.voted_until) if product.voted_until else "",
            "min_reliability": str(product.min_reliability),
            "modes": modes,
        },
        "row_format": canonical.ROW_FORMAT,
        "rows": len(pending),
        "prompts": len(keys),
        "dedup": dedup,
        "scrub": dict(sorted(scrub_counts.items())),
        "left_out": left_out,
        "frozen_at": canonical.timestamp(now),
        "card_sha256": hashlib.sha256(card.encode("utf-8")).hexdigest(),
    }
    version = DatasetVersion.objects.create(
        product=product,
        number=number,
        row_format=canonical.ROW_FORMAT,
        root=root,
        row_count=len(pending),
        metadata=metadata,
        metadata_hash=canonical.metadata_hash(metadata),
        scrub_counts=dict(sorted(scrub_counts.items())),
        dedup=dedup,
        frozen_at=now,
        frozen_by=operator,
    )
    # In slices: bulk_create lists what it is given, and each row repeats both answers.
    for start in range(0, len(pending), INSERT_BATCH):
        VersionRow.objects.bulk_create(
            VersionRow(
                version=version,
                position=start + k,
                battle_id=uuid.UUID(row["battle_id"]),
                voter_id=voter_id,
                leaf=leaf,
                canonical=canonical.row_bytes(row).decode("utf-8"),
            )
            for k, (voter_id, row, leaf) in enumerate(pending[start : start + INSERT_BATCH])
        )
    ScrubFinding.objects.bulk_create(
        (
            finding
            for battle_id, field, masked, found in flagged
            for finding in _finding_rows(version, battle_id, field, masked, found)
        ),
        batch_size=2000,
    )
    VersionLeftOut.objects.bulk_create(
        (
            VersionLeftOut(
                version=version,
                user_id=uid,
                votes=n,
                reliability=float(scores[uid][0]),
                excluded=bool(scores[uid][1]),
            )
            for uid, n in sorted(left_out_by_voter.items())
        ),
        batch_size=2000,
    )
    return version


# --- review and registration --------------------------------------------------------


def _version_move(version_id: int, *, from_status: str, **fields) -> DatasetVersion:
    # A conditional UPDATE: exactly one caller moves a version out of a state
    # (two operators clicking "publish" at once send one registration).
    moved = DatasetVersion.objects.filter(pk=version_id, status=from_status).update(**fields)
    version = DatasetVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise ApiError("not_found", _("No such dataset version."), status_code=404)
    if moved != 1:
        raise ApiError(
            "wrong_state",
            _("This version is %(status)s, not %(expected)s.")
            % {"status": version.get_status_display(), "expected": from_status},
            status_code=409,
        )
    return version


@transaction.atomic(durable=True)
def version_review(*, version_id: int, operator, approve: bool, note: str = "") -> DatasetVersion:
    """The operator's decision on a frozen version after reading its PII report."""
    if operator is None or not getattr(operator, "is_staff", False):
        raise ApiError("forbidden", _("Only an operator reviews a version."), status_code=403)
    status = DatasetVersion.Status.APPROVED if approve else DatasetVersion.Status.DISCARDED
    return _version_move(
        version_id,
        from_status=DatasetVersion.Status.FROZEN,
        status=status,
        reviewed_by=operator,
        reviewed_at=timezone.now(),
        review_note=note[:2000],
    )


@transaction.atomic(durable=True)
def version_registration_start(*, version_id: int, network: str) -> DatasetVersion:
    """Record that an approved version's registration is about to be sent (before any send)."""
    return _version_move(
        version_id,
        from_status=DatasetVersion.Status.APPROVED,
        status=DatasetVersion.Status.REGISTERING,
        network=network,
        last_error="",
    )


def version_registration_link(*, version_id: int, tx_hash: str) -> None:
    """Point the version at its signed registration (runs in the chain's storing commit)."""
    DatasetVersion.objects.filter(
        pk=version_id, status=DatasetVersion.Status.REGISTERING, tx_hash=""
    ).update(tx_hash=tx_hash)


@transaction.atomic(durable=True)
def version_registration_confirmed(
    *, version_id: int, tx_hash: str, block_number: int
) -> DatasetVersion:
    """The registration has its confirmations: the version is published."""
    moved = DatasetVersion.objects.filter(
        pk=version_id, status=DatasetVersion.Status.REGISTERING, tx_hash=tx_hash
    ).update(
        status=DatasetVersion.Status.PUBLISHED,
        block_number=block_number,
        published_at=timezone.now(),
        last_error="",
    )
    version = DatasetVersion.objects.get(pk=version_id)
    if moved != 1 and version.status != DatasetVersion.Status.PUBLISHED:
        raise ApiError("wrong_state", _("This version is not being registered."), status_code=409)
    return version


@transaction.atomic(durable=True)
def version_registration_failed(*, version_id: int, error: str) -> DatasetVersion:
    """The registration reverted or was lost: back to approved, to be sent again."""
    DatasetVersion.objects.filter(pk=version_id, status=DatasetVersion.Status.REGISTERING).update(
        status=DatasetVersion.Status.APPROVED, tx_hash="", network="", last_error=error[:300]
    )
    return DatasetVersion.objects.get(pk=version_id)


# --- buying -------------------------------------------------------------------------

PurchaseStatus = Purchase.Status
USD_MINOR_DIGITS = 2


def sellable_version(*, product_slug: str, number: int) -> DatasetVersion:
    """A published version by slug and number, or a 404 in plain words."""
    version = (
        DatasetVersion.objects.select_related("product")
        .filter(product__slug=product_slug, number=number)
        .first()
    )
    if version is None or version.status != DatasetVersion.Status.PUBLISHED:
        raise ApiError(
            "not_found",
            _("No published version %(number)s of dataset %(dataset)s.")
            % {"number": number, "dataset": product_slug},
            status_code=404,
        )
    if version.product.price_currency != "USD":
        raise ApiError(
            "not_for_sale",
            _("This dataset is priced in %(currency)s: ask an operator to record the payment.")
            % {"currency": version.product.price_currency},
            status_code=409,
        )
    if version.product.price_amount < 1:
        # The admin accepts a price of 0, but a purchase is for at least one unit (the
        # database refuses less): the order was signed, then failed with a 500.
        raise ApiError(
            "not_for_sale",
            _("This dataset has no price yet: it cannot be ordered. Ask an operator."),
            status_code=409,
        )
    return version


def price_in_units(*, version: DatasetVersion, decimals: int) -> int:
    """The version's price (USD cents) in a USD token's base units."""
    if decimals < USD_MINOR_DIGITS:
        raise ApiError("bad_token", _("The payment token has too few decimals."), 409)
    units = version.product.price_amount * 10 ** (decimals - USD_MINOR_DIGITS)
    # A purchase stores its amount in a 64-bit column: in an 18-decimal token
    # (DAI) a price above about 9.22 USD does not fit, and the order was
    # signed, then its insert failed with a 500. Refused before signing, until
    # the column is widened (README, known gaps).
    most = connection.ops.integer_field_range(
        Purchase._meta.get_field("amount").get_internal_type()
    )[1]
    if units > most:
        log.error("%s costs %d units of a %d-decimal token: more than a purchase holds",
                  version, units, decimals)  # fmt: skip
        raise ApiError(
            "price_too_large",
            _(
                "This dataset's price is more than one order can hold in the payment token "
                "(%(decimals)d decimals); nothing was ordered. Ask an operator."
            )
            % {"decimals": decimals},
            status_code=409,
        )
    return units


@transaction.atomic(durable=True)
def order_create(
    *,
    version_id: int,
    organization_id: int,
    user,
    order_id: str,
    buyer_address: str,
    amount: int,
    decimals: int,
    network: str,
    market_address: str,
    token_address: str,
    deadline: int,
    quote: str,
    now=None,
) -> Purchase:
    """Store a signed on-chain order (before the buyer's wallet can pay it).

    Raises ``OrderWaiting`` when another order of the organisation for the same
    version still waits for its payment (the database's one-awaiting rule)."""
    try:
        with transaction.atomic():
            # The version row, locked until this order commits: an operator's
            # off-chain sale of it (``purchase_record_offchain_locked``, which
            # locks it too) is either committed and seen here, or waits and
            # sees this order. (The foreign key alone would not wait: Django's
            # are checked at commit.) Two sales would pay its contributors twice.
            DatasetVersion.objects.select_for_update(no_key=True).filter(pk=version_id).first()
            if Purchase.objects.filter(
                organization_id=organization_id, version_id=version_id, status=Purchase.Status.PAID
            ).exists():
                raise AlreadyBought()
            purchase = Purchase.objects.create(
                version_id=version_id,
                organization_id=organization_id,
                method=Purchase.Method.CHAIN,
                status=Purchase.Status.AWAITING,
                amount=amount,
                decimals=decimals,
                currency="USD",
                order_id=order_id,
                buyer_address=buyer_address,
                network=network,
                market_address=market_address,
                token_address=token_address,
                deadline=deadline,
                quote=quote,
                created_by=user if getattr(user, "pk", None) else None,
                created_at=now or timezone.now(),
            )
            return purchase
    except IntegrityError as exc:
        waiting = Purchase.objects.filter(
            organization_id=organization_id, version_id=version_id, status=Purchase.Status.AWAITING
        ).first()
        if waiting is None:
            raise
        raise OrderWaiting(waiting) from exc


class AlreadyBought(Exception):
    """The organisation has bought the version (found under the version row's lock)."""


class OrderWaiting(Exception):
    """Another order of the organisation for the version waits for its payment."""

    def __init__(self, purchase):
        super().__init__(f"order {purchase.pk} waits for its payment")
        self.purchase = purchase


def contributor_weights(*, version_id: int) -> dict[int, tuple[int, float, bool]]:
    """(counted votes in the version, reliability now, excluded now) per contributor
    who can be paid.

    Left out: accounts deleted or deactivated since the version was frozen. A voter
    the quality rules exclude now is kept with weight 0, so that the sale records
    why they got nothing.
    """
    votes = dict(
        VersionRow.objects.filter(version_id=version_id)
        .values_list("voter_id")
        .annotate(n=Count("id"))
        .values_list("voter_id", "n")
    )
    # Locked for the rest of the sale's transaction: a deletion racing the sale
    # either leaves the account out or counts its share (see users_lock_active).
    active = accounts.users_lock_active(user_ids=votes)
    scores = quality_selectors.voter_reliability_scores(user_ids=active)
    return {
        uid: (n, 0.0 if scores[uid][1] else float(scores[uid][0]), bool(scores[uid][1]))
        for uid, n in votes.items()
        if uid in active
    }


def _sale_split(*, version_id: int, amount: int, decimals: int) -> tuple[split.Split, dict]:
    """A sale of ``amount`` (``decimals`` digits) in points, split among the version's
    contributors as they stand now; returns the split and their (votes, reliability,
    excluded)."""
    contributors = contributor_weights(version_id=version_id)
    points = split.sale_points(
        amount=amount, decimals=decimals, points_per_major=settings.MARKET_POINTS_PER_USD
    )
    result = split.split(
        points=points,
        fee_percent=settings.MARKET_PLATFORM_FEE_PERCENT,
        weights={
            uid: split.weight(votes=n, reliability=r) for uid, (n, r, _x) in contributors.items()
        },
    )
    return result, contributors


def _shares_create(purchase: Purchase, result: split.Split, contributors: dict) -> None:
    """A row per contributor, those who got nothing too (with why: excluded, or a
    share under one point), so that each can read what the sale gave them."""
    SaleShare.objects.bulk_create(
        SaleShare(
            purchase=purchase,
            user_id=uid,
            votes=votes,
            reliability=reliability,
            excluded=excluded,
            points=result.shares.get(uid, 0),
        )
        for uid, (votes, reliability, excluded) in sorted(contributors.items())
    )


def _paid(purchase: Purchase, *, now, **fields) -> split.Split:
    """Mark a locked awaiting (or expired) order paid: its sale in points, the split,
    the shares (once). The database refuses any later change to a paid purchase."""
    result, contributors = _sale_split(
        version_id=purchase.version_id, amount=purchase.amount, decimals=purchase.decimals
    )
    Purchase.objects.filter(pk=purchase.pk).update(
        status=Purchase.Status.PAID,
        paid_at=now,
        sale_points=result.sale_points,
        fee_points=result.fee_points,
        **fields,
    )
    _shares_create(purchase, result, contributors)
    purchase.refresh_from_db()
    return result


def purchase_paid_onchain_locked(
    *,
    order_id: str,
    buyer: str,
    dataset: int,
    version: int,
    amount: int,
    network: str,
    tx_hash: str,
    log_index: int,
    block_number: int,
    now=None,
) -> tuple[Purchase, split.Split] | None:
    """A confirmed Purchased event: its order becomes paid, once. Runs inside the
    transaction of the event scan; None when there is nothing (more) to book: the
    event was booked before, or it pays no order of ours (logged by the caller).
    """
    purchase = (
        Purchase.objects.select_for_update()
        .select_related("version")
        .filter(order_id=order_id.lower(), method=Purchase.Method.CHAIN)
        .first()
    )
    if purchase is None or purchase.status == Purchase.Status.PAID:
        return None
    expected = (
        purchase.version.product_id,
        purchase.version.number,
        purchase.amount,
        purchase.buyer_address.lower(),
    )
    if (dataset, version, amount, buyer.lower()) != expected:
        # The contract checks the quote, so only a quote signed for other terms gets here.
        # Raising would roll the scan back and stop every later purchase at this event:
        # the order stays awaiting, for an operator to settle from this log line.
        log.error(
            "the Purchased event of order %s (tx %s) does not match the order: %s != %s",
            order_id,
            tx_hash,
            (dataset, version, amount, buyer.lower()),
            expected,
        )
        return None
    result = _paid(
        purchase,
        now=now or timezone.now(),
        network=network,
        tx_hash=tx_hash,
        log_index=log_index,
        block_number=block_number,
    )
    return purchase, result


# The most one off-chain payment may record: a billion dollars (a typo's guard).
OFFCHAIN_MAX_CENTS = 100_000_000_000


def purchase_record_offchain_locked(
    *, operator, version_id: int, organization_id: int, amount_cents: int, reference: str, now=None
) -> tuple[Purchase, split.Split]:
    """An operator records a payment received off chain (USD cents). Inside a transaction."""
    if operator is None or not getattr(operator, "is_staff", False):
        raise ApiError("forbidden", _("Only an operator records a payment."), status_code=403)
    # One payment, one reference: compared without case, inner spaces collapsed
    # ("INV-4", " inv-4" and "INV- 4"... "inv  -4" differ only in how they were typed).
    reference = " ".join((reference or "").split())[:200]
    if not reference:
        raise ApiError("bad_reference", _("Say which payment this is (an invoice or transfer id)."))
    if (
        not isinstance(amount_cents, int)
        or isinstance(amount_cents, bool)
        or not 1 <= amount_cents <= OFFCHAIN_MAX_CENTS
    ):
        raise ApiError(
            "bad_amount",
            _("The amount is a whole number of cents, from 1 to %(max)s.")
            % {"max": f"{OFFCHAIN_MAX_CENTS:,}"},
        )
    # Locked for the rest of the transaction: two operators recording a sale of the
    # version at once (two references) would both find it unbought and book it twice.
    version = DatasetVersion.objects.select_for_update().filter(pk=version_id).first()
    if version is None or version.status != DatasetVersion.Status.PUBLISHED:
        raise ApiError("not_found", _("No such published dataset version."), status_code=404)
    duplicate = ApiError(
        "duplicate_payment",
        _("A payment with reference %(reference)s is already recorded.") % {"reference": reference},
        status_code=409,
    )
    if Purchase.objects.filter(
        method=Purchase.Method.OFFCHAIN, reference__iexact=reference
    ).exists():
        raise duplicate
    bought = (
        Purchase.objects.select_related("organization")
        .filter(organization_id=organization_id, version=version, status=Purchase.Status.PAID)
        .order_by("paid_at", "pk")
        .first()
    )
    waiting = (
        Purchase.objects.select_related("organization")
        .filter(organization_id=organization_id, version=version, status=Purchase.Status.AWAITING)
        .order_by("pk")
        .first()
    )
    if waiting is not None:
        # The buyer's wallet can still pay that order on the chain: with this sale
        # too, the contributors would be paid twice. (An order placed while this
        # transaction holds the version row waits for it, then sees this sale.)
        raise ApiError(
            "order_waiting",
            _(
                "Order %(order)s of %(organization)s for version %(number)s of %(dataset)s "
                "waits for its payment on the chain until %(deadline)s UTC: a sale recorded "
                "now could be paid twice. Record it once that order has expired. Nothing was "
                "recorded."
            )
            % {
                "order": waiting.pk,
                "organization": waiting.organization.name,
                "number": version.number,
                "dataset": version.product.title,
                "deadline": datetime.fromtimestamp(waiting.deadline or 0, tz=UTC).strftime(
                    "%Y-%m-%d %H:%M"
                ),
            },
            status_code=409,
        )
    if bought is not None:
        # The rule of ``order_place``: paying twice for the same download right helps
        # nobody, and the contributors would be paid twice for one sale.
        raise ApiError(
            "already_bought",
            _(
                "%(organization)s has already bought version %(number)s of %(dataset)s "
                "(purchase %(purchase)s): a second sale would pay its contributors twice. Nothing "
                "was recorded."
            )
            % {
                "organization": bought.organization.name,
                "number": version.number,
                "dataset": version.product.title,
                "purchase": bought.pk,
            },
            status_code=409,
        )
    now = now or timezone.now()
    # Inserted paid and complete: the database refuses to change a paid purchase.
    result, contributors = _sale_split(
        version_id=version.pk, amount=amount_cents, decimals=USD_MINOR_DIGITS
    )
    try:
        with transaction.atomic():  # two operators at once: the unique index decides
            purchase = Purchase.objects.create(
                version=version,
                organization_id=organization_id,
                method=Purchase.Method.OFFCHAIN,
                status=Purchase.Status.PAID,
                amount=amount_cents,
                decimals=USD_MINOR_DIGITS,
                currency="USD",
                reference=reference,
                created_by=operator,
                created_at=now,
                paid_at=now,
                sale_points=result.sale_points,
                fee_points=result.fee_points,
            )
    except IntegrityError:
        raise duplicate from None
    _shares_create(purchase, result, contributors)
    return purchase, result


@transaction.atomic(durable=True)
def orders_expire(*, chain_now: int) -> int:
    """Unpaid orders whose quote's deadline passed on the chain's clock: expired."""
    return Purchase.objects.filter(
        method=Purchase.Method.CHAIN, status=Purchase.Status.AWAITING, deadline__lt=chain_now
    ).update(status=Purchase.Status.EXPIRED)


@transaction.atomic(durable=True)
def download_log(*, version_id, organization_id, api_key_id, user, format: str, now) -> None:
    DownloadLog.objects.create(
        version_id=version_id,
        organization_id=organization_id,
        api_key_id=api_key_id,
        user=user if getattr(user, "pk", None) else None,
        format=format[:20],
        at=now,
    )
