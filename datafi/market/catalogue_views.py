"""The public catalogue of dataset products: /market/ and /market/<slug>/.

Anyone may read them, logged in or not. Only published versions appear (their root
is on chain); a product none of whose versions is published does not appear at all.
"""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from datafi.api import refusal_response
from datafi.errors import ApiError
from datafi.market import presentation, selectors

# What a bought version downloads as (datafi.market.downloads.FORMATS), in words.
DOWNLOAD_FORMATS = [
    ("hf", gettext_lazy("Hugging Face dataset folder (zip: card and Parquet shards)")),
    ("parquet", gettext_lazy("Parquet (the arena layout)")),
    ("arena-jsonl", gettext_lazy("JSON lines (the chatbot_arena_conversations fields)")),
    ("kaggle-csv", gettext_lazy("CSV (the LMSYS Kaggle competition's columns)")),
    ("dpo-jsonl", gettext_lazy("JSON lines for DPO (prompt, chosen, rejected)")),
    ("datafi-rows", gettext_lazy("Canonical rows (what the root is over; verify it)")),
]
SAMPLE_PROMPT_CHARS = 400
SAMPLE_ANSWER_CHARS = 320

# What each kind of masked personal data is called on the page (scrub.KINDS).
PII_KINDS = {
    "email": gettext_lazy("e-mail addresses"),
    "phone": gettext_lazy("phone numbers"),
    "card": gettext_lazy("card numbers"),
    "iban": gettext_lazy("bank account numbers (IBAN)"),
    "ip": gettext_lazy("IP addresses"),
    "wallet": gettext_lazy("wallet addresses"),
}


def _winner(row: dict) -> str:
    choice = row["winner"]
    if choice == "model_a":
        return _("A won (%(model)s)") % {"model": row["model_a"]}
    if choice == "model_b":
        return _("B won (%(model)s)") % {"model": row["model_b"]}
    if choice == "tie":
        return _("A tie")
    return _("Both were bad")


def _sample(row: dict) -> dict:
    return {
        "battle_id": row["battle_id"],
        "category": row["category"],
        "language": row["language"],
        "prompt_html": presentation.excerpt_html(row["prompt"], SAMPLE_PROMPT_CHARS),
        "model_a": row["model_a"],
        "model_b": row["model_b"],
        "response_a_html": presentation.excerpt_html(row["response_a"], SAMPLE_ANSWER_CHARS),
        "response_b_html": presentation.excerpt_html(row["response_b"], SAMPLE_ANSWER_CHARS),
        "winner": row["winner"],
        "winner_text": _winner(row),
    }


def _version(version, *, hidden_models: set[str]) -> dict:
    meta = version.metadata or {}
    scrub = version.scrub_counts or {}
    dedup = version.dedup or {}
    return {
        "version": version,
        "prompts": meta.get("prompts"),
        "duplicates": dedup.get("exact", 0) + dedup.get("normalised", 0),
        "dedup": {k: dedup.get(k, 0) for k in ("exact", "normalised", "repeated_judgements")},
        "masked_total": sum(scrub.values()),
        "masked": [(PII_KINDS.get(kind, kind), n) for kind, n in sorted(scrub.items())],
        "left_out": meta.get("left_out"),
        "terms": presentation.model_terms(version, hidden_models),
        "card_html": presentation.card_html(meta.get("card", "")),
        "samples": [
            _sample(row)
            for row in selectors.version_sample_rows(version=version, hidden_models=hidden_models)
        ],
    }


@require_GET
def catalogue_page(request):
    """Every dataset on sale: what it is, its licence and price, its latest version."""
    items = [
        {
            "product": product,
            "summary": presentation.card_summary(product.card),
            "price": presentation.price_display(product.price_amount, product.price_currency),
            "latest": product.published_versions[0],
            "versions": len(product.published_versions),
        }
        for product in selectors.catalogue_products()
    ]
    return render(request, "market/catalogue.html", {"items": items})


@require_GET
def product_page(request, slug):
    """One dataset: its card, terms and price, and every published version with samples."""
    product = selectors.catalogue_product(slug=slug)
    if product is None:
        return refusal_response(
            request,
            ApiError(
                "not_found", _("No published dataset is called “%(slug)s”.") % {"slug": slug}, 404
            ),
        )
    hidden = selectors.catalogue_hidden_models()
    versions = [_version(v, hidden_models=hidden) for v in product.published_versions]
    return render(
        request,
        "market/product.html",
        {
            "product": product,
            "card_html": presentation.card_html(product.card),
            "price": presentation.price_display(product.price_amount, product.price_currency),
            "latest": versions[0],
            "versions": versions,
            # The buy box (market/_buy_form.html) is for the latest version.
            "buy": selectors.buyer_view(user=request.user, version=versions[0]["version"]),
            "download_formats": DOWNLOAD_FORMATS,
            "mintable": not settings.CHAIN_PAYMENT_TOKEN_ADDRESS,
        },
    )
