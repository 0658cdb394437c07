from django.urls import path

from rewards import views

urlpatterns = [
    path("rewards/", views.rewards_page, name="rewards"),
    path("transparency/", views.transparency_page, name="transparency"),
    path("api/rewards/summary", views.api_summary, name="api-rewards-summary"),
    path("api/rewards/redemptions", views.api_redeem, name="api-rewards-redeem"),
    path(
        "api/rewards/redemptions/<uuid:redemption_id>/cancel",
        views.api_cancel,
        name="api-rewards-cancel",
    ),
    path("api/rewards/claim", views.api_claim, name="api-rewards-claim"),
    path("api/rewards/claim-call", views.api_claim_call, name="api-rewards-claim-call"),
    path("api/wallet/nonce", views.api_siwe_nonce, name="api-wallet-nonce"),
    path("api/wallet/link", views.api_wallet_link, name="api-wallet-link"),
    path("api/wallet/login", views.api_wallet_login, name="api-wallet-login"),
    path("api/transparency/epochs", views.api_epochs, name="api-transparency-epochs"),
    path(
        "api/transparency/datasets",
        views.api_dataset_versions,
        name="api-transparency-datasets",
    ),
    path("api/transparency/epochs/<int:number>", views.api_epoch, name="api-transparency-epoch"),
    path("api/transparency/proof/<str:address>", views.api_proof, name="api-transparency-proof"),
    path(
        "api/transparency/commitments",
        views.api_commitments,
        name="api-transparency-commitments",
    ),
    path(
        "api/transparency/commitments/<int:commitment_id>",
        views.api_commitment,
        name="api-transparency-commitment",
    ),
]
