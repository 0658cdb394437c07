"""Reads about accounts: provider seats and keys, a deletion's record.

Other apps read people, organisations, seats and keys here (and write them in
``datafi.accounts.services``), never through the models."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from datafi.accounts.models import (
    ApiKey,
    DeletionRequest,
    Invitation,
    Membership,
    Organization,
    User,
)

OWNER = Membership.Role.OWNER
MEMBER = Membership.Role.MEMBER
# A new member's role, as a form offers it: member first, the default.
ROLES = [(MEMBER, MEMBER.label), (OWNER, OWNER.label)]
API_KEY_SCOPES = ApiKey.Scope.choices
# Ticked on a new key: all but buying, which a key gets only when asked for.
DEFAULT_KEY_SCOPES = [v for v in ApiKey.Scope.values if v != ApiKey.Scope.MARKET_BUY]


def role_label(role: str) -> str:
    return str(Membership.Role(role).label)


def user_named(username: str, *, active_only: bool = True) -> User | None:
    """The account called ``username`` (only an open one unless ``active_only`` is False)."""
    rows = User.objects.filter(username=username)
    return (rows.filter(is_active=True) if active_only else rows).first()


def organization_by_slug(slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()


def organizations_by_name():
    """Every organisation, by name (a queryset: a form's choices)."""
    return Organization.objects.order_by("name")


def memberships_of(*, user: User) -> list[Membership]:
    """``user``'s seats with their organisations, by organisation name."""
    return list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def membership_of(*, user: User, slug: str) -> Membership | None:
    """``user``'s seat in the organisation ``slug``, with it; None without one."""
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=slug)
        .first()
    )


def members_of(*, organization: Organization) -> list[Membership]:
    """The seats of ``organization`` with their users, by username."""
    return list(organization.memberships.select_related("user").order_by("user__username"))


def keys_of(*, organization: Organization) -> list[ApiKey]:
    return list(organization.api_keys.all())


def key_in(*, organization: Organization, prefix: str) -> ApiKey | None:
    """The key of ``organization`` whose public prefix is ``prefix``."""
    return ApiKey.objects.filter(organization=organization, prefix=prefix).first()


@dataclass(frozen=True)
class Seat:
    organization: str
    role: str  # the role's label
    keys_created: int  # the user's active API keys for this organisation


def seats_of(*, user: User) -> list[Seat]:
    """The provider organisations ``user`` has a seat in, with the active keys they made."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .annotate(
            keys=Count(
                "organization__api_keys",
                filter=Q(
                    organization__api_keys__created_by=user,
                    organization__api_keys__revoked_at__isnull=True,
                ),
            )
        )
        .order_by("organization__name")
    )
    return [
        Seat(organization=m.organization.name, role=m.get_role_display(), keys_created=m.keys)
        for m in memberships
    ]


@dataclass(frozen=True)
class InvitationView:
    organization: str  # its name
    slug: str
    role: str  # the role's label
    invited_by: str  # a username, "" if unknown


def _standing_invitations():
    """Invitations that can still be accepted: whoever sent one is still an owner
    of its organisation. The others lapsed (their sender stepped down, was
    removed or deleted their account); ``invitation_accept`` refuses them, so
    they are listed to nobody, and a new invitation from an owner replaces one."""
    sender_is_owner = Membership.objects.filter(
        organization=OuterRef("organization"),
        user=OuterRef("invited_by"),
        role=Membership.Role.OWNER,
    )
    return Invitation.objects.filter(Exists(sender_is_owner))


def invitations_of(*, user: User) -> list[InvitationView]:
    """The seats offered to ``user`` that wait for their answer and can still be
    accepted, oldest first."""
    rows = _standing_invitations().filter(user=user).select_related("organization", "invited_by")
    return [
        InvitationView(
            organization=i.organization.name,
            slug=i.organization.slug,
            role=i.get_role_display(),
            invited_by=i.invited_by.username if i.invited_by else "",
        )
        for i in rows.order_by("created_at", "pk")
    ]


def invitations_sent(*, organization_ids) -> dict[int, list[tuple[str, str]]]:
    """By organisation: (username, role label) of each invitation still waiting
    that can still be accepted (lapsed ones are not listed)."""
    out: dict[int, list[tuple[str, str]]] = {}
    rows = (
        _standing_invitations().filter(organization_id__in=organization_ids).select_related("user")
    )
    for i in rows.order_by("user__username"):
        out.setdefault(i.organization_id, []).append((i.user.username, i.get_role_display()))
    return out


def organizations_left_without_owner(*, user: User) -> list[str]:
    """Names of the organisations ``user`` is the only owner of (their deletion
    would leave nobody who can manage the organisation's keys, models and members)."""
    others = Membership.objects.filter(
        organization=OuterRef("organization"), role=Membership.Role.OWNER
    ).exclude(user=user)
    return list(
        Membership.objects.filter(user=user, role=Membership.Role.OWNER)
        .exclude(Exists(others))
        .order_by("organization__name")
        .values_list("organization__name", flat=True)
    )


def deletion_of(*, user: User) -> DeletionRequest | None:
    """The record of ``user``'s account deletion, or None."""
    return DeletionRequest.objects.filter(user_id=user.pk).first()


def key_of_owner(*, user: User, key_id) -> ApiKey | None:
    """The API key ``key_id`` with its organisation, if ``user`` holds an owner's
    seat in that organisation now; else None."""
    if not isinstance(key_id, int):
        return None
    return (
        ApiKey.objects.select_related("organization")
        .filter(
            pk=key_id,
            organization__memberships__user=user,
            organization__memberships__role=Membership.Role.OWNER,
        )
        .first()
    )
