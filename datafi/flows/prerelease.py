"""Pre-release testing with committed disclosure (issue #18, item 2).

evals registers the model under its codename, rewards stores (and anchors on
chain) the commitment, ratings keeps the model out of the public boards while it
is in testing and fits its results when testing ends; rewards then discloses
them with the commitment's preimage, whatever they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from evals.models import EvalModel
from evals.provider import services as provider_services
from ratings import services as ratings_services
from rewards.services import commitments


@dataclass
class Entered:
    model: EvalModel
    commitment: object  # rewards.models.Commitment


def prerelease_enter(*, organization, codename: str, description: str = "") -> Entered:
    """Enter a model for testing under ``codename`` and publish the commitment to it.

    The model and its commitment are stored in one transaction; the on-chain
    record is sent after the commit (never inside it). A node that cannot be
    reached now leaves the commitment for the payout worker to send.
    """
    with transaction.atomic(durable=True):
        model = provider_services.model_testing_insert(
            organization=organization, codename=codename, description=description
        )
        commitment = commitments.commitment_create(
            model_id=model.pk,
            organization=organization,
            codename=model.codename,
            started_at=model.testing_started_at,
        )
    commitment = commitments.commitment_publish(commitment=commitment)
    return Entered(model=model, commitment=commitment)


def prerelease_end(*, model: EvalModel, outcome: str, name: str = "") -> Entered:
    """Release (under ``name``) or withdraw a model in testing; disclose its results.

    The results are fitted just before the transaction that ends the testing
    (the fit only reads; a vote counted in between is in neither). The row lock
    taken in that transaction refuses a second end with a 409.
    """
    standing = ratings_services.model_standing(model_id=model.pk)
    with transaction.atomic(durable=True):
        ended = provider_services.model_testing_end_locked(
            model_id=model.pk, outcome=outcome, name=name
        )
        commitment = commitments.commitment_disclose(
            model_id=ended.pk,
            outcome=outcome,
            released_name=ended.name if outcome == EvalModel.Prerelease.RELEASED else "",
            results={"codename": ended.codename, "slug": ended.slug, **standing},
        )
        # The model joins the public boards (released) or its votes count in
        # them like any retired model's (withdrawn): refresh every slice.
        ratings_services.leaderboards_invalidate()
    return Entered(model=ended, commitment=commitment)


def prerelease_standing(*, model: EvalModel) -> dict:
    """The provider's (and operators') private view of a model's standing: a fit
    at most RATINGS_STANDING_MAX_AGE seconds old (disclosure fits afresh)."""
    return ratings_services.model_standing(
        model_id=model.pk,
        max_age=settings.RATINGS_STANDING_MAX_AGE,
        token=f"{model.created_at.timestamp()}:{model.prerelease}",
    )


def prerelease_commitment(*, model: EvalModel):
    """The commitment published when ``model`` entered testing (None: it never did)."""
    return commitments.commitment_for_model(model_id=model.pk)
