"""How the leaderboard page writes its numbers, the same way its script redraws them."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def percent(share):
    """A share (0 to 1) as a whole percent, or "–" when there is none.

    Rounded as the page script's ``Intl.NumberFormat`` rounds (half away from
    zero, on the float's exact value), so a live redraw and a reload read the
    same: 21 wins of 40 are "53%" in both (``widthratio`` rounds half to even: 52).
    """
    if share is None or share == "":
        return "–"
    whole = (Decimal(share) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole}%"
