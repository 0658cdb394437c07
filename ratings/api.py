"""REST: the current leaderboard and its snapshot history. Public, read-only."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from datafi.api import ApiError, ErrorSerializer, StrictCursorPagination
from evals.models import Category
from ratings import selectors
from ratings.models import LeaderboardSnapshot

LANGUAGE_RE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


class LeaderboardQuerySerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=LeaderboardSnapshot.Method.values,
        default="bt",
        help_text="bt: Bradley-Terry; style: style-controlled BT; elo: online Elo",
    )
    category = serializers.ChoiceField(
        choices=["", *Category.values],
        default="",
        allow_blank=True,
        help_text="empty: all categories",
    )
    language = serializers.RegexField(
        LANGUAGE_RE,
        default="",
        allow_blank=True,
        max_length=8,
        help_text="language code such as en or pt-BR; empty: all languages",
    )


def parse_query(params, *, also=None) -> dict:
    """Validated (method, category, language); raises ApiError(400) on bad filters.

    ``also``: the other parameters the caller reads; given, any parameter that is
    neither a filter nor one of those is refused (the API: a misspelt ?categroy=
    would otherwise answer with the unfiltered board). None: others are ignored
    (the pages, whose links may carry more).
    """
    # Every filter is single-valued in the schema: a repeated one is refused
    # rather than silently reduced to its last value.
    if hasattr(params, "lists"):
        repeated = sorted(k for k, v in params.lists() if len(v) > 1)
        if repeated:
            raise ApiError(
                "invalid_filter",
                _("Give each parameter once: %(names)s.") % {"names": ", ".join(repeated)},
            )
    if also is not None:
        known = {*LeaderboardQuerySerializer().fields, *also, api_settings.URL_FORMAT_OVERRIDE}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ApiError(
                "unknown_parameter",
                _("Unknown parameters: %(names)s.") % {"names": ", ".join(unknown)},
            )
    # A plain dict, not the QueryDict: DRF reads a blank form value as "absent"
    # and would quietly apply the default to ?method= instead of refusing it.
    query = LeaderboardQuerySerializer(data=params.dict() if hasattr(params, "dict") else params)
    if not query.is_valid():
        field, errors = next(iter(query.errors.items()))
        raise ApiError("invalid_filter", f"{field}: {' '.join(str(e) for e in errors)}")
    return dict(query.validated_data)


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    model = serializers.CharField()
    model_id = serializers.IntegerField()
    slug = serializers.CharField()
    provider = serializers.CharField()
    score = serializers.FloatField()
    lower = serializers.FloatField(allow_null=True)
    upper = serializers.FloatField(allow_null=True)
    votes = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    both_bad_rate = serializers.FloatField()
    component = serializers.IntegerField()
    preliminary = serializers.BooleanField()
    raw_score = serializers.FloatField(required=False, help_text="plain BT score (style only)")


class SnapshotSerializer(serializers.ModelSerializer):
    rows = LeaderboardRowSerializer(many=True)
    meta = serializers.JSONField(
        help_text="method, params, n_battles, n_models, n_components, warnings, min_votes, "
        "matrices (models, predicted, observed, battles), style_coefficients (style), "
        "robustness (when the quality work provides it)"
    )

    class Meta:
        model = LeaderboardSnapshot
        fields = [
            "id",
            "method",
            "category",
            "language",
            "params",
            "vote_count",
            "created_at",
            "rows",
            "meta",
        ]


class LeaderboardView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="leaderboard_current",
        parameters=[LeaderboardQuerySerializer],
        responses={
            200: SnapshotSerializer,
            400: OpenApiResponse(ErrorSerializer, description="bad filter"),
            404: OpenApiResponse(ErrorSerializer, description="no leaderboard for this slice yet"),
        },
        tags=["leaderboard"],
    )
    def get(self, request):
        """The latest leaderboard snapshot of a slice."""
        query = parse_query(request.query_params, also=())
        snap = selectors.leaderboard_latest(**query)
        if snap is None:
            raise ApiError(
                "no_leaderboard", _("No counted votes in this slice yet."), status_code=404
            )
        return Response(SnapshotSerializer(snap).data)


class SnapshotCursor(StrictCursorPagination):
    # Snapshot ids only grow: a unique, unchanging ordering for the cursor. Any
    # string is a schema-valid cursor; one this API did not give out names no
    # page: a 404, as the provider API's listings answer (StrictCursorPagination).
    ordering = "-id"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_schema_operation_parameters(self, view):
        # State the bounds get_page_size enforces, so that the schema allows
        # exactly what the server accepts.
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params


class LeaderboardSnapshotsView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = SnapshotSerializer
    pagination_class = SnapshotCursor

    @extend_schema(
        operation_id="leaderboard_snapshots",
        parameters=[LeaderboardQuerySerializer],
        responses={200: SnapshotSerializer(many=True), 400: ErrorSerializer, 404: ErrorSerializer},
        tags=["leaderboard"],
    )
    def get(self, request, *args, **kwargs):
        """Snapshot history of a slice, newest first (cursor pagination)."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        paging = self.pagination_class
        also = (paging.cursor_query_param, paging.page_size_query_param)
        return selectors.leaderboard_history(**parse_query(self.request.query_params, also=also))
