import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from datafi.accounts.models import (
    ApiKey,
    DeletionRequest,
    Invitation,
    Membership,
    Organization,
    User,
)
from datafi.api import ApiError

API_KEY_PREFIX = "dfk"
# last_used_at is a hint for humans, not an audit log: write it at most this
# often per key so that a busy key does not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "") -> User:
    """Create a user with a hashed password."""
    return User.objects.create_user(username=username, password=password, email=email)


@transaction.atomic
def user_create_unique(*, base: str) -> User:
    """A new account without a password named ``base`` (``base-2``, ``base-3``,
    ... if that name is taken): a wallet's first sign-in makes one."""
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    return User.objects.create_user(username=username, password=None)


def organization_get_or_create(*, slug: str, name: str, website: str = ""):
    """The provider organisation with this slug, created if missing."""
    org, _created = Organization.objects.update_or_create(
        slug=slug, defaults={"name": name, "website": website}
    )
    return org


def _name_taken(name: str) -> str:
    return _("An organisation named %(name)s already exists.") % {"name": repr(name)}


ORGANIZATION_NAME_MAX = Organization._meta.get_field("name").max_length
ORGANIZATION_WEBSITE_MAX = Organization._meta.get_field("website").max_length
_WEBSITE = URLValidator(schemes=["http", "https"])


def _website_check(website: str) -> str:
    """``website`` as stored: empty, or an http(s) URL that fits its column."""
    website = (website or "").strip()
    if not website:
        return ""
    try:
        if len(website) > ORGANIZATION_WEBSITE_MAX:
            raise ValidationError("too long")
        _WEBSITE(website)
    except ValidationError:
        raise ApiError(
            "invalid_website",
            _(
                "The website must be an http:// or https:// address of at most "
                "%(max)d characters, or left empty."
            )
            % {"max": ORGANIZATION_WEBSITE_MAX},
        ) from None
    return website


@transaction.atomic(durable=True)
def organization_create(*, name: str, owner: User, website: str = "") -> Organization:
    """A new provider organisation with ``owner`` as its first owner."""
    name = (name or "").strip()
    slug = slugify(name)[:60]
    if not name or not slug:
        raise ApiError("invalid_name", _("Give the organisation a name with letters or digits."))
    if len(name) > ORGANIZATION_NAME_MAX:
        raise ApiError(
            "invalid_name",
            _("The organisation's name may be at most %(max)d characters long.")
            % {"max": ORGANIZATION_NAME_MAX},
        )
    website = _website_check(website)
    if (
        Organization.objects.filter(slug=slug).exists()
        or Organization.objects.filter(name__iexact=name).exists()
    ):
        raise ApiError("name_taken", _name_taken(name), 409)
    try:
        with transaction.atomic():
            org = Organization.objects.create(name=name, slug=slug, website=website)
    except IntegrityError:
        raise ApiError("name_taken", _name_taken(name), 409) from None
    Membership.objects.create(user=owner, organization=org, role=Membership.Role.OWNER)
    return org


@transaction.atomic
def membership_add(*, organization: Organization, user: User, role: str = "member") -> Membership:
    """Give ``user`` a seat in ``organization`` (or change their role).

    An organisation's only owner cannot step down (a 409): nobody would be left
    to manage its keys and members. The owners' seats are locked while this
    checks, so that two owners stepping down at once cannot both succeed.
    """
    _role_check(role)
    if role != Membership.Role.OWNER:
        owners = set(
            Membership.objects.select_for_update()
            .filter(organization=organization, role=Membership.Role.OWNER)
            .order_by("pk")  # the order account deletion locks them in too
            .values_list("user_id", flat=True)
        )
        if owners == {user.pk}:
            raise ApiError(
                "sole_owner",
                _(
                    "%(user)s is the only owner of %(organization)s. Make another member "
                    "an owner first, so that the organisation is not left without anyone "
                    "who can manage its keys and members."
                )
                % {"user": user.username, "organization": organization.name},
                409,
            )
    membership, _created = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    return membership


def _role_check(role: str) -> None:
    if role not in Membership.Role.values:
        raise ApiError(
            "invalid_role",
            # Translators: "role" is the API field's name; the roles are API values.
            _("role must be one of %(roles)s.") % {"roles": ", ".join(Membership.Role.values)},
        )


@transaction.atomic
def membership_invite(
    *, organization: Organization, user: User, role: str, invited_by: User
) -> bool:
    """An owner's request to give ``user`` a seat in ``organization`` with ``role``.

    A new seat, or an owner's seat for someone else, is an invitation that
    waits for ``user`` to accept it (``invitation_accept``): nobody is put in an
    organisation, or made an owner, without saying yes (an organisation's only
    owner cannot delete their account). A seat taken down to member, and an
    owner's own change of role, are made at once (``membership_add``, which
    refuses to leave the organisation without an owner). True if an
    invitation now waits, False if the change was made.
    """
    _role_check(role)
    seat = Membership.objects.filter(organization=organization, user=user).first()
    if user.pk == invited_by.pk or (seat is not None and role == Membership.Role.MEMBER):
        membership_add(organization=organization, user=user, role=role)
        # The owner's latest word: an owner's seat offered earlier is withdrawn.
        Invitation.objects.filter(organization=organization, user=user).delete()
        return False
    if seat is not None and seat.role == role:
        return False  # already an owner: nothing to offer
    Invitation.objects.update_or_create(
        organization=organization,
        user=user,
        defaults={"role": role, "invited_by": invited_by},
    )
    return True


def _no_invitation(organization: Organization) -> ApiError:
    return ApiError(
        "no_invitation",
        _("No invitation to %(organization)s is waiting for you.")
        % {"organization": organization.name},
        404,
    )


def invitation_accept(*, user: User, organization: Organization) -> Membership:
    """Take the seat ``organization`` offered ``user``; the invitation is used up."""
    with transaction.atomic():
        # Lock order: the owners' seats (by pk, as membership_add and account
        # deletion take them), then the invitation (as membership_invite, which
        # deletes it after membership_add): no cycle with either.
        owners = set(
            Membership.objects.select_for_update()
            .filter(organization=organization, role=Membership.Role.OWNER)
            .order_by("pk")
            .values_list("user_id", flat=True)
        )
        invitation = (
            Invitation.objects.select_for_update()
            .filter(user=user, organization=organization)
            .first()
        )
        if invitation is None:
            raise _no_invitation(organization)
        # Only an offer an owner still stands behind: whoever made it may have
        # lost the seat since (stepped down, removed, account deleted).
        invitation.delete()  # used up, or lapsed
        if invitation.invited_by_id in owners:
            return membership_add(organization=organization, user=user, role=invitation.role)
    raise ApiError(
        "invitation_lapsed",
        _(
            "This invitation to %(organization)s lapsed: whoever sent it is no longer one "
            "of its owners. Ask an owner to invite you again."
        )
        % {"organization": organization.name},
        409,
    )


def invitation_withdraw(*, organization: Organization, user: User) -> None:
    """An owner takes back the seat offered to ``user``."""
    deleted, _rows = Invitation.objects.filter(user=user, organization=organization).delete()
    if not deleted:
        raise ApiError(
            "no_invitation",
            _("No invitation to %(organization)s waits for %(user)s.")
            % {"organization": organization.name, "user": user.username},
            404,
        )


def invitation_decline(*, user: User, organization: Organization) -> None:
    """Turn down the seat ``organization`` offered ``user``."""
    deleted, _rows = Invitation.objects.filter(user=user, organization=organization).delete()
    if not deleted:
        raise _no_invitation(organization)


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def api_key_create(
    *, organization: Organization, name: str, scopes: list[str], created_by: User | None = None
) -> NewApiKey:
    """A new key for ``organization``; the plaintext is returned once and not kept."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ApiError("invalid_name", _("Name the key (1 to 80 characters)."))
    if not isinstance(scopes, list | tuple) or not scopes:
        raise ApiError("invalid_scopes", _("Pick at least one scope."))
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if unknown:
        raise ApiError(
            "invalid_scopes",
            _("Unknown scopes: %(unknown)s. Allowed: %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(ApiKey.Scope.values)},
        )
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=prefix,
        secret_hash=_hash_secret(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    return NewApiKey(key=key, plaintext=f"{API_KEY_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key for good; revoking twice keeps the first time."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key


class ApiKeyInvalid(Exception):
    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def api_key_authenticate(*, plaintext: str) -> ApiKey:
    """The active key matching ``plaintext``; raises ApiKeyInvalid otherwise."""
    parts = (plaintext or "").split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        raise ApiKeyInvalid("invalid_key", _("Malformed API key."))
    key = ApiKey.objects.select_related("organization").filter(prefix=parts[1][:16]).first()
    # Compare in constant time even when the prefix is unknown, so that timing
    # does not tell which prefixes exist.
    expected = key.secret_hash if key is not None else "0" * 64
    if not hmac.compare_digest(expected, _hash_secret(parts[2])) or key is None:
        raise ApiKeyInvalid("invalid_key", _("Unknown API key."))
    if key.revoked_at is not None:
        raise ApiKeyInvalid("key_revoked", _("This API key was revoked."))
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- deletion ---------------------------------------------------------------------

DELETED_USERNAME_PREFIX = "deleted-"


def user_lock(*, user_id: int) -> User:
    """``user_id``'s row under a lock, for the rest of the caller's transaction.

    FOR NO KEY UPDATE, not FOR UPDATE: rows that refer to the user (a redemption,
    a ledger transaction, a battle) take a key-share lock on it when inserted, and
    a deletion waiting for the redemption's wallet while holding FOR UPDATE here
    deadlocked with that redemption (tests/accounts/test_deletion_concurrency.py).
    Two deletions, or a deletion and a wallet link, still wait for each other.
    """
    return User.objects.select_for_update(no_key=True).get(pk=user_id)


def users_lock_active(*, user_ids) -> set[int]:
    """The ids among ``user_ids`` of accounts not deleted, their rows locked as
    ``user_lock`` locks one, in id order.

    A sale paying contributors takes these: a deletion at the same moment either
    commits first (the lock's wait re-reads ``is_active``, and the account is left
    out) or waits for the sale and counts its share in the points it leaves behind.
    """
    return set(
        User.objects.filter(pk__in=list(user_ids), is_active=True)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )


def organizations_left_without_owner_locked(*, user: User) -> list[str]:
    """Names of the organisations ``user`` is the only owner of, read with every
    owner's seat of the organisations ``user`` owns locked until the caller's
    transaction ends.

    The deletion checks this and then removes the user's seats: without the
    locks, another owner stepping down at that moment (``membership_add``,
    which locks the same seats, in the same order) passed its own check too,
    and the organisation was left with no owner. Locked, whichever comes second
    waits and re-reads: a step-down that committed first makes the deletion a
    409, a deletion that committed first makes the step-down one.
    """
    owned = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values(
        "organization_id"
    )
    seats = list(
        Membership.objects.select_for_update()
        .filter(organization_id__in=owned, role=Membership.Role.OWNER)
        .order_by("pk")
        .values_list("organization_id", "user_id")
    )
    owners: dict[int, set[int]] = {}
    for organization_id, user_id in seats:
        owners.setdefault(organization_id, set()).add(user_id)
    sole = [org for org, users in owners.items() if users == {user.pk}]
    return list(
        Organization.objects.filter(pk__in=sole).order_by("name").values_list("name", flat=True)
    )


def account_anonymise_locked(*, user: User, requested_at, now) -> DeletionRequest:
    """Remove who ``user`` was and record the deletion; the row stays for what refers to it.

    Runs inside the deletion's transaction, which holds the user's row lock.
    Name, e-mail, password, staff rights, provider seats and the API keys the
    user made go; the public id (the seed of their export pseudonym) is
    replaced, so later exports cannot link their old votes to the pseudonym in
    versions frozen before. Every session ends: Django checks each one against
    the password hash, which changes here, and refuses inactive users.
    """
    old_username = user.username
    ApiKey.objects.filter(created_by=user, revoked_at__isnull=True).update(revoked_at=now)
    Membership.objects.filter(user=user).delete()
    Invitation.objects.filter(user=user).delete()
    user.username = f"{DELETED_USERNAME_PREFIX}{uuid.uuid4().hex}"
    user.email = user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.public_id = uuid.uuid4()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    # Failed log-ins recorded under the old name (django-axes keeps name and address).
    AccessAttempt.objects.filter(username=old_username).delete()
    return DeletionRequest.objects.create(user=user, requested_at=requested_at, completed_at=now)


# --- the language of the pages ----------------------------------------------------


def interface_language_set(*, user: User, language: str) -> None:
    """Remember the language ``user`` chose for the pages (one of LANGUAGES)."""
    if language in dict(settings.LANGUAGES) and user.interface_language != language:
        User.objects.filter(pk=user.pk).update(interface_language=language)
        user.interface_language = language


def interface_language_on_login(sender, request, user, **kwargs) -> None:
    """At log-in, the device's own choice (its language cookie) wins and is
    remembered; a device without one takes the account's, which
    ``datafi.accounts.middleware.LocaleMiddleware`` then sets as its cookie."""
    if request is None:
        return
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        interface_language_set(user=user, language=chosen)
    elif user.interface_language in dict(settings.LANGUAGES):
        translation.activate(user.interface_language)
        request.LANGUAGE_CODE = user.interface_language
        request.interface_language_from_account = user.interface_language
