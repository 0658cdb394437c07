"""The public catalogue over REST: /api/v1/market/datasets and /api/v1/market/datasets/<slug>.

Anyone may read it, without a key (a key, if sent, must be valid: it sets the
throttle's budget). Only published versions appear, as on the pages
(datafi.market.catalogue_views); a detail carries each version's sample rows whole,
in the row form ``datafi-row-v1`` (datafi.market.canonical).
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from datafi.accounts.authentication import ApiKeyAuthentication, ApiKeyRateThrottle
from datafi.api import ErrorSerializer
from datafi.errors import ApiError
from datafi.market import canonical, presentation, selectors
from datafi.market.models import Licence

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="An unknown or revoked key was sent"),
    429: OpenApiResponse(ErrorSerializer, description="Throttled"),
}
WINNERS = ["model_a", "model_b", "tie", "both_bad"]


class PriceSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketPrice"

    amount = serializers.IntegerField(help_text="In minor units of the currency (cents for USD).")
    currency = serializers.CharField(help_text="ISO 4217 code (or a token's symbol).")
    decimal = serializers.CharField(help_text='The amount in the currency\'s units: "12.50".')


class LicenceSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketLicence"

    id = serializers.ChoiceField(choices=Licence.values, help_text="SPDX identifier.")
    name = serializers.CharField()


class VersionSummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketVersionSummary"

    number = serializers.IntegerField()
    rows = serializers.IntegerField()
    row_format = serializers.CharField()
    root = serializers.CharField(help_text="The Merkle root of the rows (see the README).")
    metadata_hash = serializers.CharField()
    network = serializers.CharField(help_text="The chain the root is recorded on.")
    tx_hash = serializers.CharField()
    block_number = serializers.IntegerField()
    published_at = serializers.DateTimeField()


class DedupSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketDedup"

    exact = serializers.IntegerField(help_text="Prompts collapsed as exact duplicates.")
    normalised = serializers.IntegerField(
        help_text="Prompts collapsed as equal once normalised (case, width, punctuation, spacing)."
    )
    repeated_judgements = serializers.IntegerField(
        help_text="Votes dropped: the same voter, prompt and pair of models again."
    )


class LeftOutSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketLeftOut"

    no_consent = serializers.IntegerField()
    reliability = serializers.IntegerField()


class SampleRowSerializer(serializers.Serializer):
    """One row exactly as in the version (datafi-row-v1)."""

    class Meta:
        ref_name = "MarketSampleRow"

    battle_id = serializers.CharField()
    voted_at = serializers.CharField()
    mode = serializers.CharField()
    category = serializers.CharField()
    language = serializers.CharField()
    prompt = serializers.CharField(help_text="PII-scrubbed.")
    prompt_key = serializers.CharField()
    model_a = serializers.CharField()
    model_b = serializers.CharField()
    response_a = serializers.CharField(help_text="PII-scrubbed.")
    response_b = serializers.CharField(help_text="PII-scrubbed.")
    winner = serializers.ChoiceField(choices=WINNERS)
    reasons = serializers.ListField(child=serializers.CharField())
    judge = serializers.CharField(help_text="The voter's salted pseudonym.")


class VersionDetailSerializer(VersionSummarySerializer):
    class Meta:
        ref_name = "MarketVersion"

    prompts = serializers.IntegerField(allow_null=True, help_text="Distinct prompts.")
    dedup = DedupSerializer()
    pii_masked = serializers.DictField(
        child=serializers.IntegerField(), help_text="Masked personal data, by kind."
    )
    left_out = LeftOutSerializer(allow_null=True)
    model_terms = serializers.DictField(
        child=serializers.CharField(), help_text="Each model's output terms, by model slug."
    )
    card = serializers.CharField(help_text="The version's card as registered (Markdown).")
    sample_rows = SampleRowSerializer(many=True)


class DatasetSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketDataset"

    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField(help_text="The card's first paragraph, as plain text.")
    licence = LicenceSerializer(help_text="The licence of the prompts and votes.")
    price = PriceSerializer()
    url = serializers.CharField(help_text="The dataset's page.")
    versions = VersionSummarySerializer(many=True, help_text="Published versions, newest first.")


class DatasetListSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MarketDatasetList"

    results = DatasetSerializer(many=True)


class DatasetDetailSerializer(DatasetSerializer):
    class Meta:
        ref_name = "MarketDatasetDetail"

    card = serializers.CharField(help_text="The dataset's card (Markdown).")
    versions = VersionDetailSerializer(many=True, help_text="Published versions, newest first.")


def _summary(version) -> dict:
    return {
        "number": version.number,
        "rows": version.row_count,
        "row_format": version.row_format,
        "root": version.root,
        "metadata_hash": version.metadata_hash,
        "network": version.network,
        "tx_hash": version.tx_hash,
        "block_number": version.block_number,
        "published_at": version.published_at,
    }


def _detail(version, hidden_models: set[str]) -> dict:
    meta = version.metadata or {}
    dedup = version.dedup or {}
    return {
        **_summary(version),
        "prompts": meta.get("prompts"),
        "dedup": {k: dedup.get(k, 0) for k in ("exact", "normalised", "repeated_judgements")},
        "pii_masked": dict(version.scrub_counts or {}),
        "left_out": meta.get("left_out"),
        "model_terms": presentation.model_terms(version, hidden_models),
        "card": meta.get("card", ""),
        "sample_rows": selectors.version_sample_rows(version=version, hidden_models=hidden_models),
    }


def _dataset(request, product) -> dict:
    return {
        "slug": product.slug,
        "title": product.title,
        "summary": presentation.card_summary(product.card),
        "licence": {"id": product.licence, "name": product.get_licence_display()},
        "price": {
            "amount": product.price_amount,
            "currency": product.price_currency,
            "decimal": str(
                presentation.price_decimal(product.price_amount, product.price_currency)
            ),
        },
        "url": request.build_absolute_uri(reverse("market-product", args=[product.slug])),
        "versions": [_summary(v) for v in product.published_versions],
    }


class CatalogueApiView(APIView):
    """Public, like /api/v1/fairness: no key needed, throttled per client address."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [ApiKeyRateThrottle]


class DatasetListView(CatalogueApiView):
    @extend_schema(
        operation_id="market_datasets_list",
        description=(
            "Every dataset on sale that has a published version (its root recorded on "
            "chain), the latest publication first. Versions not published yet never appear."
        ),
        auth=[],
        responses={200: DatasetListSerializer, **ERRORS},
        tags=["market"],
    )
    def get(self, request):
        data = {"results": [_dataset(request, p) for p in selectors.catalogue_products()]}
        return Response(DatasetListSerializer(data).data)


class DatasetDetailView(CatalogueApiView):
    @extend_schema(
        operation_id="market_dataset",
        description=(
            "One dataset: its card, licence, price and every published version, with the "
            f"version's counts, per-model output terms and its first "
            f"{selectors.CATALOGUE_SAMPLE_ROWS} rows in the row form "
            f"{canonical.ROW_FORMAT} (texts PII-scrubbed, the voter a pseudonym)."
        ),
        auth=[],
        responses={
            200: DatasetDetailSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such dataset is published"),
            **ERRORS,
        },
        tags=["market"],
    )
    def get(self, request, slug):
        product = selectors.catalogue_product(slug=slug)
        if product is None:
            raise ApiError(
                "not_found",
                _("No published dataset is called “%(slug)s”.") % {"slug": slug},
                status_code=404,
            )
        hidden = selectors.catalogue_hidden_models()
        data = {
            **_dataset(request, product),
            "card": product.card,
            "versions": [_detail(v, hidden) for v in product.published_versions],
        }
        return Response(DatasetDetailSerializer(data).data)
