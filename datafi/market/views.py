"""The market's pages and JSON endpoints for contributors: parse, call one service or
selector, render. (The operator's define/review/publish steps are admin actions.)"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from datafi.api import site_endpoint
from datafi.market import selectors, services


@login_required
@require_http_methods(["GET", "POST"])
def consent_page(request):
    """Whether my votes may be sold in dataset versions: shown and changed at any time."""
    error = ""
    if request.method == "POST":
        # Only the form's two answers change anything: a missing or mistyped
        # value must not withdraw (or give) consent by default.
        answer = request.POST.get("consent")
        if answer in ("yes", "no"):
            services.consent_set(user=request.user, agreed=answer == "yes", source="settings")
            return redirect("market-consent")
        error = _("Choose yes or no: nothing was changed.")
    return render(
        request,
        "market/consent.html",
        {
            "agreed": selectors.consent_of(user=request.user),
            "contributor_share": 100 - settings.MARKET_PLATFORM_FEE_PERCENT,
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
def my_data_page(request):
    """My data: the versions holding my votes, their sales and what each earned me, my
    consent, and proofs that my votes are in a version's root."""
    data = selectors.my_data(user=request.user)
    for entry in data["versions"]:
        entry["battles"] = selectors.my_battles_in(
            user=request.user, version_id=entry["version"].pk, limit=20
        )
    return render(
        request,
        "market/my_data.html",
        {
            **data,
            "contributor_share": 100 - settings.MARKET_PLATFORM_FEE_PERCENT,
            "fee_percent": settings.MARKET_PLATFORM_FEE_PERCENT,
            "points_per_usd": settings.MARKET_POINTS_PER_USD,
        },
    )


@require_GET
@site_endpoint
def api_vote_proof(request, dataset, number, battle_id):
    """A Merkle proof that one of my votes is in a published version."""
    return JsonResponse(
        selectors.vote_proof(
            user=request.user, product_slug=dataset, number=number, battle_id=battle_id
        )
    )
