"""Provider analytics: the REST operations and the page (included once, from
evals/provider/page_urls.py, so full paths here)."""

from django.urls import path

from evals.provider import analytics_api, analytics_views

urlpatterns = [
    path(
        "api/v1/analytics/models/<slug:slug>",
        analytics_api.SummaryView.as_view(),
        name="api-analytics-model",
    ),
    path(
        "api/v1/analytics/models/<slug:slug>/battles",
        analytics_api.BattlesView.as_view(),
        name="api-analytics-battles",
    ),
    path(
        "api/v1/analytics/models/<slug:slug>/csv",
        analytics_api.CsvView.as_view(),
        name="api-analytics-csv",
    ),
    path("provider/analytics/", analytics_views.analytics_home, name="provider-analytics"),
    path(
        "provider/analytics/<slug:slug>/",
        analytics_views.analytics_page,
        name="provider-analytics-model",
    ),
]
