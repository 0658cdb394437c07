from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from datafi.accounts import views as account_views
from datafi.ops import views as ops_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("healthz", ops_views.healthz, name="healthz"),
    # Pages without an icon link of their own (the admin, JSON) make browsers ask here.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    # Prometheus: /metrics (keep it off the public proxy: the nginx config does).
    path("metrics", ops_views.metrics, name="prometheus-django-metrics"),
    path("accounts/signup/", account_views.signup, name="signup"),
    # Before Django's auth URLs, which would route it to the unthrottled view.
    path(
        "accounts/password_reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    # Before Django's auth URLs too: these say each error under its own field.
    path(
        "accounts/password_change/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/delete/", account_views.account_delete, name="account-delete"),
    path("accounts/deleted/", account_views.account_deleted, name="account-deleted"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The header's language switcher: Django's set_language (a cookie), and the
    # account remembers the choice for the next log-in on another device.
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("jsi18n/<str:lang>/", account_views.javascript_catalog, name="javascript-catalog"),
    path("", include("evals.urls")),
    path("", include("evals.quality.urls")),
    path("", include("rewards.urls")),
    path("", include("ratings.urls")),
    path("", include("evals.live_urls")),
    path("api/v1/", include("evals.provider.urls")),
    path("", include("evals.provider.page_urls")),
    path("", include("datafi.market.urls")),
]

handler400 = "datafi.accounts.views.error_400"
handler403 = "datafi.accounts.views.error_403"
handler404 = "datafi.accounts.views.error_404"
handler500 = "datafi.accounts.views.error_500"
