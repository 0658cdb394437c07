from django.urls import path

from datafi.market import views

urlpatterns = [
    path("market/consent/", views.consent_page, name="market-consent"),
    path(
        "api/market/datasets/<slug:dataset>/versions/<int:number>/proof/<str:battle_id>",
        views.api_vote_proof,
        name="api-market-vote-proof",
    ),
]
