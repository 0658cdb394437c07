"""/api/v1/ (included from datafi/urls.py)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from evals.provider import api

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("me", api.MeView.as_view(), name="api-me"),
    path("models", api.ModelListView.as_view(), name="api-models"),
    path("models/<slug:slug>", api.ModelDetailView.as_view(), name="api-model"),
    path("models/<slug:slug>/retire", api.ModelRetireView.as_view(), name="api-model-retire"),
    path("prompt-sets", api.PromptSetListView.as_view(), name="api-prompt-sets"),
    path(
        "prompt-sets/<slug:slug>/prompts",
        api.PromptSetPromptsView.as_view(),
        name="api-prompt-set-prompts",
    ),
    path("answers", api.AnswerUploadView.as_view(), name="api-answers"),
    path("battles", api.BattleListView.as_view(), name="api-battles"),
    path("votes", api.VoteListView.as_view(), name="api-votes"),
    path("fairness", api.FairnessView.as_view(), name="api-fairness"),
    path("datasets/export", api.ExportView.as_view(), name="api-export"),
]
