"""The provider REST API under /api/v1: one view per operation.

Views parse input with an ``InputSerializer``, call one service or selector,
and render with an ``OutputSerializer``. Access is decided by the caller's
``Principal``: an API key acts for one organisation, a logged-in member for
their organisations, an operator (``is_staff``) for everything.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.core.validators import RegexValidator
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from datafi.accounts import selectors as account_selectors
from datafi.accounts.authentication import (
    ApiKeyAuthentication,
    ApiKeyRateThrottle,
    ExportRateThrottle,
    HasScope,
    principal_for,
)
from datafi.api import ApiError, ErrorSerializer, OwnContentType, StrictCursorPagination
from datafi.flows import market as market_flow
from datafi.input import JSONParser
from evals.models import Category, EvalModel
from evals.provider import exports, selectors, services
from evals.provider import schema as _schema  # also registers the auth scheme
from evals.quality.selectors import sampling_fairness  # the one fairness counting

# --- shared pieces ----------------------------------------------------------------


def errors(*statuses: int) -> dict:
    """The documented error responses of an operation (all share one shape)."""
    described = {
        400: "Malformed input",
        401: "No key, or an unknown or revoked key",
        403: "The key lacks the scope, or the caller has no organisation",
        404: "Not found, or another organisation's",
        409: "Conflict with existing data",
        413: "Too large",
        415: "Unsupported media type",
        429: "Throttled",
        503: "A service it needs (the chain) cannot be reached; nothing was changed",
    }
    return {s: OpenApiResponse(ErrorSerializer, description=described[s]) for s in statuses}


AUTH_ERRORS = (401, 403, 429)


class StrictCharField(serializers.CharField):
    """A string, not anything that can be turned into one (DRF's CharField takes 5).

    ``max_length`` counts the string as sent, as the schema states it: DRF would
    count it after trimming, and accept more than the schema allows.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


# What services.model_create needs to make a slug, stated in the schema too:
# at least one ASCII letter or digit (a JSON Schema pattern matches anywhere).
MODEL_NAME_VALIDATORS = [
    RegexValidator(r"[A-Za-z0-9]", message="name needs at least one letter or digit (A-Z, 0-9).")
]


class StrictSlugField(serializers.SlugField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ProviderApiView(APIView):
    # JSON bodies only (the answer upload reads its JSON lines itself): a form
    # post gets a clear 415 instead of being half-understood.
    parser_classes = [JSONParser]
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ApiKeyRateThrottle]
    required_scopes: dict[str, str] = {}


def _query(serializer_class, request, *, also=()) -> dict:
    """The validated query string. ``also``: names read elsewhere (the pagination's
    cursor and page_size where the serializer does not list them)."""
    # Every parameter is single-valued in the schema: a repeated one is refused
    # rather than silently reduced to its last value.
    repeated = sorted(k for k, v in request.query_params.lists() if len(v) > 1)
    if repeated:
        raise ApiError("repeated_parameter", f"Give each parameter once: {', '.join(repeated)}.")
    # A misspelt filter (?modle=) would otherwise be ignored and the whole,
    # unfiltered listing returned; DRF's own format override stays allowed.
    known = {*serializer_class().fields, *also, api_settings.URL_FORMAT_OVERRIDE}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ApiError("unknown_parameter", f"Unknown parameters: {', '.join(unknown)}.")
    # .dict(): a plain dict, so that an absent boolean stays absent instead of
    # DRF's HTML-form reading of it as False.
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_body(serializer_class, request, **kwargs) -> dict:
    if not isinstance(request.data, dict):
        raise ApiError("invalid_body", "The body must be a JSON object.")
    # A misspelt field would otherwise be ignored without a word (the schema
    # says additionalProperties: false, see evals.provider.schema).
    unknown = sorted(set(request.data) - set(serializer_class().fields))
    if unknown:
        raise ApiError("unknown_fields", f"Unknown fields: {', '.join(map(repr, unknown))}.")
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def model_or_404(principal, slug: str) -> EvalModel:
    model = selectors.model_for_principal(principal=principal, slug=slug)
    if model is None:
        raise ApiError("not_found", f"No model {slug!r} in your organisation.", 404)
    return model


def organization_for_write(principal, slug: str | None):
    if principal.key is not None:
        org = principal.key.organization
        if slug and slug != org.slug:
            raise ApiError("wrong_organization", "This key belongs to another organisation.", 403)
        return org
    if slug:
        org = account_selectors.organization_by_slug(slug)
        if org is None or not principal.can_see_org(org.pk):
            raise ApiError("not_found", f"No organisation {slug!r} of yours.", 404)
        return org
    if len(principal.memberships) == 1:
        return principal.memberships[0].organization
    raise ApiError("organization_required", "Say which organisation: organization=<slug>.")


# --- who am I -----------------------------------------------------------------------


class MeView(ProviderApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MeOutput"

        operator = serializers.BooleanField()
        organizations = serializers.ListField(child=serializers.CharField())
        scopes = serializers.ListField(child=serializers.CharField())
        key = serializers.CharField(allow_null=True, help_text="The key's public prefix.")

    @extend_schema(
        operation_id="me", responses={200: OutputSerializer, **errors(*AUTH_ERRORS)}, tags=["auth"]
    )
    def get(self, request):
        p = principal_for(request)
        if p.key is not None:
            orgs = [p.key.organization.slug]
        else:
            orgs = sorted(m.organization.slug for m in p.memberships)
        data = {
            "operator": p.is_operator,
            "organizations": orgs,
            "scopes": sorted(p.scopes),
            "key": p.key.prefix if p.key else None,
        }
        return Response(self.OutputSerializer(data).data)


# --- models -------------------------------------------------------------------------


class ModelOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    organization = serializers.CharField(source="organization.slug")
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=EvalModel.Status.choices)
    approval = serializers.ChoiceField(
        choices=EvalModel.Approval.choices,
        help_text="A model is shown to voters only once an operator approved it.",
    )
    approval_reason = serializers.CharField(
        allow_blank=True, help_text="The operator's reason (always given for a rejection)."
    )
    reviewed_at = serializers.DateTimeField(allow_null=True)
    kind = serializers.SerializerMethodField()
    answer_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    def get_kind(self, obj) -> str:
        # "live": answered by an endpoint (POST /api/v1/live-models); "answers":
        # answers uploaded by the provider.
        return "live" if getattr(obj, "has_endpoint", False) else "answers"


class ModelListView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ModelListInput"

        name = StrictCharField(max_length=120, validators=MODEL_NAME_VALIDATORS)
        description = StrictCharField(required=False, allow_blank=True, max_length=5000)
        organization = StrictSlugField(required=False, max_length=60)

    @extend_schema(
        operation_id="models_list",
        responses={200: ModelOutputSerializer(many=True), **errors(*AUTH_ERRORS)},
        tags=["models"],
    )
    def get(self, request):
        models = selectors.models_for_principal(principal=principal_for(request))
        return Response(ModelOutputSerializer(models, many=True).data)

    @extend_schema(
        operation_id="models_create",
        request=InputSerializer,
        responses={201: ModelOutputSerializer, **errors(400, 404, 409, *AUTH_ERRORS)},
        tags=["models"],
    )
    def post(self, request):
        data = validated_body(self.InputSerializer, request)
        principal = principal_for(request)
        org = organization_for_write(principal, data.get("organization"))
        model = services.model_create(
            organization=org, name=data["name"], description=data.get("description", "")
        )
        model = selectors.model_for_principal(principal=principal, slug=model.slug)
        return Response(ModelOutputSerializer(model).data, status=status.HTTP_201_CREATED)


class ModelDetailView(ProviderApiView):
    required_scopes = {"PATCH": "models:write"}

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ModelDetailInput"

        name = StrictCharField(required=False, max_length=120, validators=MODEL_NAME_VALIDATORS)
        description = StrictCharField(required=False, allow_blank=True, max_length=5000)

    @extend_schema(
        operation_id="models_retrieve",
        responses={200: ModelOutputSerializer, **errors(404, *AUTH_ERRORS)},
        tags=["models"],
    )
    def get(self, request, slug):
        return Response(ModelOutputSerializer(model_or_404(principal_for(request), slug)).data)

    @extend_schema(
        operation_id="models_update",
        request=InputSerializer,
        responses={200: ModelOutputSerializer, **errors(400, 404, 409, *AUTH_ERRORS)},
        tags=["models"],
    )
    def patch(self, request, slug):
        data = validated_body(self.InputSerializer, request)
        principal = principal_for(request)
        model = model_or_404(principal, slug)
        services.model_update(
            model=model, name=data.get("name"), description=data.get("description")
        )
        return Response(ModelOutputSerializer(model_or_404(principal, slug)).data)


class ModelRetireView(ProviderApiView):
    required_scopes = {"POST": "models:write"}

    @extend_schema(
        operation_id="models_retire",
        request=None,
        # 409: a model in pre-release testing is released or withdrawn instead.
        responses={200: ModelOutputSerializer, **errors(404, 409, *AUTH_ERRORS)},
        tags=["models"],
    )
    def post(self, request, slug):
        principal = principal_for(request)
        services.model_retire(model=model_or_404(principal, slug))
        return Response(ModelOutputSerializer(model_or_404(principal, slug)).data)


# --- prompt sets --------------------------------------------------------------------


class PromptSetListView(ProviderApiView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PromptSetListOutput"

        slug = serializers.CharField()
        name = serializers.CharField()
        description = serializers.CharField()
        prompt_count = serializers.IntegerField()

    @extend_schema(
        operation_id="prompt_sets_list",
        responses={200: OutputSerializer(many=True), **errors(*AUTH_ERRORS)},
        tags=["prompt sets"],
    )
    def get(self, request):
        sets = selectors.prompt_sets_for_principal(principal=principal_for(request))
        return Response(self.OutputSerializer(sets, many=True).data)


class StrictPageSizeMixin:
    """page_size as the schema states it: one whole number from 1 to
    max_page_size, else a 400 (DRF would silently use the default).

    A cursor the API did not give out is a 404, no such page
    (datafi.api.StrictCursorPagination, which checks its position too).
    """

    page_size_query_param = "page_size"

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        if len(raw) > 1 or not raw[0].isascii() or not raw[0].isdigit():
            raise ApiError("invalid", f"page_size: a whole number from 1 to {self.max_page_size}.")
        if not 1 <= int(raw[0]) <= self.max_page_size:
            raise ApiError("invalid", f"page_size: a whole number from 1 to {self.max_page_size}.")
        return int(raw[0])

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params


class IdCursorPagination(StrictPageSizeMixin, StrictCursorPagination):
    ordering = ("id",)
    page_size = 100
    max_page_size = 500


class PromptSetPromptsView(ProviderApiView):
    pagination_class = IdCursorPagination

    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PromptSetPromptsFilter"

        unanswered_by = serializers.SlugField(
            required=False, max_length=80, help_text="Only prompts this model has not answered."
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PromptSetPromptsOutput"

        key = serializers.CharField()
        text = serializers.CharField()
        category = serializers.CharField()
        language = serializers.CharField()

    @extend_schema(
        operation_id="prompt_sets_prompts",
        parameters=[FilterSerializer],
        responses={200: OutputSerializer(many=True), **errors(400, 404, *AUTH_ERRORS)},
        tags=["prompt sets"],
    )
    def get(self, request, slug):
        principal = principal_for(request)
        paging = self.pagination_class
        query = _query(
            self.FilterSerializer,
            request,
            also=(paging.cursor_query_param, paging.page_size_query_param),
        )
        prompt_set = (
            selectors.prompt_sets_for_principal(principal=principal).filter(slug=slug).first()
        )
        if prompt_set is None:
            raise ApiError("not_found", f"No prompt set {slug!r}.", 404)
        model = None
        if query.get("unanswered_by"):
            model = model_or_404(principal, query["unanswered_by"])
        prompts = selectors.prompts_in_set(prompt_set=prompt_set, unanswered_by=model)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(prompts, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


# --- answers ------------------------------------------------------------------------

UPLOAD_MEDIA_TYPES = ("application/x-ndjson", "application/jsonl")
_INT32 = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
# The body is JSON lines; OpenAPI has no type for that, so the schema describes
# the lines as the items of an array: item n is line n, one JSON object each.
UPLOAD_LINES_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": settings.PROVIDER_UPLOAD_MAX_LINES,
    "description": "One JSON object per line (not a JSON array).",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["model", "prompt", "text"],
        "properties": {
            "model": {
                "type": "string",
                "minLength": 1,
                "maxLength": 80,
                "pattern": "^[-a-zA-Z0-9_]+$",
                "description": "The slug of one of your models.",
            },
            "prompt": {
                "type": "string",
                "minLength": 1,
                "maxLength": 120,
                "pattern": "^[-a-zA-Z0-9_]+$",
                "description": "The key of a prompt in a published prompt set.",
            },
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": settings.PROVIDER_ANSWER_MAX_CHARS,
                # Something other than whitespace, as Python's str.strip() sees it:
                # JSON Schema's \s leaves out U+001C-U+001F and U+0085, which
                # strip() removes (schemathesis sent "\u001e").
                "pattern": r"[^\s\x1c-\x1f\x85]",
                "description": "The answer (Markdown). It must not name a model or provider.",
                **_schema.NO_NUL,
            },
            "latency_ms": _INT32,
            "token_count": _INT32,
        },
    },
}


class UploadResultSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnswerUploadResult"

    line = serializers.IntegerField()
    model = serializers.CharField()
    prompt = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged"])


class UploadLineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()

    class Meta:
        ref_name = "AnswerUploadLineError"


class AnswerUploadView(ProviderApiView):
    required_scopes = {"POST": "answers:write"}

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AnswerUploadOutput"

        lines = serializers.IntegerField()
        created = serializers.IntegerField()
        updated = serializers.IntegerField()
        unchanged = serializers.IntegerField()
        results = serializers.ListField(child=serializers.DictField())

    class LineErrorsSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AnswerUploadLineErrors"

        code = serializers.CharField()
        detail = serializers.JSONField()
        errors = UploadLineErrorSerializer(many=True, required=False)

    @extend_schema(
        operation_id="answers_upload",
        description=(
            "JSON lines, one answer per line: "
            '`{"model": "<model slug>", "prompt": "<prompt key>", "text": "...", '
            '"latency_ms": 0, "token_count": 0}` (the last two optional). '
            "Idempotent per (model, prompt). All or nothing: if any line is invalid, "
            "nothing is stored and the response lists every invalid line: 404 when each "
            "of them names a model or prompt you do not have, else 400. A text that "
            "names a model or provider is refused (`identity_leak`): voters judge blind."
        ),
        request={media: UPLOAD_LINES_SCHEMA for media in UPLOAD_MEDIA_TYPES},
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(LineErrorsSerializer, description="Invalid lines"),
            404: OpenApiResponse(
                LineErrorsSerializer, description="Lines naming unknown models or prompts"
            ),
            **errors(413, 415, *AUTH_ERRORS),
        },
        tags=["answers"],
    )
    def post(self, request):
        limit = settings.PROVIDER_UPLOAD_MAX_BYTES
        raw = request._request
        # Read the stream ourselves: Django's request.body would stop at
        # DATA_UPLOAD_MAX_MEMORY_SIZE, which is sized for forms, not uploads.
        body = raw._body if hasattr(raw, "_body") else raw.read(limit + 1)
        if len(body) > limit:
            raise ApiError("too_large", f"The body is larger than {limit} bytes.", 413)
        if not body.strip():
            raise ApiError("empty_upload", "The body holds no JSON lines.")
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media not in UPLOAD_MEDIA_TYPES:
            raise ApiError(
                "unsupported_media_type",
                f"Send JSON lines as {' or '.join(UPLOAD_MEDIA_TYPES)}.",
                415,
            )
        report = services.answers_upload(principal=principal_for(request), body=body)
        if report.errors:
            not_found = all(e["code"] in services.NOT_FOUND_CODES for e in report.errors)
            return Response(
                {
                    "code": "invalid_lines",
                    "detail": (
                        f"{len(report.errors)} of {report.lines} lines are invalid; "
                        "nothing was stored."
                    ),
                    "errors": report.errors,
                },
                status=status.HTTP_404_NOT_FOUND if not_found else status.HTTP_400_BAD_REQUEST,
            )
        return Response(self.OutputSerializer(report.as_dict()).data)


# --- battles and votes --------------------------------------------------------------


class BattleCursorPagination(StrictPageSizeMixin, StrictCursorPagination):
    # served_at, then the id: unique and never changes once a battle exists.
    ordering = ("served_at", "id")
    page_size = 100
    max_page_size = 500


class VoteCursorPagination(BattleCursorPagination):
    ordering = ("voted_at", "id")


class BattleFilterSerializer(serializers.Serializer):
    model = serializers.SlugField(required=False, max_length=80)
    opponent = serializers.SlugField(required=False, max_length=80)
    since = serializers.DateTimeField(required=False, help_text="served_at >= since")
    until = serializers.DateTimeField(
        required=False, help_text="served_at < until (an empty window matches nothing)"
    )
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    # Not trimmed: the schema allows any non-empty string, and trimming would
    # turn " " or "\x1f" into a blank that DRF then refuses.
    language = serializers.CharField(required=False, max_length=8, trim_whitespace=False)
    # Absent: both. Not nullable: "excluded=" (empty) is a 400, as the schema says
    # (schemathesis: an empty value used to be read as "both").
    excluded = serializers.BooleanField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)
    cursor = serializers.CharField(required=False, max_length=1000, trim_whitespace=False)


class BattleOutputSerializer(serializers.Serializer):
    class PromptSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BattleOutputPrompt"

        key = serializers.CharField(allow_null=True)
        text = serializers.CharField()
        category = serializers.CharField()
        language = serializers.CharField()

    class VoteSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BattleOutputVote"

        choice = serializers.CharField()
        reasons = serializers.ListField(child=serializers.CharField())
        time_to_vote_ms = serializers.IntegerField()

    id = serializers.UUIDField()
    mode = serializers.CharField()
    status = serializers.CharField()
    served_at = serializers.DateTimeField()
    voted_at = serializers.DateTimeField(allow_null=True)
    excluded = serializers.BooleanField()
    exclusion_reason = serializers.CharField(allow_blank=True)
    prompt = PromptSerializer()
    model_a = serializers.CharField(source="model_a.slug")
    model_b = serializers.CharField(source="model_b.slug")
    answer_a = serializers.CharField(source="answer_a.text", allow_null=True, default=None)
    answer_b = serializers.CharField(source="answer_b.text", allow_null=True, default=None)
    vote = serializers.SerializerMethodField()
    judge = serializers.SerializerMethodField(help_text="The voter's salted pseudonym.")

    @extend_schema_field(VoteSerializer(allow_null=True))
    def get_vote(self, obj) -> dict | None:
        vote = getattr(obj, "vote", None)
        if vote is None:
            return None
        return {
            "choice": vote.choice,
            "reasons": vote.reasons,
            "time_to_vote_ms": vote.time_to_vote_ms,
        }

    def get_judge(self, obj) -> str:
        return selectors.voter_pseudonym(obj.voter.public_id)


def _battle_filters(request) -> dict:
    query = _query(BattleFilterSerializer, request)
    filters = {
        "since": query.get("since"),
        "until": query.get("until"),
        "category": query.get("category"),
        "language": query.get("language"),
        "excluded": query.get("excluded"),
    }
    for name in ("model", "opponent"):
        if query.get(name):
            model = EvalModel.objects.filter(slug=query[name]).first()
            if model is None:
                raise ApiError("unknown_model", f"No model {query[name]!r}.", 404)
            filters[name] = model
    return filters


class _BattleListBase(ProviderApiView):
    required_scopes = {"GET": "data:read"}
    voted_only = False

    def get(self, request):
        battles = selectors.battles_for_principal(
            principal=principal_for(request), voted_only=self.voted_only, **_battle_filters(request)
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(battles, request, view=self)
        return paginator.get_paginated_response(BattleOutputSerializer(page, many=True).data)


class BattleListView(_BattleListBase):
    pagination_class = BattleCursorPagination

    @extend_schema(
        operation_id="battles_list",
        description=(
            "Closed battles in which one of your models fought (operators: every battle), "
            "oldest first, cursor-paginated."
        ),
        parameters=[BattleFilterSerializer],
        responses={200: BattleOutputSerializer(many=True), **errors(400, 404, *AUTH_ERRORS)},
        tags=["battles"],
    )
    def get(self, request):
        return super().get(request)


class VoteListView(_BattleListBase):
    pagination_class = VoteCursorPagination
    voted_only = True

    @extend_schema(
        operation_id="votes_list",
        description="Voted battles (with their vote), in the order the votes were cast.",
        parameters=[BattleFilterSerializer],
        responses={200: BattleOutputSerializer(many=True), **errors(400, 404, *AUTH_ERRORS)},
        tags=["battles"],
    )
    def get(self, request):
        return super().get(request)


# --- sampling fairness --------------------------------------------------------------


class FairnessShareSerializer(serializers.Serializer):
    class Meta:
        ref_name = "FairnessShare"

    model = serializers.CharField(required=False)
    provider = serializers.CharField()
    battles = serializers.IntegerField()
    share = serializers.FloatField()


class FairnessDaySerializer(serializers.Serializer):
    class Meta:
        ref_name = "FairnessDay"

    date = serializers.DateField()
    battles = serializers.IntegerField()
    models = FairnessShareSerializer(many=True)
    providers = FairnessShareSerializer(many=True)


class FairnessView(APIView):
    """Public: everybody may check that no provider is favoured."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ApiKeyRateThrottle]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FairnessInput"

        days = serializers.IntegerField(required=False, min_value=1, max_value=366, default=30)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FairnessOutput"

        since = serializers.DateField()
        until = serializers.DateField()
        rule = serializers.CharField(help_text="Which battles are counted, and why.")
        days = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        operation_id="fairness",
        description=(
            "Voted battles per day (by the day they were served), and each model's and "
            "provider's share of their seats (two per battle; the shares of a day sum to 1). "
            "Open battles are never counted, so the figures cannot name an open battle's pair. "
            'A model in pre-release testing counts under provider "" (its maker is not '
            "disclosed) until its testing ends; then its seats count as its maker's."
        ),
        parameters=[InputSerializer],
        auth=[],
        responses={200: OutputSerializer, **errors(400, 401, 429)},
        tags=["fairness"],
    )
    def get(self, request):

        days = _query(self.InputSerializer, request)["days"]
        data = sampling_fairness(days=days)
        return Response(self.OutputSerializer(data).data)


# --- dataset export -----------------------------------------------------------------


async def _aiter(pieces):
    # Under ASGI, Django would consume a sync iterator whole into memory before
    # sending it. Pull one piece at a time in the request's thread instead
    # (thread_sensitive keeps the database connection of the generator).
    sentinel = object()
    next_piece = sync_to_async(next, thread_sensitive=True)
    while True:
        piece = await next_piece(pieces, sentinel)
        if piece is sentinel:
            return
        yield piece


def _own_organization(principal, slug: str):
    org = account_selectors.organization_by_slug(slug)
    if org is None or not principal.can_see_org(org.pk):
        raise ApiError("not_found", f"No organisation {slug!r} of yours.", 404)
    return org


class ExportView(ProviderApiView):
    required_scopes = {"GET": "data:read"}
    throttle_classes = [ApiKeyRateThrottle, ExportRateThrottle]
    content_negotiation_class = OwnContentType

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ExportInput"

        format = serializers.ChoiceField(choices=market_flow.VERSION_FORMATS)
        compression = serializers.ChoiceField(
            choices=exports.COMPRESSIONS, required=False, default="none"
        )
        organization = serializers.SlugField(
            required=False,
            max_length=60,
            help_text="Only this organisation's battles (for members of several).",
        )
        dataset = serializers.SlugField(
            required=False,
            max_length=80,
            help_text="A data-market dataset: download its version `version` (bought).",
        )
        version = serializers.IntegerField(
            required=False, min_value=1, max_value=2**31 - 1, help_text="With `dataset`."
        )

    @extend_schema(
        operation_id="datasets_export",
        description=(
            "Voted, non-excluded battles in which one of your models fought (operators: all), "
            "streamed. `arena-jsonl`: the fields of the chatbot_arena_conversations release; "
            "`kaggle-csv`: the LMSYS Kaggle competition's columns; `dpo-jsonl`: prompt, chosen, "
            "rejected (ties and both_bad left out) with model names and vote metadata; "
            "`parquet`: the arena layout. Voters appear as salted pseudonyms. "
            "`compression=gzip` streams a .gz file. With `dataset` and `version`: a data-market "
            "version your organisation bought (403 naming its price otherwise), in the formats "
            "above, as `datafi-rows` (its canonical rows, which `verify_dataset_version` checks "
            "against its root) or as `hf` (a Hugging Face dataset folder, zipped: card and "
            "Parquet shards)."
        ),
        parameters=[InputSerializer],
        responses={
            (200, "application/x-ndjson"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.apache.parquet"): OpenApiTypes.BINARY,
            (200, "application/gzip"): OpenApiTypes.BINARY,
            (200, "application/zip"): OpenApiTypes.BINARY,
            **errors(400, 404, *AUTH_ERRORS),
        },
        tags=["datasets"],
    )
    def get(self, request):
        query = _query(self.InputSerializer, request)
        principal = principal_for(request)
        if "dataset" in query or "version" in query:
            return self._version(request, principal, query)
        if query["format"] not in exports.FORMATS:
            raise ApiError(
                "invalid_export",
                f"format {query['format']!r} is for a dataset version: give dataset and version.",
            )
        org_ids, label = principal.organization_ids, "all"
        if query.get("organization"):
            org = _own_organization(principal, query["organization"])
            org_ids, label = frozenset({org.pk}), org.slug
        elif principal.key is not None:
            label = principal.key.organization.slug
        try:
            spec = exports.ExportSpec(
                format=query["format"], organization_ids=org_ids, compression=query["compression"]
            )
        except exports.ExportError as exc:
            raise ApiError("invalid_export", str(exc)) from None
        pieces = exports.export_stream(spec)
        return self._stream(request, pieces, spec.content_type, spec.filename(label))

    def _version(self, request, principal, query):
        if "dataset" not in query or "version" not in query:
            raise ApiError("invalid_export", "Give both dataset and version, or neither.")
        org_ids = principal.organization_ids
        if query.get("organization"):
            org_ids = frozenset({_own_organization(principal, query["organization"]).pk})
        download = market_flow.version_download(
            organization_ids=org_ids,
            product_slug=query["dataset"],
            number=query["version"],
            format=query["format"],
            compression=query["compression"],
            api_key_id=principal.key.pk if principal.key is not None else None,
            user=request.user if getattr(request.user, "pk", None) else None,
        )
        return self._stream(request, download.pieces, download.content_type, download.filename)

    @staticmethod
    def _stream(request, pieces, content_type: str, filename: str):
        if isinstance(request._request, ASGIRequest):
            pieces = _aiter(pieces)
        response = StreamingHttpResponse(pieces, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
