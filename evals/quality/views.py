"""Operator dashboard (staff only) and the public sampling-fairness report."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from datafi.api import error_response, staff_endpoint
from datafi.flows import appeals
from evals import selectors as evals_selectors
from evals.quality import selectors

FAIRNESS_MAX_DAYS = 90


def _histogram_svg(bins: list[dict], threshold: float) -> dict:
    """Bar geometry for the reliability histogram (plain SVG, no chart library)."""
    width, height, pad = 560, 200, 28
    top = max([b["n"] for b in bins] + [1])
    bar_w = (width - 2 * pad) / len(bins)
    bars = []
    for k, b in enumerate(bins):
        h = (height - 2 * pad) * b["n"] / top
        bars.append(
            {
                "x": round(pad + k * bar_w + 1, 1),
                "y": round(height - pad - h, 1),
                "w": round(bar_w - 2, 1),
                "h": round(h, 1),
                "n": b["n"],
                "label": f"{b['low']:.1f}",
                "label_x": round(pad + k * bar_w + bar_w / 2, 1),
                "below": b["high"] <= threshold,
            }
        )
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "base_y": height - pad,
        "bars": bars,
        "top": top,
        "threshold_x": round(pad + threshold * (width - 2 * pad), 1),
    }


@staff_endpoint
@require_GET
def dashboard(request):
    data = selectors.dashboard_data()
    data["svg"] = _histogram_svg(data["histogram"], data["threshold"])
    data["appeals"] = evals_selectors.appeals_for_review()
    data["skip_rates"] = evals_selectors.voter_skip_rates()
    return render(request, "evals/quality/dashboard.html", data)


@staff_endpoint
@require_POST
def appeal_decide(request, appeal_id):
    """An operator clears or upholds a voter's flag (staff only)."""
    appeals.appeal_decide(
        appeal_id=appeal_id,
        operator=request.user,
        decision=request.POST.get("decision", ""),
        reason=request.POST.get("reason", ""),
    )
    return redirect("/quality/#appeals")


def _days(request) -> int | None:
    raw = request.GET.get("days", "7")
    try:
        days = int(raw)
    except ValueError:
        return None
    return days if 1 <= days <= FAIRNESS_MAX_DAYS else None


def _days_detail() -> str:
    # Translators: "days" is the query parameter's name.
    return _("days must be a whole number from 1 to %(max)d.") % {"max": FAIRNESS_MAX_DAYS}


@require_GET
def fairness(request):
    days = _days(request)
    if days is None:
        return render(
            request,
            "error.html",
            {
                "status": 400,
                "detail": _days_detail(),
            },
            status=400,
        )
    return render(
        request,
        "evals/quality/fairness.html",
        {
            "days": selectors.battle_shares(days=days),
            "n_days": days,
            "rule": str(selectors.FAIRNESS_RULE),
        },
    )


@require_GET
def api_fairness(request):
    days = _days(request)
    if days is None:
        return error_response("invalid_days", _days_detail())
    return JsonResponse(
        {"rule": str(selectors.FAIRNESS_RULE), "days": selectors.battle_shares(days=days)}
    )
