"""The provider API's live models: register an endpoint-backed model, read its
endpoint (the key never: only its last four characters), probe it, pause and
resume it, rotate its key, and run generation jobs for the stored prompts.

Views parse, call one service of evals.provider.live, and render.
"""

from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from datafi.accounts.authentication import principal_for
from datafi.api import ApiError
from evals.models import EndpointProbe, GenerationJob
from evals.provider import live, selectors
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


class StrictFloatField(serializers.FloatField):
    """A JSON number, not a string that reads as one (the schema says number)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


_NUMBER_PARAMS = {
    name: {"type": "integer" if integer else "number", "minimum": lo, "maximum": hi}
    for name, (lo, hi, integer) in live.PARAM_RULES.items()
}
DEFAULT_PARAMS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **_NUMBER_PARAMS,
        "stop": {
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": 64},
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 4,
                    "items": {"type": "string", "minLength": 1, "maxLength": 64},
                },
            ]
        },
    },
}


@extend_schema_field(DEFAULT_PARAMS_SCHEMA)
class DefaultParamsField(serializers.DictField):
    """The request parameters an endpoint gets with every call (checked by
    evals.provider.live.default_params_clean)."""


# http(s)://host[:port][/path], no credentials: what the guard accepts before it
# resolves the host (which a schema cannot describe: a name that does not resolve
# or an address inside our network is still a 400).
BASE_URL_PATTERN = r"^https?://[A-Za-z0-9.\-\[\]:]+(/[!-~]*)?$"


class ProbeOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "EndpointProbe"

    ok = serializers.BooleanField()
    trigger = serializers.ChoiceField(choices=EndpointProbe.Trigger.choices)
    time_to_first_token_ms = serializers.IntegerField(allow_null=True)
    tokens_per_s = serializers.FloatField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error_code = serializers.CharField(
        allow_blank=True,
        help_text="Stable identifier: unauthorized, timeout, connection_refused, "
        "not_streaming, server_error, private_address, ... (empty when ok).",
    )
    error = serializers.CharField(allow_blank=True, help_text="What went wrong, in plain words.")
    created_at = serializers.DateTimeField()


class EndpointOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ModelEndpoint"

    model = serializers.CharField(source="model.slug")
    status = serializers.SerializerMethodField(
        help_text="waiting_for_approval, approved, paused, rejected or retired."
    )
    base_url = serializers.CharField()
    model_id = serializers.CharField(source="provider_model_id")
    api_key_hint = serializers.SerializerMethodField(
        help_text="The stored key's last four characters; the key itself is never shown."
    )
    default_params = serializers.DictField()
    timeout_s = serializers.FloatField()
    concurrency_limit = serializers.IntegerField()
    paused = serializers.BooleanField()
    pause_reason = serializers.CharField(allow_blank=True)
    last_probe = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_status(self, obj) -> str:
        return selectors.endpoint_status(endpoint=obj)

    def get_api_key_hint(self, obj) -> str:
        return f"…{obj.api_key_hint}" if obj.api_key_hint else ""

    @extend_schema_field(ProbeOutputSerializer(allow_null=True))
    def get_last_probe(self, obj):
        probe = selectors.endpoint_last_probe(endpoint=obj)
        return ProbeOutputSerializer(probe).data if probe else None


class LiveModelOutputSerializer(ModelOutputSerializer):
    class Meta:
        ref_name = "LiveModel"

    endpoint = EndpointOutputSerializer()


class JobNoteSerializer(serializers.Serializer):
    class Meta:
        ref_name = "GenerationJobNote"

    prompt = serializers.CharField()
    kind = serializers.ChoiceField(choices=["withheld", "failed"])
    reason = serializers.CharField(allow_blank=True)


class JobOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "GenerationJob"

    id = serializers.UUIDField()
    model = serializers.CharField(source="model.slug")
    state = serializers.ChoiceField(choices=GenerationJob.State.choices)
    total = serializers.IntegerField(help_text="Prompts to answer when the job was requested.")
    written = serializers.IntegerField(help_text="Answers stored (withheld ones included).")
    withheld = serializers.IntegerField(
        help_text="Answers kept out of battles because they name a model or provider."
    )
    failed = serializers.IntegerField(help_text="Prompts that failed after the retries.")
    progress = serializers.SerializerMethodField()
    notes = JobNoteSerializer(many=True, help_text="The first withheld and failed prompts, why.")
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, obj) -> float:
        if obj.state == GenerationJob.State.DONE or obj.total == 0:
            return 1.0 if obj.state == GenerationJob.State.DONE else 0.0
        return round(min(1.0, (obj.written + obj.failed) / obj.total), 4)


def _endpoint_or_404(principal, slug):
    model = model_or_404(principal, slug)
    endpoint = selectors.endpoint_of(model=model)
    if endpoint is None:
        raise ApiError("no_endpoint", _("Model %(slug)r has no endpoint.") % {"slug": slug}, 404)
    return endpoint


class LiveModelRegisterView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LiveModelInput"

        name = StrictCharField(max_length=120, validators=MODEL_NAME_VALIDATORS)
        description = StrictCharField(required=False, allow_blank=True, max_length=5000)
        organization = StrictSlugField(required=False, max_length=60)
        base_url = StrictCharField(
            max_length=300,
            validators=[RegexValidator(BASE_URL_PATTERN, message=_lazy("An http(s) URL."))],
            help_text="The OpenAI-compatible API's base URL, e.g. https://api.example.com/v1 "
            "(public addresses only).",
        )
        model_id = StrictCharField(max_length=200, help_text="The model id the endpoint expects.")
        api_key = StrictCharField(
            max_length=500,
            allow_blank=True,
            trim_whitespace=False,
            help_text="Stored encrypted; never shown again (only its last four characters).",
        )
        default_params = DefaultParamsField(
            required=False,
            help_text="Sent with every request: temperature, top_p, max_tokens, "
            "max_completion_tokens, presence_penalty, frequency_penalty, seed, stop.",
        )
        timeout_s = StrictFloatField(
            required=False, min_value=live.TIMEOUT_RANGE[0], max_value=live.TIMEOUT_RANGE[1]
        )
        concurrency_limit = StrictIntegerField(
            required=False,
            min_value=live.CONCURRENCY_RANGE[0],
            max_value=live.CONCURRENCY_RANGE[1],
            help_text="Requests in flight at once, across all our workers.",
        )

    @extend_schema(
        operation_id="live_models_create",
        description=(
            "Register a model answered live by your OpenAI-compatible endpoint. It waits for "
            "an operator's approval; the endpoint is probed at once (one short streamed "
            "completion) and the probe's result is in `endpoint.last_probe`."
        ),
        request=InputSerializer,
        responses={201: LiveModelOutputSerializer, **errors(400, 404, 409, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def post(self, request):
        data = validated_body(self.InputSerializer, request)
        principal = principal_for(request)
        org = organization_for_write(principal, data.get("organization"))
        model, _probe = live.live_model_register(
            organization=org,
            name=data["name"],
            description=data.get("description", ""),
            base_url=data["base_url"],
            provider_model_id=data["model_id"],
            api_key=data["api_key"],
            default_params=data.get("default_params"),
            timeout_s=data.get("timeout_s", 60.0),
            concurrency_limit=data.get("concurrency_limit", 4),
        )
        model = selectors.model_for_principal(principal=principal, slug=model.slug)
        return Response(LiveModelOutputSerializer(model).data, status=status.HTTP_201_CREATED)


class EndpointDetailView(ProviderApiView):
    @extend_schema(
        operation_id="endpoint_retrieve",
        responses={200: EndpointOutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def get(self, request, slug):
        endpoint = _endpoint_or_404(principal_for(request), slug)
        return Response(EndpointOutputSerializer(endpoint).data)


class EndpointProbeView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    @extend_schema(
        operation_id="endpoint_probe",
        description=(
            "Send the endpoint one short streamed completion now (a short timeout, no "
            "retries) and return what came of it: time to first token, tokens per second, "
            "or the error in plain words. A failed probe is a 200 with `ok: false`. "
            "Probes, registrations and key rotations share one allowance per organization "
            "(THROTTLE_ENDPOINT_PROBE, by default 10 per 10 minutes and 100 a day): past it, "
            "429 with Retry-After."
        ),
        request=None,
        responses={200: ProbeOutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def post(self, request, slug):
        endpoint = _endpoint_or_404(principal_for(request), slug)
        probe = live.endpoint_probe_requested(endpoint=endpoint)
        return Response(ProbeOutputSerializer(probe).data)


class EndpointPauseView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    @extend_schema(
        operation_id="endpoint_pause",
        description="Take the model out of live battles until you resume it.",
        request=None,
        responses={200: EndpointOutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def post(self, request, slug):
        endpoint = live.endpoint_pause(endpoint=_endpoint_or_404(principal_for(request), slug))
        return Response(EndpointOutputSerializer(endpoint).data)


class EndpointResumeView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    @extend_schema(
        operation_id="endpoint_resume",
        description=(
            "Back into live battles (also after an automatic pause for repeated failures). "
            "An approved model is picked again; one waiting for approval still waits."
        ),
        request=None,
        responses={200: EndpointOutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def post(self, request, slug):
        endpoint = live.endpoint_resume(endpoint=_endpoint_or_404(principal_for(request), slug))
        return Response(EndpointOutputSerializer(endpoint).data)


class EndpointKeyView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "EndpointKeyInput"

        api_key = StrictCharField(max_length=500, allow_blank=True, trim_whitespace=False)

    @extend_schema(
        operation_id="endpoint_key_rotate",
        description=(
            "Replace the endpoint's API key. The old key is gone for good; the new one is "
            "probed at once (see `last_probe`)."
        ),
        request=InputSerializer,
        responses={200: EndpointOutputSerializer, **errors(400, 404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def post(self, request, slug):
        data = validated_body(self.InputSerializer, request)
        endpoint = _endpoint_or_404(principal_for(request), slug)
        live.endpoint_key_rotate(endpoint=endpoint, api_key=data["api_key"])
        return Response(EndpointOutputSerializer(endpoint).data)


class GenerationJobListView(ProviderApiView):
    required_scopes = {"POST": "answers:write"}

    @extend_schema(
        operation_id="generation_jobs_list",
        responses={200: JobOutputSerializer(many=True), **errors(404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def get(self, request, slug):
        model = model_or_404(principal_for(request), slug)
        jobs = selectors.generation_jobs_of(model=model)
        return Response(JobOutputSerializer(jobs, many=True).data)

    @extend_schema(
        operation_id="generation_jobs_create",
        description=(
            "Queue a job that generates the model's answers to the active stored prompts it "
            "has not answered, through its endpoint. A worker runs it; follow it with "
            "`GET /api/v1/generation-jobs/{id}`. Answers that name a model or provider are "
            "kept out of battles (`withheld`, with the reason in `notes`)."
        ),
        request=None,
        responses={202: JobOutputSerializer, **errors(400, 404, 409, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def post(self, request, slug):
        model = model_or_404(principal_for(request), slug)
        job = live.generation_job_request(model=model, by=request.user)
        return Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class GenerationJobDetailView(ProviderApiView):
    @extend_schema(
        operation_id="generation_jobs_retrieve",
        responses={200: JobOutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["live models"],
    )
    def get(self, request, job_id):
        job = selectors.generation_job_for_principal(
            principal=principal_for(request), job_id=job_id
        )
        if job is None:
            raise ApiError("not_found", _("No such generation job of yours."), 404)
        return Response(JobOutputSerializer(job).data)
