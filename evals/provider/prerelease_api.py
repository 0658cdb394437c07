"""The provider API's pre-release testing: enter a model under a codename, read its
private standing, release it under its public name or withdraw it.

Views parse, call datafi.flows.prerelease, and render.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from datafi.accounts.authentication import principal_for
from datafi.api import ApiError
from datafi.flows import prerelease
from evals.models import EvalModel
from evals.provider.api import (
    AUTH_ERRORS,
    MODEL_NAME_VALIDATORS,
    ModelOutputSerializer,
    ProviderApiView,
    StrictCharField,
    StrictSlugField,
    errors,
    model_or_404,
    organization_for_write,
    validated_body,
)


class CommitmentSerializer(serializers.Serializer):
    class Meta:
        ref_name = "PrereleaseCommitment"

    id = serializers.IntegerField()
    digest = serializers.CharField(help_text="0x + sha256 of the canonical preimage (README).")
    outcome = serializers.CharField(help_text="testing, released or withdrawn.")
    committed_at = serializers.DateTimeField()
    tx_hash = serializers.CharField(
        allow_null=True, help_text="The on-chain record (null until it is signed)."
    )
    tx_status = serializers.CharField(allow_null=True)
    disclosed_at = serializers.DateTimeField(allow_null=True)
    preimage = serializers.CharField(
        allow_null=True, help_text="Published at release or withdrawal, never before."
    )
    results = serializers.JSONField(allow_null=True)


def _commitment_data(model: EvalModel) -> dict | None:
    c = prerelease.prerelease_commitment(model=model)
    if c is None:
        return None
    disclosed = c.disclosed_at is not None
    return {
        "id": c.pk,
        "digest": c.digest,
        "outcome": c.outcome,
        "committed_at": c.created_at,
        "tx_hash": c.chain_tx.tx_hash if c.chain_tx else None,
        "tx_status": c.chain_tx.status if c.chain_tx else None,
        "disclosed_at": c.disclosed_at,
        "preimage": c.preimage if disclosed else None,
        "results": c.results if disclosed else None,
    }


class PrereleaseOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "PrereleaseOutput"

    model = ModelOutputSerializer()
    prerelease = serializers.CharField(
        allow_blank=True, help_text="testing, released, withdrawn, or empty (never in testing)."
    )
    codename = serializers.CharField(allow_blank=True)
    testing_started_at = serializers.DateTimeField(allow_null=True)
    testing_ended_at = serializers.DateTimeField(allow_null=True)
    commitment = CommitmentSerializer(allow_null=True)


def _render(principal, slug: str, *, code=status.HTTP_200_OK) -> Response:
    model = model_or_404(principal, slug)
    data = {
        "model": model,
        "prerelease": model.prerelease,
        "codename": model.codename,
        "testing_started_at": model.testing_started_at,
        "testing_ended_at": model.testing_ended_at,
        "commitment": _commitment_data(model),
    }
    return Response(PrereleaseOutputSerializer(data).data, status=code)


def _testing_model_or_409(principal, slug: str) -> EvalModel:
    model = model_or_404(principal, slug)
    if model.prerelease != EvalModel.Prerelease.TESTING:
        raise ApiError(
            "not_in_testing",
            _("Model %(slug)r is not in pre-release testing.") % {"slug": slug},
            409,
        )
    return model


class TestingModelEnterView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TestingModelInput"

        codename = StrictCharField(
            max_length=120,
            validators=MODEL_NAME_VALIDATORS,
            help_text="The model's public name while it is in testing.",
        )
        description = StrictCharField(required=False, allow_blank=True, max_length=5000)
        organization = StrictSlugField(required=False, max_length=60)

    @extend_schema(
        operation_id="testing_models_create",
        request=InputSerializer,
        responses={201: PrereleaseOutputSerializer, **errors(400, 404, 409, *AUTH_ERRORS)},
        tags=["pre-release testing"],
        description=(
            "Enter an unreleased model under a codename. A commitment to (codename, "
            "organisation, start time, salt) is published on /transparency/ and on chain; "
            "the model waits for an operator's approval like any other."
        ),
    )
    def post(self, request):
        data = validated_body(self.InputSerializer, request)
        principal = principal_for(request)
        org = organization_for_write(principal, data.get("organization"))
        entered = prerelease.prerelease_enter(
            organization=org, codename=data["codename"], description=data.get("description", "")
        )
        return _render(principal, entered.model.slug, code=status.HTTP_201_CREATED)


class ModelStandingView(ProviderApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ModelStandingOutput"

        slug = serializers.CharField()
        name = serializers.CharField()
        prerelease = serializers.CharField(allow_blank=True)
        score = serializers.FloatField(allow_null=True)
        lower = serializers.FloatField(allow_null=True)
        upper = serializers.FloatField(allow_null=True)
        rank = serializers.IntegerField(allow_null=True)
        votes = serializers.IntegerField()
        preliminary = serializers.BooleanField()
        models_in_fit = serializers.IntegerField()
        fit_vote_count = serializers.IntegerField()
        interval = serializers.CharField()
        computed_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="models_standing",
        responses={200: OutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["pre-release testing"],
        description=(
            "The model's standing on the overall leaderboard, fitted with it included: "
            "for a model in testing, visible only to its organisation and operators."
        ),
    )
    def get(self, request, slug):
        model = model_or_404(principal_for(request), slug)
        standing = prerelease.prerelease_standing(model=model)
        data = {"slug": model.slug, "name": model.name, "prerelease": model.prerelease}
        return Response(self.OutputSerializer({**data, **standing}).data)


class ModelReleaseView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ModelReleaseInput"

        name = StrictCharField(
            max_length=120,
            validators=MODEL_NAME_VALIDATORS,
            help_text="The model's public name from now on (its slug stays).",
        )

    @extend_schema(
        operation_id="models_release",
        request=InputSerializer,
        responses={200: PrereleaseOutputSerializer, **errors(400, 404, 409, *AUTH_ERRORS)},
        tags=["pre-release testing"],
        description=(
            "End testing: the model takes its public name and its results, whatever they "
            "are, are published with the commitment's preimage."
        ),
    )
    def post(self, request, slug):
        data = validated_body(self.InputSerializer, request)
        principal = principal_for(request)
        model = _testing_model_or_409(principal, slug)
        prerelease.prerelease_end(
            model=model, outcome=EvalModel.Prerelease.RELEASED, name=data["name"]
        )
        return _render(principal, slug)


class ModelWithdrawView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    @extend_schema(
        operation_id="models_withdraw",
        request=None,
        responses={200: PrereleaseOutputSerializer, **errors(404, 409, *AUTH_ERRORS)},
        tags=["pre-release testing"],
        description=(
            "End testing without a release: the model is retired and its results, "
            "whatever they are, are published with the commitment's preimage."
        ),
    )
    def post(self, request, slug):
        principal = principal_for(request)
        model = _testing_model_or_409(principal, slug)
        prerelease.prerelease_end(model=model, outcome=EvalModel.Prerelease.WITHDRAWN)
        return _render(principal, slug)
