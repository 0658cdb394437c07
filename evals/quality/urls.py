from django.urls import path

from evals.quality import views

urlpatterns = [
    path("quality/", views.dashboard, name="quality-dashboard"),
    path("quality/fairness/", views.fairness, name="quality-fairness"),
    path("api/quality/fairness", views.api_fairness, name="api-quality-fairness"),
]
