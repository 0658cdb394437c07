"""Reads about accounts: provider seats and keys, a deletion's record."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q

from datafi.accounts.models import DeletionRequest, Membership, User


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
