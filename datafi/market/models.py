"""The data market's tables: dataset products, frozen versions and their rows, the
scrubber's findings, and each contributor's consent to their data being sold.

A version's rows, root and metadata are written once, when it is frozen; the
database refuses to change them afterwards (check constraints here, triggers in
migration 0002), and refuses to delete a version once its registration began.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Licence(models.TextChoices):
    """Licences for the prompts and votes of a dataset (SPDX identifiers)."""

    CC_BY_4 = "CC-BY-4.0", "Creative Commons Attribution 4.0"
    CC_BY_SA_4 = "CC-BY-SA-4.0", "Creative Commons Attribution-ShareAlike 4.0"
    CC_BY_NC_4 = "CC-BY-NC-4.0", "Creative Commons Attribution-NonCommercial 4.0"
    CC0 = "CC0-1.0", "Creative Commons Zero 1.0 (public domain)"
    ODC_BY = "ODC-By-1.0", "Open Data Commons Attribution 1.0"
    ODBL = "ODbL-1.0", "Open Data Commons Open Database Licence 1.0"


class DatasetProduct(models.Model):
    """What an operator sells: a filter over counted battles, a card, a licence, a price."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    card = models.TextField(
        help_text=_("Markdown: what is in it, how it was collected and cleaned, known biases.")
    )
    licence = models.CharField(
        max_length=20,
        choices=Licence.choices,
        help_text=_("The licence of the prompts and votes."),
    )
    # Model outputs stay under each provider's terms: {model slug: terms}. A
    # version is refused while a model in it has none stated.
    model_terms = models.JSONField(default=dict, blank=True)
    # Minor units of ``price_currency`` (cents for USD). At least one: a
    # purchase is for at least one unit, so a price of 0 could never be ordered
    # (the order refuses a row stored before this rule: sellable_version).
    price_amount = models.PositiveBigIntegerField(
        validators=[
            MinValueValidator(1, _("The price is at least one minor unit (one cent for USD)."))
        ]
    )
    price_currency = models.CharField(max_length=10, default="USD")
    # The filter. Empty lists: any.
    categories = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    # Battles whose two models are both in this list.
    model_slugs = models.JSONField(default=list, blank=True, help_text=_("Model slugs."))
    voted_from = models.DateTimeField(null=True, blank=True)
    voted_until = models.DateTimeField(null=True, blank=True)
    min_reliability = models.FloatField(default=0.0)
    include_stored = models.BooleanField(default=True)
    include_live = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "market_dataset_product"
        verbose_name = _("dataset product")
        constraints = [
            models.CheckConstraint(
                condition=Q(include_stored=True) | Q(include_live=True),
                name="market_product_some_mode",
                violation_error_message=_("A dataset takes stored or live battles, or both."),
            ),
            models.CheckConstraint(
                condition=Q(min_reliability__gte=0) & Q(min_reliability__lte=1),
                name="market_product_reliability_range",
                violation_error_message=_("The minimum reliability is between 0 and 1."),
            ),
            models.CheckConstraint(
                condition=Q(voted_from__isnull=True)
                | Q(voted_until__isnull=True)
                | Q(voted_from__lt=models.F("voted_until")),
                name="market_product_date_range",
                violation_error_message=_("The date range ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # Paths under /market/ that are not datasets: a product with one of these slugs
    # would have no page (the admin and product_create validate with full_clean).
    RESERVED_SLUGS = frozenset({"consent", "my-data"})

    def clean(self):
        if self.slug in self.RESERVED_SLUGS:
            raise ValidationError(
                {"slug": _("“%(slug)s” is taken by a page of the market.") % {"slug": self.slug}}
            )


class DatasetVersion(models.Model):
    """One frozen release of a product: exact rows, a root, then an on-chain record."""

    class Status(models.TextChoices):
        FROZEN = "frozen", _("Frozen: awaiting the operator's review of the PII report")
        APPROVED = "approved", _("Reviewed and approved for publication")
        REGISTERING = "registering", _("Registration sent to the chain")
        PUBLISHED = "published", _("Published: root recorded on chain")
        DISCARDED = "discarded", _("Discarded at review")

    product = models.ForeignKey(DatasetProduct, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.FROZEN)
    row_format = models.CharField(max_length=20)
    root = models.CharField(max_length=66)
    row_count = models.PositiveIntegerField()
    # Title, card, licence, per-model terms, filter, counts: what the chain's
    # metadata hash is over (RFC 8785 bytes, see datafi.market.canonical).
    metadata = models.JSONField()
    metadata_hash = models.CharField(max_length=66)
    scrub_counts = models.JSONField(default=dict)
    dedup = models.JSONField(default=dict)
    frozen_at = models.DateTimeField()
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    # The on-chain record (rewards' chain adapter sends it).
    network = models.CharField(max_length=80, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True)
    block_number = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "market_dataset_version"
        verbose_name = _("dataset version")
        ordering = ["product_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="market_version_number"),
            models.UniqueConstraint(
                fields=["tx_hash"], condition=~Q(tx_hash=""), name="market_version_one_tx"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["frozen", "approved", "registering", "published", "discarded"]
                ),
                name="market_version_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1)
                & Q(row_count__gte=1)
                & Q(root__regex=r"^0x[0-9a-f]{64}$")
                & Q(metadata_hash__regex=r"^0x[0-9a-f]{64}$"),
                name="market_version_frozen_root",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["frozen", "discarded"])
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="market_version_reviewed_before_publishing",
            ),
            models.CheckConstraint(
                condition=~Q(status="published")
                | (
                    ~Q(tx_hash="")
                    & ~Q(network="")
                    & Q(block_number__isnull=False, published_at__isnull=False)
                ),
                name="market_version_published_on_chain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.slug} v{self.number}"


class VersionRow(models.Model):
    """One battle of a frozen version, in canonical form (the exact bytes of its leaf)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="rows")
    position = models.PositiveIntegerField()
    battle_id = models.UUIDField()
    # Whose vote it is: for their proof and their share of sales (never in the row itself).
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    leaf = models.CharField(max_length=66)
    canonical = models.TextField()

    class Meta:
        db_table = "market_version_row"
        verbose_name = _("version row")
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="market_row_position"),
            models.UniqueConstraint(fields=["version", "battle_id"], name="market_row_battle"),
            models.UniqueConstraint(fields=["version", "leaf"], name="market_row_leaf"),
        ]
        indexes = [models.Index(fields=["voter", "version"], name="market_row_voter")]

    def __str__(self) -> str:
        return f"{self.version} #{self.position}"


class VersionLeftOut(models.Model):
    """A consenting contributor's votes that matched a version's filter but were
    left out at the freeze because of their reliability: what they are told on
    My data (a judgement about a person is shown to them)."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    votes = models.PositiveIntegerField()
    # The voter's reliability at the freeze, and whether the quality rules excluded
    # them then (else it was below the dataset's minimum).
    reliability = models.FloatField()
    excluded = models.BooleanField()

    class Meta:
        db_table = "market_version_left_out"
        verbose_name = _("votes left out of a version")
        verbose_name_plural = _("votes left out of versions")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="market_left_out_once"),
            models.CheckConstraint(condition=models.Q(votes__gt=0), name="market_left_out_some"),
        ]
        indexes = [models.Index(fields=["user", "version"], name="market_left_out_user")]

    def __str__(self) -> str:
        return f"{self.votes} of {self.user_id} left out of {self.version_id}"


class ScrubFinding(models.Model):
    """What the scrubber masked in one field of one row: the kind and the masked context.

    The personal data itself is never stored: the excerpt is cut from the masked text.
    """

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="findings")
    battle_id = models.UUIDField()
    field = models.CharField(max_length=12)
    kind = models.CharField(max_length=10)
    count = models.PositiveIntegerField()
    excerpt = models.CharField(max_length=200)

    class Meta:
        db_table = "market_scrub_finding"
        verbose_name = _("scrub finding")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "battle_id", "field", "kind"], name="market_finding_once"
            ),
            models.CheckConstraint(
                condition=Q(field__in=["prompt", "response_a", "response_b"]),
                name="market_finding_field_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["email", "wallet", "iban", "card", "ip", "phone"]),
                name="market_finding_kind_valid",
            ),
            models.CheckConstraint(condition=Q(count__gte=1), name="market_finding_count"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} x{self.count} in {self.field} of {self.battle_id}"


class DataSaleConsent(models.Model):
    """Whether a contributor agreed to their votes being sold in dataset versions.

    No row: not asked yet, which counts as no. A change applies to versions
    frozen after it; versions already frozen keep their rows. A contributor who
    deleted their account is a "no" for good (source "deletion").
    """

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Asked at sign-up")
        SETTINGS = "settings", _("Changed on the consent page")
        DELETION = "deletion", _("Account deleted")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    agreed = models.BooleanField()
    changed_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices)

    class Meta:
        db_table = "market_consent"
        verbose_name = _("data sale consent")
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["signup", "settings", "deletion"]),
                name="market_consent_source",
            ),
            models.CheckConstraint(
                condition=~Q(source="deletion") | Q(agreed=False),
                name="market_consent_deleted_is_no",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {'yes' if self.agreed else 'no'}"


class Purchase(models.Model):
    """An organisation's purchase of one version: an on-chain order or an off-chain payment.

    An on-chain order is stored with its signed quote before the buyer's wallet can
    send anything; the Purchased event that pays it is matched by order id after its
    confirmations, once (unique order id, unique event). An operator records an
    off-chain payment directly as paid. A paid purchase grants the organisation's
    keys the version's downloads and is booked in the ledger once (source key
    ``market.sale.<id>``).
    """

    class Method(models.TextChoices):
        CHAIN = "chain", _("Paid on chain")
        OFFCHAIN = "offchain", _("Paid off chain (recorded by an operator)")

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting payment")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Quote expired unpaid")

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="purchases")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAITING)
    # Amount in the smallest unit of ``currency`` as paid: token base units for a
    # chain payment (``decimals`` of the token), minor units for an off-chain one.
    amount = models.PositiveBigIntegerField()
    decimals = models.PositiveSmallIntegerField()
    currency = models.CharField(max_length=10)
    # On chain: the quote and where it is paid.
    order_id = models.CharField(max_length=66, blank=True)
    buyer_address = models.CharField(max_length=42, blank=True)
    network = models.CharField(max_length=80, blank=True)
    market_address = models.CharField(max_length=42, blank=True)
    token_address = models.CharField(max_length=42, blank=True)
    deadline = models.BigIntegerField(null=True, blank=True)
    quote = models.CharField(max_length=140, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True)
    log_index = models.IntegerField(null=True, blank=True)
    block_number = models.BigIntegerField(null=True, blank=True)
    # Off chain: the operator's reference (an invoice number, a bank transfer id).
    reference = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    # What the sale was worth in points at the published rate, and its split.
    sale_points = models.PositiveBigIntegerField(null=True, blank=True)
    fee_points = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "market_purchase"
        verbose_name = _("purchase")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_id"], condition=~Q(order_id=""), name="market_purchase_one_order"
            ),
            models.UniqueConstraint(
                fields=["network", "tx_hash", "log_index"],
                condition=~Q(tx_hash=""),
                name="market_purchase_one_event",
            ),
            # One order of a version per organisation waits for its payment at a
            # time: two could both be paid (two clicks, two members at once).
            models.UniqueConstraint(
                fields=["organization", "version"],
                condition=Q(status="awaiting"),
                name="market_purchase_one_awaiting",
            ),
            # Off chain, one payment per reference whatever its case.
            models.UniqueConstraint(
                Upper("reference"),
                condition=Q(method="offchain"),
                name="market_purchase_one_reference_ci",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["awaiting", "paid", "expired"])
                & Q(method__in=["chain", "offchain"]),
                name="market_purchase_status_valid",
            ),
            models.CheckConstraint(condition=Q(amount__gte=1), name="market_purchase_amount"),
            models.CheckConstraint(
                condition=~Q(method="chain")
                | (
                    Q(order_id__regex=r"^0x[0-9a-f]{64}$")
                    & ~Q(buyer_address="")
                    & ~Q(quote="")
                    & Q(deadline__isnull=False)
                ),
                name="market_purchase_chain_quoted",
            ),
            models.CheckConstraint(
                condition=~Q(method="offchain") | (Q(status="paid") & ~Q(reference="")),
                name="market_purchase_offchain_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | Q(paid_at__isnull=False, sale_points__isnull=False, fee_points__isnull=False),
                name="market_purchase_paid_booked",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid", method="chain")
                | (~Q(tx_hash="") & Q(log_index__isnull=False, block_number__isnull=False)),
                name="market_purchase_paid_on_chain",
            ),
        ]
        indexes = [models.Index(fields=["organization", "version"], name="market_purchase_org")]

    def __str__(self) -> str:
        return f"{self.version} for {self.organization_id} ({self.status})"


class SaleShare(models.Model):
    """One contributor's share of one sale, credited once (the ledger books it with the
    sale); a contributor who got nothing has a row with 0 points, saying why."""

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    votes = models.PositiveIntegerField()
    # The reliability weight at the sale (0 to 1), and the share in points (0: the
    # contributor got nothing; ``excluded``: because the quality rules excluded them).
    reliability = models.FloatField()
    points = models.PositiveBigIntegerField()
    excluded = models.BooleanField(default=False)

    class Meta:
        db_table = "market_sale_share"
        verbose_name = _("sale share")
        constraints = [
            models.UniqueConstraint(fields=["purchase", "user"], name="market_share_once"),
        ]
        indexes = [models.Index(fields=["user", "purchase"], name="market_share_user")]

    def __str__(self) -> str:
        return f"{self.points} to {self.user_id} from {self.purchase_id}"


class DownloadLog(models.Model):
    """One download of a bought version: who, which key, which format, when."""

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="+")
    # Null: an operator's download (operators read every version).
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", null=True
    )
    api_key_id = models.BigIntegerField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True
    )
    format = models.CharField(max_length=20)
    at = models.DateTimeField()

    class Meta:
        db_table = "market_download_log"
        verbose_name = _("download")
        indexes = [models.Index(fields=["version", "at"], name="market_download_version")]

    def __str__(self) -> str:
        return f"{self.version} {self.format} by {self.organization_id}"
