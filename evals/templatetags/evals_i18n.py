"""Template filters that show the arena's stored codes in the reader's language."""

from django import template
from django.utils.translation import gettext_lazy as _

from datafi.numbers import percent_text
from evals.models import Category, Vote

register = template.Library()

# A win rate as the page's charts write it (their tooltips use Intl.NumberFormat).
register.filter("percent", percent_text)

# The optional reasons a voter can tick, as the voter reads them (the stored tags stay
# stable English identifiers, as the API gives them).
REASON_LABELS = {
    "more_accurate": _("More accurate"),
    "more_helpful": _("More helpful"),
    "better_formatted": _("Better formatted"),
    "more_concise": _("More concise"),
    "more_detailed": _("More detailed"),
    "better_code": _("Better code"),
    "followed_instructions": _("Followed the instructions"),
    "right_language": _("Right language"),
    "hallucination": _("Hallucination"),
    "refused": _("Refused"),
}


@register.filter
def category_label(code: str) -> str:
    try:
        return Category(code).label
    except ValueError:
        return code


@register.filter
def reason_label(tag: str) -> str:
    return REASON_LABELS.get(tag, tag.replace("_", " "))


@register.filter
def choice_label(choice: str) -> str:
    try:
        return Vote.Choice(choice).label
    except ValueError:
        return choice
