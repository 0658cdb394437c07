"""The provider analytics page: the same figures as /api/v1/analytics, drawn."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from datafi.accounts.authentication import principal_of_user
from evals.models import Category
from evals.provider import analytics
from evals.provider.analytics_api import SummaryQuerySerializer, model_summary
from ratings.models import LeaderboardSnapshot


@login_required
@require_GET
def analytics_home(request):
    principal = principal_of_user(request.user)
    first = analytics.analytics_models(principal=principal).first()
    if first is None:
        return render(request, "evals/provider_analytics.html", {"models": []})
    return redirect("provider-analytics-model", slug=first.slug)


@login_required
@require_GET
def analytics_page(request, slug):
    principal = principal_of_user(request.user)
    model = analytics.analytics_model(principal=principal, slug=slug)
    if model is None:
        raise Http404("No such model of yours.")
    query = SummaryQuerySerializer(data=request.GET.dict())
    status, error = 200, None
    if query.is_valid():
        filters = dict(query.validated_data)
    else:
        status = 400
        error = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in query.errors.items())
        filters = {"method": "bt", "category": "", "language": ""}
    summary = model_summary(model=model, **filters)
    return render(
        request,
        "evals/provider_analytics.html",
        {
            "models": list(analytics.analytics_models(principal=principal)),
            "model": model,
            "summary": summary,
            "query": filters,
            "error": error,
            "methods": LeaderboardSnapshot.Method.choices,
            "categories": Category.choices,
        },
        status=status,
    )
