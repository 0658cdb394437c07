"""Reads for the data market: a version's rows, its PII report, a contributor's proofs."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from datafi.accounts import selectors as account_selectors
from datafi.errors import ApiError
from datafi.market import canonical, presentation
from datafi.market.models import (
    DataSaleConsent,
    DatasetProduct,
    DatasetVersion,
    Purchase,
    SaleShare,
    ScrubFinding,
    VersionLeftOut,
    VersionRow,
)
from evals import selectors as evals_selectors


def consent_of(*, user) -> bool | None:
    """True or False as the contributor said; None if never asked (counts as no)."""
    return DataSaleConsent.objects.filter(user_id=user.pk).values_list("agreed", flat=True).first()


@dataclass(frozen=True)
class VersionVotes:
    version: DatasetVersion
    votes: int  # the user's rows in it
    sales: int  # paid purchases of it


def versions_with_votes_of(*, user) -> list[VersionVotes]:
    """Every frozen version that holds votes of ``user``, with how many and how often it
    was sold; newest first."""
    counts = dict(
        VersionRow.objects.filter(voter_id=user.pk)
        .values_list("version_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    versions = (
        DatasetVersion.objects.select_related("product")
        .filter(pk__in=counts)
        .annotate(paid=Count("purchases", filter=Q(purchases__status=Purchase.Status.PAID)))
    )
    return [
        VersionVotes(version=v, votes=counts[v.pk], sales=v.paid)
        for v in versions.order_by("-frozen_at", "product__slug", "-number")
    ]


def version_by_id(*, version_id: int) -> DatasetVersion:
    return DatasetVersion.objects.select_related("product").get(pk=version_id)


def version_get(*, product_slug: str, number: int) -> DatasetVersion | None:
    return (
        DatasetVersion.objects.select_related("product")
        .filter(product__slug=product_slug, number=number)
        .first()
    )


def version_lines(*, version: DatasetVersion, chunk: int = 2000) -> Iterator[str]:
    """The version's rows in canonical form, one per line (``\\n``), in position order."""
    rows = (
        VersionRow.objects.filter(version=version)
        .order_by("position")
        .values_list("canonical", flat=True)
    )
    for text in rows.iterator(chunk_size=chunk):
        yield text + "\n"


def version_leaves(*, version: DatasetVersion) -> list[str]:
    return list(VersionRow.objects.filter(version=version).values_list("leaf", flat=True))


@functools.lru_cache(maxsize=4)
def _version_tree(version_id: int, root: str):
    # A version's leaves never change (the database refuses it), and the root names
    # them: a cached tree can only be the right one. Rebuilding it per proof would
    # read and hash every row of the version.
    tree = canonical.tree(
        VersionRow.objects.filter(version_id=version_id).values_list("leaf", flat=True)
    )
    if tree.root() != root:
        raise RuntimeError(f"the rows of version {version_id} no longer give its root {root}")
    return tree


def version_scrub_report(*, version: DatasetVersion, limit: int = 200) -> dict:
    """What the scrubber masked in a version: totals by kind and field, and masked excerpts."""
    by_kind = dict(
        ScrubFinding.objects.filter(version=version)
        .values_list("kind")
        .annotate(n=Sum("count"))
        .order_by("kind")
    )
    by_field = dict(
        ScrubFinding.objects.filter(version=version)
        .values_list("field")
        .annotate(n=Sum("count"))
        .order_by("field")
    )
    rows = (
        ScrubFinding.objects.filter(version=version)
        .values("battle_id")
        .annotate(n=Count("id"))
        .count()
    )
    items = list(
        ScrubFinding.objects.filter(version=version)
        .order_by("kind", "battle_id", "field")
        .values("battle_id", "field", "kind", "count", "excerpt")[:limit]
    )
    return {"by_kind": by_kind, "by_field": by_field, "rows_with_findings": rows, "items": items}


def vote_proof(*, user, product_slug: str, number: int, battle_id) -> dict:
    """A Merkle proof that the vote on ``battle_id`` (one of ``user``'s) is in a version.

    404 for a version that does not exist or is not published yet, a battle that is
    not the user's, or one not in the version: the answer never says whose a vote is.
    """
    try:
        battle_uuid = uuid.UUID(str(battle_id))
    except ValueError:
        raise ApiError("bad_battle_id", _("The battle id is not a UUID.")) from None
    version = version_get(product_slug=product_slug, number=number)
    if version is None or version.status != DatasetVersion.Status.PUBLISHED:
        raise ApiError("not_found", _("No such published dataset version."), status_code=404)
    row = (
        VersionRow.objects.filter(version=version, battle_id=battle_uuid, voter_id=user.pk)
        .values("canonical", "leaf", "position")
        .first()
    )
    if row is None:
        raise ApiError(
            "not_in_version", _("None of your votes with this id is in this version."), 404
        )
    proof = _version_tree(version.pk, version.root).proof(row["leaf"])
    return {
        "dataset": version.product.slug,
        "version": version.number,
        "status": version.status,
        "row_format": version.row_format,
        "row": row["canonical"],
        "leaf": row["leaf"],
        "proof": proof,
        "root": version.root,
        "network": version.network,
        "tx_hash": version.tx_hash,
        "block_number": version.block_number,
    }


def versions_registering() -> list[int]:
    return list(
        DatasetVersion.objects.filter(status=DatasetVersion.Status.REGISTERING).values_list(
            "pk", flat=True
        )
    )


def copy_compare(*, version: DatasetVersion, lines) -> dict:
    """A downloaded copy of ``version`` against its frozen rows: the copy's root and rows,
    and the battles whose rows are missing from the copy, added to it, or changed in it.

    Raises ``canonical.RowError`` for a copy that is not in the row form.
    """
    copy_leaves: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            copy_leaves[canonical.leaf(row)] = str(row["battle_id"])
        except (ValueError, canonical.RowError) as exc:
            raise canonical.RowError(f"line {number}: {exc}") from None
    if not copy_leaves:
        raise canonical.RowError("the copy has no rows")
    ours = dict(
        (leaf, battle.hex)
        for leaf, battle in VersionRow.objects.filter(version=version).values_list(
            "leaf", "battle_id"
        )
    )
    missing = {ours[leaf] for leaf in ours.keys() - copy_leaves.keys()}
    extra = {copy_leaves[leaf] for leaf in copy_leaves.keys() - ours.keys()}
    return {
        "root": canonical.tree(copy_leaves).root(),
        "rows": len(copy_leaves),
        "changed": sorted(missing & extra),
        "missing": sorted(missing - extra),
        "added": sorted(extra - missing),
    }


# --- buying and contributors' earnings ------------------------------------------------


def version_bought(*, organization_ids, version: DatasetVersion) -> bool:
    """Whether one of these organisations has a paid purchase of ``version``."""
    return version_buyer(organization_ids=organization_ids, version=version) is not None


def version_buyer(*, organization_ids, version: DatasetVersion) -> int | None:
    """The id of one of these organisations that bought ``version`` (paid), else None."""
    return (
        Purchase.objects.filter(
            organization_id__in=list(organization_ids or ()),
            version=version,
            status=Purchase.Status.PAID,
        )
        .order_by("paid_at")
        .values_list("organization_id", flat=True)
        .first()
    )


def order_waiting(*, organization_id: int, version: DatasetVersion):
    """The organisation's order of ``version`` that waits for its payment (until
    the market's pass marks it paid or expired), else None."""
    return (
        Purchase.objects.filter(
            organization_id=organization_id, version=version, status=Purchase.Status.AWAITING
        )
        .order_by("pk")
        .first()
    )


def purchase_get(*, purchase_id: int, organization_ids=None):
    """A purchase by id; None when not found or not of these organisations (None: any)."""
    qs = Purchase.objects.select_related("version__product").filter(pk=purchase_id)
    if organization_ids is not None:
        qs = qs.filter(organization_id__in=list(organization_ids))
    return qs.first()


def purchases_of(*, organization_ids) -> list:
    return list(
        Purchase.objects.select_related("version__product")
        .filter(organization_id__in=list(organization_ids))
        .order_by("-created_at")[:200]
    )


def _why_nothing(share: dict | None) -> str:
    """Why a sale gave a contributor nothing ("" when it gave points): "excluded"
    (the quality rules), "tiny" (a share under one point), or "unknown" (a sale
    booked before every contributor got a row)."""
    if share is None:
        return "unknown"
    if share["excluded"]:
        return "excluded"
    return "" if share["points"] else "tiny"


def my_data(*, user) -> dict:
    """For "My data": every version holding my votes (how many), every sale of each and
    what it earned me, my consent."""
    versions = list(
        VersionRow.objects.filter(voter_id=user.pk)
        .values("version_id", "version__number", "version__product__slug")
        .annotate(votes=Count("id"))
        .order_by("version__product__slug", "version__number")
    )
    found = DatasetVersion.objects.select_related("product").in_bulk(
        [row["version_id"] for row in versions]
    )
    by_version = {
        row["version_id"]: {
            "version": found[row["version_id"]],
            "votes": row["votes"],
            "sales": [],
            "earned": 0,
        }
        for row in versions
    }
    shares = {
        s["purchase_id"]: s
        for s in SaleShare.objects.filter(user_id=user.pk).values(
            "purchase_id", "points", "votes", "reliability", "excluded"
        )
    }
    for purchase in Purchase.objects.filter(
        version_id__in=list(by_version), status=Purchase.Status.PAID
    ).order_by("paid_at"):
        share = shares.get(purchase.pk)
        entry = by_version[purchase.version_id]
        entry["sales"].append(
            {
                "purchase": purchase,
                "price": presentation.price_display(
                    purchase.amount // 10 ** max(0, purchase.decimals - 2), purchase.currency
                ),
                "points": share["points"] if share else 0,
                "reliability": share["reliability"] if share else None,
                "nothing": _why_nothing(share),
            }
        )
        entry["earned"] += share["points"] if share else 0
    left_out = [
        {
            "version": row.version,
            "votes": row.votes,
            "reliability": row.reliability,
            "excluded": row.excluded,
            "minimum": row.version.product.min_reliability,
        }
        for row in VersionLeftOut.objects.filter(user_id=user.pk)
        .select_related("version__product")
        .order_by("version__product__slug", "version__number")
    ]
    return {
        "versions": list(by_version.values()),
        "left_out": left_out,
        "earned": sum(s["points"] for s in shares.values()),
        "consent": consent_of(user=user),
    }


def versions_public() -> list[dict]:
    """Every published version for /transparency/: root, transaction, rows, sales, paid out."""
    paid = Q(purchases__status=Purchase.Status.PAID)
    out = []
    for version in (
        DatasetVersion.objects.select_related("product")
        .filter(status=DatasetVersion.Status.PUBLISHED)
        .annotate(
            sales=Count("purchases", filter=paid),
            # What contributors got is the sale less the fee (their shares add up to it).
            paid_out=Sum(F("purchases__sale_points") - F("purchases__fee_points"), filter=paid),
        )
        .order_by("-published_at")
    ):
        out.append(
            {
                "dataset": version.product.slug,
                "title": version.product.title,
                "version": version.number,
                "root": version.root,
                "metadata_hash": version.metadata_hash,
                "rows": version.row_count,
                "network": version.network,
                "tx_hash": version.tx_hash,
                "block_number": version.block_number,
                "published_at": version.published_at,
                "sales": version.sales,
                "paid_to_contributors_points": version.paid_out or 0,
            }
        )
    return out


def purchases_all() -> list:
    """Every order (operators), newest first, 200 at most."""
    return list(Purchase.objects.select_related("version__product").order_by("-created_at")[:200])


def orders_unpaid_exist() -> bool:
    """Whether any on-chain order awaits its payment (or expired in the last day: a
    payment mined before the deadline may still be gathering its confirmations)."""
    day_ago = timezone.now() - timedelta(days=1)
    return Purchase.objects.filter(
        Q(status=Purchase.Status.AWAITING)
        | Q(status=Purchase.Status.EXPIRED, created_at__gte=day_ago),
        method=Purchase.Method.CHAIN,
    ).exists()


def my_battles_in(*, user, version_id: int, limit: int = 50) -> list[str]:
    """The ids of ``user``'s votes in a version (for their proofs), oldest row first."""
    return [
        b.hex
        for b in VersionRow.objects.filter(version_id=version_id, voter_id=user.pk)
        .order_by("position")
        .values_list("battle_id", flat=True)[:limit]
    ]


def buyer_view(*, user, version: DatasetVersion | None) -> dict:
    """What a product page's buy box needs: the visitor's organisations and whether
    one of them bought ``version`` already."""
    if version is None or not getattr(user, "is_authenticated", False):
        return {"logged_in": getattr(user, "is_authenticated", False), "organizations": []}
    memberships = account_selectors.memberships_of(user=user)
    return {
        "logged_in": True,
        "organizations": [(m.organization.slug, m.organization.name) for m in memberships],
        "bought": version_bought(
            organization_ids=[m.organization_id for m in memberships], version=version
        ),
    }


# --- the public catalogue -----------------------------------------------------------
# Only PUBLISHED versions are public: a frozen, approved or registering version may
# still be discarded, and its root is not on chain yet.

CATALOGUE_SAMPLE_ROWS = 3


def _published_versions():
    return DatasetVersion.objects.filter(status=DatasetVersion.Status.PUBLISHED).order_by("-number")


def catalogue_products() -> list[DatasetProduct]:
    """Products with at least one published version, the latest publication first.

    Each carries ``published_versions`` (newest first, without their metadata) and
    ``last_published_at``. Two queries, however many products and versions.
    """
    published = DatasetVersion.Status.PUBLISHED
    return list(
        DatasetProduct.objects.annotate(
            last_published_at=Max("versions__published_at", filter=Q(versions__status=published))
        )
        .filter(last_published_at__isnull=False)
        .order_by("-last_published_at", "slug")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=_published_versions().defer("metadata"),
                to_attr="published_versions",
            )
        )
    )


def catalogue_product(*, slug: str) -> DatasetProduct | None:
    """A product with its published versions (``published_versions``, newest first, with
    their metadata); None if there is no such product or none of its versions is published."""
    product = (
        DatasetProduct.objects.filter(slug=slug)
        .prefetch_related(
            Prefetch("versions", queryset=_published_versions(), to_attr="published_versions")
        )
        .first()
    )
    if product is None or not product.published_versions:
        return None
    return product


def catalogue_hidden_models() -> set[str]:
    """Slugs no public page of the market may show: the models in pre-release testing."""
    return evals_selectors.models_in_testing_slugs()


def version_sample_rows(
    *, version: DatasetVersion, hidden_models: set[str], limit: int = CATALOGUE_SAMPLE_ROWS
) -> list[dict]:
    """The first ``limit`` rows of a published version by position, parsed: the public
    sample of what a buyer gets (texts PII-scrubbed, the voter a pseudonym).

    Rows of contributors who have since withdrawn their consent are passed over: the
    version keeps them (it is frozen and sold as it is), but they are not shown to
    everyone as an example. A row naming a model in ``hidden_models`` (in pre-release
    testing) is dropped: a version is frozen without the battles of models then in
    testing, and a model never re-enters testing, so this drops nothing unless a
    model's state was changed behind the services' back; it is the last guard.
    One query (an index range on (version, position) that stops after ``limit`` rows).
    """
    if version.status != DatasetVersion.Status.PUBLISHED:
        return []
    still_agrees = DataSaleConsent.objects.filter(user_id=OuterRef("voter_id"), agreed=True)
    texts = (
        VersionRow.objects.filter(version=version)
        .filter(Exists(still_agrees))
        .order_by("position")
        .values_list("canonical", flat=True)[:limit]
    )
    rows = [json.loads(text) for text in texts]
    return [
        r for r in rows if r["model_a"] not in hidden_models and r["model_b"] not in hidden_models
    ]


def product_by_slug(*, slug: str) -> DatasetProduct | None:
    return DatasetProduct.objects.filter(slug=slug).first()
