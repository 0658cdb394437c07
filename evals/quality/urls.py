from django.urls import path

from evals.quality import views

urlpatterns = [
    path("quality/", views.dashboard, name="quality-dashboard"),
    path("quality/appeals/<int:appeal_id>/decide", views.appeal_decide, name="appeal-decide"),
    path("quality/fairness/", views.fairness, name="quality-fairness"),
    path("api/quality/fairness", views.api_fairness, name="api-quality-fairness"),
]
