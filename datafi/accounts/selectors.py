"""Reads about accounts: provider seats and keys, a deletion's record."""

from dataclasses import dataclass

from django.db.models import Count, Q

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


def deletion_of(*, user: User) -> DeletionRequest | None:
    """The record of ``user``'s account deletion, or None."""
    return DeletionRequest.objects.filter(user_id=user.pk).first()
