"""How the public catalogue shows a dataset: its price, the card and its summary, the
public part of a version. Shared by the pages (catalogue_views) and the REST API (api)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision
from django.utils.text import Truncator
from django.utils.translation import get_language, to_locale

from evals import markdown

SUMMARY_WORDS = 40
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def price_decimal(amount: int, currency: str) -> Decimal:
    """Minor units as the amount people read: 1250 USD cents -> 12.50 (ISO 4217 digits;
    a code Babel does not know, such as a token's, counts two)."""
    return Decimal(amount).scaleb(-get_currency_precision(currency))


def price_display(amount: int, currency: str) -> str:
    """The price as the reader's language writes it: "$12.50", "US$12,50", "12,50 $US"."""
    try:
        locale = Locale.parse(to_locale(get_language() or "en"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    return format_currency(price_decimal(amount, currency), currency, locale=locale)


def card_html(card: str) -> str:
    """A card's Markdown as safe HTML (the answers' renderer: no raw HTML, no images)."""
    return markdown.render(card)


def excerpt_html(text: str, chars: int) -> str:
    """The start of a prompt or answer (at most ``chars`` characters), rendered as in the
    arena. Cut before rendering: an unclosed code fence or emphasis just ends there."""
    return markdown.render(Truncator(text).chars(chars))


def card_summary(card: str) -> str:
    """The card's first paragraph as plain text, cut to about SUMMARY_WORDS words."""
    found = _FIRST_PARAGRAPH.search(card_html(card))
    if found is None:
        return ""
    text = " ".join(html.unescape(_TAG.sub("", found.group(1))).split())
    return Truncator(text).words(SUMMARY_WORDS, truncate="…")


def model_terms(version, hidden_models: set[str]) -> dict[str, str]:
    """The output terms of each model in a version, as it was frozen (its metadata),
    leaving out any model that is in pre-release testing."""
    terms = (version.metadata or {}).get("licence", {}).get("model_outputs", {})
    return {slug: text for slug, text in sorted(terms.items()) if slug not in hidden_models}
