from django.urls import path

from datafi.market import api, buy_api, catalogue_views, views

urlpatterns = [
    path("market/consent/", views.consent_page, name="market-consent"),
    path("market/my-data/", views.my_data_page, name="market-my-data"),
    path(
        "api/market/datasets/<slug:dataset>/versions/<int:number>/proof/<str:battle_id>",
        views.api_vote_proof,
        name="api-market-vote-proof",
    ),
    path("api/v1/market/orders", buy_api.OrderListView.as_view(), name="api-market-orders"),
    path(
        "api/v1/market/orders/<int:order_id>",
        buy_api.OrderDetailView.as_view(),
        name="api-market-order",
    ),
    path(
        "api/v1/market/test-dollars",
        buy_api.TestDollarsView.as_view(),
        name="api-market-test-dollars",
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
