"""Provider analytics over REST: /api/v1/analytics/... (one view per operation).

Same access rules, error shape and input rules as the rest of the provider
API (``evals.provider.api``): a key reads its organisation's models, a member
their organisations' models, an operator every model; another organisation's
model is a 404, never a figure.
"""

import csv
import io
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from datafi import csvsafe
from datafi.accounts.authentication import (
    ApiKeyAuthentication,
    ApiKeyRateThrottle,
    HasScope,
    principal_for,
)
from datafi.api import ApiError, ErrorSerializer, OwnContentType, StrictCursorPagination
from datafi.input import JSONParser
from evals.models import Category, EvalModel
from evals.provider import analytics
from ratings.api import LANGUAGE_RE
from ratings.models import LeaderboardSnapshot

ERROR_TEXT = {
    400: "Malformed input",
    401: "No key, or an unknown or revoked key",
    403: "The key lacks the data:read scope, or the caller has no organisation",
    404: "No such model of yours (or no such opponent)",
    429: "Throttled",
}


def _errors(*statuses: int) -> dict:
    return {s: OpenApiResponse(ErrorSerializer, description=ERROR_TEXT[s]) for s in statuses}


class AnalyticsView(APIView):
    parser_classes = [JSONParser]
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [ApiKeyRateThrottle]
    required_scopes = {"GET": "data:read"}


def _query(serializer_class, request) -> dict:
    # Every parameter is single-valued in the schema: a repeated one is refused
    # rather than silently reduced to its last value.
    repeated = sorted(k for k, v in request.query_params.lists() if len(v) > 1)
    if repeated:
        raise ApiError("repeated_parameter", f"Give each parameter once: {', '.join(repeated)}.")
    unknown = sorted(set(request.query_params) - set(serializer_class().fields))
    if unknown:
        raise ApiError("unknown_parameter", f"Unknown parameters: {', '.join(unknown)}.")
    # A plain dict: DRF would read an absent boolean in a QueryDict as False.
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def model_or_404(request, slug: str) -> EvalModel:
    model = analytics.analytics_model(principal=principal_for(request), slug=slug)
    if model is None:
        raise ApiError("not_found", f"No model {slug!r} in your organisation.", 404)
    return model


def battles_link(model: EvalModel, **filters) -> str:
    """The drill-down listing the battles behind one figure."""
    query = {k: v for k, v in filters.items() if v not in ("", None)}
    url = reverse("api-analytics-battles", args=[model.slug])
    return f"{url}?{urlencode(query)}" if query else url


class SliceSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsSlice"

    category = serializers.ChoiceField(
        choices=["", *Category.values],
        required=False,
        default="",
        allow_blank=True,
        help_text="Only this category (empty: all).",
    )
    language = serializers.RegexField(
        LANGUAGE_RE,
        required=False,
        default="",
        allow_blank=True,
        max_length=8,
        help_text="Only this language, e.g. en or pt-BR (empty: all).",
        trim_whitespace=False,
    )


class SummaryQuerySerializer(SliceSerializer):
    class Meta:
        ref_name = "AnalyticsSummaryQuery"

    method = serializers.ChoiceField(
        choices=LeaderboardSnapshot.Method.values,
        required=False,
        default="bt",
        help_text="Which leaderboard the score history follows.",
    )


class TallySerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsTally"

    battles = serializers.IntegerField()
    wins = serializers.IntegerField()
    losses = serializers.IntegerField()
    ties = serializers.IntegerField()
    both_bad = serializers.IntegerField()
    win_rate = serializers.FloatField(
        allow_null=True, help_text="(wins + (ties + both_bad) / 2) / battles, as ratings score it"
    )
    both_bad_rate = serializers.FloatField(allow_null=True)
    battles_url = serializers.CharField(help_text="The revealed battles behind this figure.")


class OpponentSerializer(TallySerializer):
    class Meta:
        ref_name = "AnalyticsOpponent"

    opponent = serializers.CharField()
    opponent_name = serializers.CharField()
    opponent_provider = serializers.CharField()


class CategoryRowSerializer(TallySerializer):
    class Meta:
        ref_name = "AnalyticsCategory"

    category = serializers.CharField()


class LanguageRowSerializer(TallySerializer):
    class Meta:
        ref_name = "AnalyticsLanguage"

    language = serializers.CharField()


class HistoryPointSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsHistoryPoint"

    snapshot = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    vote_count = serializers.IntegerField(help_text="Votes in the whole snapshot.")
    score = serializers.FloatField()
    lower = serializers.FloatField(allow_null=True)
    upper = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    votes = serializers.IntegerField(help_text="The model's votes in the snapshot.")
    models = serializers.IntegerField()


class SpeedMetricSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsSpeedMetric"

    metric = serializers.ChoiceField(
        choices=["time_to_first_token_ms", "tokens_per_s", "duration_ms"]
    )
    samples = serializers.IntegerField()
    p50 = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    p99 = serializers.FloatField(allow_null=True)


class SpeedSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsSpeed"

    generations = serializers.IntegerField()
    errors = serializers.IntegerField()
    error_rate = serializers.FloatField(allow_null=True)
    metrics = SpeedMetricSerializer(many=True)
    battles_url = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsSummary"

    model = serializers.CharField()
    name = serializers.CharField()
    organization = serializers.CharField()
    method = serializers.CharField()
    category = serializers.CharField(allow_blank=True)
    language = serializers.CharField(allow_blank=True)
    total = TallySerializer()
    opponents = OpponentSerializer(many=True)
    categories = CategoryRowSerializer(many=True)
    languages = LanguageRowSerializer(many=True)
    history = HistoryPointSerializer(many=True)
    speed = SpeedSerializer()
    csv_url = serializers.CharField(help_text="CSV download; add table=<name>.")


def model_summary(*, model: EvalModel, method: str, category: str, language: str) -> dict:
    """Every figure of the model's analytics, each with the link to its battles."""
    outcomes = analytics.model_outcomes(model=model, category=category, language=language)
    sl = {"category": category, "language": language}
    total = {**outcomes["total"], "battles_url": battles_link(model, **sl)}
    for row in outcomes["opponents"]:
        row["battles_url"] = battles_link(model, opponent=row["opponent"], **sl)
    for row in outcomes["categories"]:
        row["battles_url"] = battles_link(model, category=row["category"], language=language)
    for row in outcomes["languages"]:
        row["battles_url"] = battles_link(model, category=category, language=row["language"])
    speed = analytics.model_speed(model=model)
    speed["battles_url"] = battles_link(model, live="true")
    return {
        "model": model.slug,
        "name": model.name,
        "organization": model.organization.slug,
        "method": method,
        **sl,
        "total": total,
        "opponents": outcomes["opponents"],
        "categories": outcomes["categories"],
        "languages": outcomes["languages"],
        "history": analytics.model_score_history(model=model, method=method, **sl),
        "speed": speed,
        "csv_url": reverse("api-analytics-csv", args=[model.slug]),
    }


class SummaryView(AnalyticsView):
    @extend_schema(
        operation_id="analytics_model",
        description=(
            "How one of your models fares, from counted votes on revealed battles only: "
            "win rate against each opponent, by category and by language, the both-bad "
            "rate, the score and interval in each leaderboard snapshot, and generation "
            "speed percentiles in revealed live battles. Every figure carries the link "
            "to the battles behind it. Open battles never count."
        ),
        parameters=[SummaryQuerySerializer],
        responses={200: SummarySerializer, **_errors(400, 404, 401, 403, 429)},
        tags=["analytics"],
    )
    def get(self, request, slug):
        query = _query(SummaryQuerySerializer, request)
        model = model_or_404(request, slug)
        return Response(SummarySerializer(model_summary(model=model, **query)).data)


class BattlesQuerySerializer(SliceSerializer):
    class Meta:
        ref_name = "AnalyticsBattlesQuery"

    opponent = serializers.SlugField(required=False, max_length=80, trim_whitespace=False)
    outcome = serializers.ChoiceField(
        choices=analytics.OUTCOMES, required=False, help_text="As your model saw the vote."
    )
    live = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only live (or stored) battles."
    )
    # Not trimmed: the schema allows any non-empty string, and trimming would
    # turn " " or "\x1f" into a blank that DRF then refuses.
    cursor = serializers.CharField(required=False, max_length=1000, trim_whitespace=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)


class BattlesPagination(StrictCursorPagination):
    # voted_at, then the id: unique, and fixed once a battle is revealed.
    ordering = ("voted_at", "id")
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # Already validated by BattlesQuerySerializer.
        return int(raw)


class BattleRowSerializer(serializers.Serializer):
    class Meta:
        ref_name = "AnalyticsBattle"

    id = serializers.UUIDField()
    mode = serializers.CharField()
    voted_at = serializers.DateTimeField()
    category = serializers.CharField()
    language = serializers.CharField()
    prompt = serializers.CharField()
    side = serializers.ChoiceField(choices=["a", "b"], help_text="Your model's side.")
    opponent = serializers.CharField()
    outcome = serializers.ChoiceField(choices=analytics.OUTCOMES)


class BattlesView(AnalyticsView):
    pagination_class = BattlesPagination

    @extend_schema(
        operation_id="analytics_model_battles",
        description=(
            "The revealed, counted battles behind a figure of the model's analytics, in "
            "the order they were voted; the filters are those of the figure's battles_url. "
            "Full battles with both answers: /api/v1/battles."
        ),
        parameters=[BattlesQuerySerializer],
        responses={200: BattleRowSerializer(many=True), **_errors(400, 404, 401, 403, 429)},
        tags=["analytics"],
    )
    def get(self, request, slug):
        query = _query(BattlesQuerySerializer, request)
        model = model_or_404(request, slug)
        opponent = None
        if query.get("opponent"):
            opponent = EvalModel.objects.filter(slug=query["opponent"]).first()
            if opponent is None or analytics.hidden_opponent(model, opponent):
                raise ApiError("unknown_model", f"No model {query['opponent']!r}.", 404)
        battles = analytics.battles_behind(
            model=model,
            opponent=opponent,
            category=query["category"],
            language=query["language"],
            outcome=query.get("outcome", ""),
            live=query.get("live"),
        )
        paginator = self.pagination_class()
        # A cursor we did not give out is a 404 (no such page), as on /battles.
        page = paginator.paginate_queryset(battles, request, view=self)
        rows = [analytics.battle_row(model=model, battle=b) for b in page]
        return paginator.get_paginated_response(BattleRowSerializer(rows, many=True).data)


CSV_TABLES = {
    "opponents": [
        "opponent",
        "opponent_name",
        "opponent_provider",
        "battles",
        "wins",
        "losses",
        "ties",
        "both_bad",
        "win_rate",
        "both_bad_rate",
        "battles_url",
    ],
    "categories": [
        "category",
        "battles",
        "wins",
        "losses",
        "ties",
        "both_bad",
        "win_rate",
        "both_bad_rate",
        "battles_url",
    ],
    "languages": [
        "language",
        "battles",
        "wins",
        "losses",
        "ties",
        "both_bad",
        "win_rate",
        "both_bad_rate",
        "battles_url",
    ],
    "history": ["snapshot", "created_at", "vote_count", "score", "lower", "upper", "rank", "votes"],
    "speed": ["metric", "samples", "p50", "p90", "p99"],
}


class CsvQuerySerializer(SummaryQuerySerializer):
    class Meta:
        ref_name = "AnalyticsCsvQuery"

    table = serializers.ChoiceField(choices=list(CSV_TABLES), default="opponents", required=False)


class CsvView(AnalyticsView):
    content_negotiation_class = OwnContentType

    @extend_schema(
        operation_id="analytics_model_csv",
        description="One table of the model's analytics as CSV (the same figures as the JSON).",
        parameters=[CsvQuerySerializer],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **_errors(400, 404, 401, 403, 429)},
        tags=["analytics"],
    )
    def get(self, request, slug):
        query = _query(CsvQuerySerializer, request)
        table = query.pop("table")
        model = model_or_404(request, slug)
        summary = model_summary(model=model, **query)
        rows = summary["speed"]["metrics"] if table == "speed" else summary[table]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_TABLES[table], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(csvsafe.dict_row(r) for r in rows)  # an opponent's name is not a formula
        name = "-".join([model.slug, table, query["category"] or "all", query["language"] or "all"])
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["Cache-Control"] = "no-store"
        return response
