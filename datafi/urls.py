from django.contrib import admin
from django.urls import include, path

from datafi.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("evals.urls")),
    path("", include("evals.quality.urls")),
    path("", include("rewards.urls")),
    path("", include("ratings.urls")),
    path("", include("evals.live_urls")),
    path("api/v1/", include("evals.provider.urls")),
    path("", include("evals.provider.page_urls")),
]

handler400 = "datafi.accounts.views.error_400"
handler403 = "datafi.accounts.views.error_403"
handler404 = "datafi.accounts.views.error_404"
handler500 = "datafi.accounts.views.error_500"
