from django.urls import path
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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
