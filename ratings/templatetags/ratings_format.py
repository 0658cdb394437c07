"""How the leaderboard page writes its numbers, the same way its script redraws them."""

from django import template

from datafi.numbers import percent_text

register = template.Library()

register.filter("percent", percent_text)
