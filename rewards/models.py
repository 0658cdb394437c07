"""Points ledger, wallets, redemptions, payout epochs and the chain bookkeeping.

The ledger is double-entry and append-only: a ``LedgerTransaction`` has a unique
``source_key`` (what caused it: ``vote:<battle id>``, ``redeem:<id>``, ...) and
entries whose amounts sum to zero. ``Account.balance`` is the running sum of an
account's entries, kept by the service under row locks and guarded by a check
constraint so that no user account can go negative.

Amounts are integer points; on chain one point is ``rewards.merkle.UNITS_PER_POINT``
token base units.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a ledger record."""


class Account(models.Model):
    class Kind(models.TextChoices):
        AVAILABLE = "available", _("Available points (user)")
        ESCROW = "escrow", _("Points held for a redemption (user)")
        ISSUANCE = "issuance", _("Platform issuance")
        REDEEMED = "redeemed", _("Redeemed on chain")
        # The data market (issue #14): points issued against dataset sales, and the
        # platform's fee of each sale, in points at the published rate.
        SALES = "sales", _("Dataset sales (points issued against them)")
        FEES = "fees", _("Platform fees of dataset sales")

    USER_KINDS = (Kind.AVAILABLE, Kind.ESCROW)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reward_accounts",
    )
    # Running balance of a user account (kept under its row lock). Platform
    # accounts stay at 0 here: their balance is the sum of their entries
    # (see ledger.platform_balance), so no hot row serialises every vote.
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "rewards_account"
        constraints = [
            # Issuance and sales are the accounts that go negative: they are where
            # points come from, so their balances are minus the points they issued.
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind__in=["issuance", "sales"]),
                name="rewards_account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["available", "escrow"], user__isnull=False)
                | Q(kind__in=["issuance", "redeemed", "sales", "fees"], user__isnull=True),
                name="rewards_account_kind_owner",
            ),
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False),
                name="rewards_account_one_per_user_kind",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(user__isnull=True),
                name="rewards_account_one_system_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.user_id or 'platform'}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        AWARD = "award", _("Points awarded")
        REDEEM = "redeem", _("Redemption requested (to escrow)")
        CANCEL = "cancel", _("Redemption cancelled (back from escrow)")
        SETTLE = "settle", _("Redemption paid on chain")
        REOPEN = "reopen", _("Payment no longer on chain (back to escrow)")
        SALE = "sale", _("A dataset sale: the platform's fee and the contributors' shares")

    source_key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "rewards_transaction"
        verbose_name = "ledger transaction"
        verbose_name_plural = "ledger transactions"
        indexes = [models.Index(fields=["user", "created_at"], name="rewards_txn_user_time")]

    def __str__(self) -> str:
        return self.source_key

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("ledger transactions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger transactions are append-only")


class Entry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "rewards_entry"
        verbose_name = "ledger entry"
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "created_at"], name="rewards_entry_acct_time")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="rewards_entry_amount_nonzero"),
            models.UniqueConstraint(
                fields=["transaction", "account"], name="rewards_entry_one_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.account}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("ledger entries are append-only")


class Wallet(models.Model):
    """The Ethereum address a user proved to own with Sign-In With Ethereum."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet"
    )
    # EIP-55 checksummed; compared case-insensitively through this canonical form.
    address = models.CharField(max_length=42, unique=True)
    linked_at = models.DateTimeField()

    class Meta:
        db_table = "rewards_wallet"

    def __str__(self) -> str:
        return self.address


class SiweNonce(models.Model):
    """A server-issued, single-use nonce for one Sign-In With Ethereum message."""

    nonce = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rewards_siwe_nonce"
        verbose_name = "SIWE nonce"
        verbose_name_plural = "SIWE nonces"

    def __str__(self) -> str:
        return self.nonce


class ChainDeployment(models.Model):
    """Where the reward contracts live on one network, and how far its events were read."""

    network = models.CharField(max_length=80, unique=True)
    chain_id = models.BigIntegerField()
    token_address = models.CharField(max_length=42, blank=True)
    distributor_address = models.CharField(max_length=42, blank=True)
    # The dataset registry (issue #14): deployed on first use, apart from the reward pair.
    registry_address = models.CharField(max_length=42, blank=True)
    # The data market: its payment token and market contract, deployed on first use
    # (the token only where no stablecoin is configured), and how far its Purchased
    # events were read.
    payment_token_address = models.CharField(max_length=42, blank=True)
    market_address = models.CharField(max_length=42, blank=True)
    market_deployed_block = models.BigIntegerField(default=0)
    market_scanned_block = models.BigIntegerField(default=-1)
    deployed_block = models.BigIntegerField(default=0)
    # Claimed events are read up to (and including) this block.
    scanned_block = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "rewards_chain_deployment"
        verbose_name = "chain deployment"
        verbose_name_plural = "chain deployments"

    def __str__(self) -> str:
        return f"{self.network} {self.distributor_address}"


class NonceCursor(models.Model):
    """The next nonce of one sending address: the single nonce manager, locked per sender."""

    network = models.CharField(max_length=80)
    address = models.CharField(max_length=42)
    next_nonce = models.BigIntegerField(default=0)

    class Meta:
        db_table = "rewards_nonce_cursor"
        verbose_name = "nonce cursor"
        verbose_name_plural = "nonce cursors"
        constraints = [
            models.UniqueConstraint(fields=["network", "address"], name="rewards_nonce_one_sender")
        ]

    def __str__(self) -> str:
        return f"{self.address}@{self.network}: {self.next_nonce}"


class ChainTx(models.Model):
    """A transaction we signed. Stored (with its hash and raw bytes) before it is broadcast."""

    class Purpose(models.TextChoices):
        DEPLOY = "deploy", _("Deployment")
        PUBLISH = "publish", _("Epoch root publication")
        CLAIM = "claim", _("Gasless claim")
        REGISTER = "register", _("Dataset version registration")
        COMMIT = "commit", _("Pre-release commitment")
        FAUCET = "faucet", _("Test payment tokens minted for a buyer")

    class Status(models.TextChoices):
        SIGNED = "signed", _("Signed, not yet seen by the node")
        SENT = "sent", _("Broadcast, waiting for a receipt")
        MINED = "mined", _("Mined, waiting for confirmations")
        CONFIRMED = "confirmed", _("Confirmed")
        REVERTED = "reverted", _("Reverted")
        # The chain lost it (a node rolled back) and it cannot be sent again as it
        # was: its nonce is free for another transaction, its owner signs anew.
        DROPPED = "dropped", _("Dropped: no longer on chain, nonce released")

    OPEN = (Status.SIGNED, Status.SENT, Status.MINED)
    DEAD = (Status.REVERTED, Status.DROPPED)

    network = models.CharField(max_length=80)
    sender = models.CharField(max_length=42)
    nonce = models.BigIntegerField()
    tx_hash = models.CharField(max_length=66, unique=True)
    raw = models.TextField()
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    # What this transaction does ("publish:3", "claim:0xabc..:120"): submit() signs
    # at most one live (non-reverted) transaction per label.
    label = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SIGNED)
    block_number = models.BigIntegerField(null=True, blank=True)
    gas_used = models.BigIntegerField(null=True, blank=True)
    contract_address = models.CharField(max_length=42, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "rewards_chain_tx"
        verbose_name = "chain transaction"
        verbose_name_plural = "chain transactions"
        constraints = [
            models.UniqueConstraint(
                fields=["network", "sender", "nonce"],
                condition=~Q(status="dropped"),
                name="rewards_chain_tx_one_live_per_nonce",
            )
        ]
        indexes = [
            models.Index(fields=["status"], name="rewards_chain_tx_status"),
            models.Index(fields=["network", "label"], name="rewards_chain_tx_label"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.tx_hash}"


class Epoch(models.Model):
    """One published Merkle root of cumulative payouts per wallet."""

    class Status(models.TextChoices):
        PUBLISHING = "publishing", _("Publishing (transaction pending)")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed (redemptions returned)")

    number = models.PositiveIntegerField(unique=True)
    network = models.CharField(max_length=80)
    root = models.CharField(max_length=66)
    # OpenZeppelin StandardMerkleTree "standard-v1" dump: the public leaves.
    dump = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHING)
    chain_tx = models.OneToOneField(
        ChainTx, on_delete=models.PROTECT, null=True, blank=True, related_name="epoch"
    )
    # Which worker owns sending the publication (a random token) and since when:
    # taken with a conditional UPDATE, so one worker signs and sends while the
    # others only follow ``chain_tx`` (see payouts.epoch_publish).
    publish_owner = models.CharField(max_length=32, blank=True)
    publish_claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rewards_epoch"
        ordering = ["-number"]
        constraints = [
            # Cumulative amounts build on the previous root: one epoch in flight at a time.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="publishing"),
                name="rewards_epoch_one_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"epoch {self.number}"


class EpochLeaf(models.Model):
    epoch = models.ForeignKey(Epoch, on_delete=models.PROTECT, related_name="leaves")
    address = models.CharField(max_length=42)
    cumulative_points = models.BigIntegerField()

    class Meta:
        db_table = "rewards_epoch_leaf"
        verbose_name = "epoch leaf"
        verbose_name_plural = "epoch leaves"
        constraints = [
            models.UniqueConstraint(
                fields=["epoch", "address"], name="rewards_leaf_one_per_wallet"
            ),
            models.CheckConstraint(
                condition=Q(cumulative_points__gt=0), name="rewards_leaf_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.address}: {self.cumulative_points}"


class Redemption(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the next epoch")
        PUBLISHING = "publishing", _("In an epoch being published")
        CLAIMABLE = "claimable", _("Published: claim it")
        SETTLED = "settled", _("Paid on chain")
        CANCELLED = "cancelled", _("Cancelled, points returned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions"
    )
    idempotency_key = models.CharField(max_length=100)
    points = models.BigIntegerField()
    # The wallet at request time: relinking later does not redirect this payout.
    address = models.CharField(max_length=42)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    epoch = models.ForeignKey(
        Epoch, on_delete=models.PROTECT, null=True, blank=True, related_name="redemptions"
    )
    # The wallet's cumulative amount in that epoch's leaf: a Claimed event at or
    # above it pays this redemption.
    leaf_cumulative_points = models.BigIntegerField(null=True, blank=True)
    claim_tx_hash = models.CharField(max_length=66, blank=True)
    # The block of the Claimed event that settled it: a settlement this close to
    # the head is checked again until it is deeper than CHAIN_REORG_WINDOW.
    claim_block = models.BigIntegerField(null=True, blank=True)
    # How often a settlement was undone because the chain lost its claim: each
    # settlement books under its own source key (see redemption_settle_locked).
    reopened = models.PositiveIntegerField(default=0)
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "rewards_redemption"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="rewards_redemption_idempotent"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="rewards_redemption_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "cancelled"], epoch__isnull=True)
                | Q(
                    status__in=["publishing", "claimable", "settled"],
                    epoch__isnull=False,
                    leaf_cumulative_points__isnull=False,
                ),
                name="rewards_redemption_status_epoch",
            ),
        ]
        indexes = [models.Index(fields=["status", "address"], name="rewards_redemption_status")]

    def __str__(self) -> str:
        return f"{self.points} points to {self.address} ({self.status})"


class ClaimRequest(models.Model):
    """A gasless claim the service submits for a wallet, once per cumulative amount."""

    network = models.CharField(max_length=80)
    address = models.CharField(max_length=42)
    cumulative_points = models.BigIntegerField()
    epoch = models.ForeignKey(Epoch, on_delete=models.PROTECT, related_name="+")
    chain_tx = models.OneToOneField(
        ChainTx, on_delete=models.PROTECT, null=True, blank=True, related_name="claim"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        db_table = "rewards_claim_request"
        verbose_name = "claim request"
        verbose_name_plural = "claim requests"
        constraints = [
            models.UniqueConstraint(
                fields=["network", "address", "cumulative_points"],
                name="rewards_claim_once_per_amount",
            )
        ]

    def __str__(self) -> str:
        return f"claim {self.address} up to {self.cumulative_points}"


class Commitment(models.Model):
    """A published commitment to a model entered for pre-release testing (issue #18).

    ``digest`` = sha256 of ``preimage`` (see the README, "Pre-release testing"),
    public and recorded on chain from entry; ``preimage`` (it holds the random
    salt) and ``results`` are public only once ``disclosed_at`` is set, at
    release or withdrawal, whatever the results are.
    """

    class Outcome(models.TextChoices):
        TESTING = "testing", _("In testing")
        RELEASED = "released", _("Released")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # The model and organisation are referenced, not imported: evals owns them.
    model = models.OneToOneField(
        "evals.EvalModel", on_delete=models.PROTECT, related_name="commitment"
    )
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="commitments"
    )
    digest = models.CharField(max_length=66, unique=True)
    preimage = models.TextField()
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.TESTING, db_index=True
    )
    released_name = models.CharField(max_length=120, blank=True)
    results = models.JSONField(null=True, blank=True)
    chain_tx = models.OneToOneField(
        ChainTx, on_delete=models.PROTECT, null=True, blank=True, related_name="commitment"
    )
    created_at = models.DateTimeField()
    disclosed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "rewards_commitment"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="testing", disclosed_at__isnull=True, results__isnull=True)
                | Q(
                    outcome__in=["released", "withdrawn"],
                    disclosed_at__isnull=False,
                    results__isnull=False,
                ),
                name="rewards_commitment_disclosed_with_results",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="released") | ~Q(released_name=""),
                name="rewards_commitment_released_named",
            ),
        ]

    def __str__(self) -> str:
        return f"commitment {self.digest[:18]}… ({self.outcome})"
