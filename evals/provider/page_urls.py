from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from evals.provider import views

urlpatterns = [
    path("provider/", views.provider_home, name="provider"),
    path("provider/organizations", views.organization_create, name="provider-org-create"),
    path("provider/<slug:slug>/keys", views.api_key_create, name="provider-key-create"),
    path(
        "provider/<slug:slug>/keys/<str:prefix>/revoke",
        views.api_key_revoke,
        name="provider-key-revoke",
    ),
    path("provider/<slug:slug>/members", views.member_add, name="provider-member-add"),
    path(
        "provider/<slug:slug>/invitations/withdraw",
        views.invitation_withdraw,
        name="provider-invitation-withdraw",
    ),
    path(
        "provider/invitations/<slug:slug>/accept",
        views.invitation_accept,
        name="provider-invitation-accept",
    ),
    path(
        "provider/invitations/<slug:slug>/decline",
        views.invitation_decline,
        name="provider-invitation-decline",
    ),
    path("provider/<slug:slug>/live", views.live_model_register, name="provider-live-register"),
    path(
        "provider/<slug:slug>/live/<slug:model_slug>/probe",
        views.live_model_probe,
        name="provider-live-probe",
    ),
    path(
        "provider/<slug:slug>/live/<slug:model_slug>/pause",
        views.live_model_pause,
        name="provider-live-pause",
    ),
    path(
        "provider/<slug:slug>/live/<slug:model_slug>/key",
        views.live_model_key,
        name="provider-live-key",
    ),
    path(
        "provider/<slug:slug>/live/<slug:model_slug>/generate",
        views.live_model_generate,
        name="provider-live-generate",
    ),
    path("", include("evals.provider.analytics_urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
