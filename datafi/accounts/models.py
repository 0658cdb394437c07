import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person using datafi: voter, provider member, researcher or operator.

    Wallets, reliability and provider membership hang off this model in their
    own apps' tables; the user row itself stays small.
    """

    # Stable public handle used for salted pseudonyms in exports; never the pk.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The language of the pages this person last chose (the header's switcher);
    # applied when they log in on a device that has no choice of its own.
    interface_language = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "accounts_user"


class Organization(models.Model):
    """A model provider: owns models under evaluation, members and API keys."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_organization"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's seat in a provider organisation."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_membership"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="accounts_membership_once"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "member"]),
                name="accounts_membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Invitation(models.Model):
    """A seat in an organisation offered to a person, theirs once they accept it.

    Nobody is put into an organisation, or made one of its owners, without
    saying yes: an owner's seat is a duty (an organisation's only owner cannot
    delete their account), and a stranger could otherwise hand it to anyone.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=10, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_invitation"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="accounts_invitation_once"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "member"]),
                name="accounts_invitation_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.organization} ({self.role})"


class ApiKey(models.Model):
    """An organisation's API key: ``dfk_<prefix>_<secret>``.

    The prefix is public (shown in lists, used to find the row); only a SHA-256
    of the secret is stored. A plain hash is enough because the secret is 32
    random bytes, not a password: there is nothing to brute-force.
    """

    class Scope(models.TextChoices):
        MODELS_WRITE = "models:write", _("Register and update models")
        ANSWERS_WRITE = "answers:write", _("Upload answers")
        DATA_READ = "data:read", _("Read battles, votes and datasets")
        MARKET_BUY = "market:buy", _("Buy dataset versions")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_apikey"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.organization.slug}:{self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class DeletionRequest(models.Model):
    """That a person deleted their account, and when: no personal data.

    The user row itself stays, anonymised (ledger entries and frozen dataset
    rows refer to it); this row lets operators see the deletion happened, and
    makes a second request a no-op (one per user).
    """

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField()

    class Meta:
        db_table = "accounts_deletion_request"
        verbose_name = _("account deletion")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(completed_at__gte=models.F("requested_at")),
                name="accounts_deletion_completed_after_request",
            ),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} deleted at {self.completed_at:%Y-%m-%d %H:%M}"
