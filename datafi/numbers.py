"""Numbers as the pages' scripts write them, for templates that render the same figures."""

from decimal import ROUND_HALF_UP, Decimal


def percent_text(share) -> str:
    """A share (0 to 1) as a whole percent, or "–" when there is none.

    Rounded as the page scripts' ``Intl.NumberFormat`` rounds, so a live redraw
    (or a chart's tooltip) and the server's page read the same: half away from
    zero, on the float's shortest decimal form (ICU rounds ``repr``'s digits, not
    the binary value). 21 wins of 40 are "53%" in both (``widthratio`` rounds half
    to even: 52), and 17 of 40 are "43%" (the float 0.425 is 0.42499999999999998...,
    which rounds to 42).
    """
    if share is None or share == "":
        return "–"
    whole = (Decimal(repr(float(share))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole}%"
