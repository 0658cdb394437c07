from django.urls import path

from datafi.market import api, catalogue_views, views

urlpatterns = [
    path("market/consent/", views.consent_page, name="market-consent"),
    path(
        "api/market/datasets/<slug:dataset>/versions/<int:number>/proof/<str:battle_id>",
        views.api_vote_proof,
        name="api-market-vote-proof",
    ),
    # The public catalogue: pages and REST (documented in /api/v1/schema).
    path("market/", catalogue_views.catalogue_page, name="market-catalogue"),
    path("market/<slug:slug>/", catalogue_views.product_page, name="market-product"),
    path("api/v1/market/datasets", api.DatasetListView.as_view(), name="api-market-datasets"),
    path(
        "api/v1/market/datasets/<slug:slug>",
        api.DatasetDetailView.as_view(),
        name="api-market-dataset",
    ),
]
