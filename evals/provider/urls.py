"""/api/v1/ (included from datafi/urls.py)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from evals.provider import api, live_api, prerelease_api

urlpatterns = [
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("me", api.MeView.as_view(), name="api-me"),
    path("models", api.ModelListView.as_view(), name="api-models"),
    path("models/<slug:slug>", api.ModelDetailView.as_view(), name="api-model"),
    path("models/<slug:slug>/retire", api.ModelRetireView.as_view(), name="api-model-retire"),
    path(
        "testing-models", prerelease_api.TestingModelEnterView.as_view(), name="api-testing-models"
    ),
    path(
        "models/<slug:slug>/standing",
        prerelease_api.ModelStandingView.as_view(),
        name="api-model-standing",
    ),
    path(
        "models/<slug:slug>/release",
        prerelease_api.ModelReleaseView.as_view(),
        name="api-model-release",
    ),
    path(
        "models/<slug:slug>/withdraw",
        prerelease_api.ModelWithdrawView.as_view(),
        name="api-model-withdraw",
    ),
    path("live-models", live_api.LiveModelRegisterView.as_view(), name="api-live-models"),
    path("models/<slug:slug>/endpoint", live_api.EndpointDetailView.as_view(), name="api-endpoint"),
    path(
        "models/<slug:slug>/endpoint/probe",
        live_api.EndpointProbeView.as_view(),
        name="api-endpoint-probe",
    ),
    path(
        "models/<slug:slug>/endpoint/pause",
        live_api.EndpointPauseView.as_view(),
        name="api-endpoint-pause",
    ),
    path(
        "models/<slug:slug>/endpoint/resume",
        live_api.EndpointResumeView.as_view(),
        name="api-endpoint-resume",
    ),
    path(
        "models/<slug:slug>/endpoint/key",
        live_api.EndpointKeyView.as_view(),
        name="api-endpoint-key",
    ),
    path(
        "models/<slug:slug>/generation-jobs",
        live_api.GenerationJobListView.as_view(),
        name="api-generation-jobs",
    ),
    path(
        "generation-jobs/<uuid:job_id>",
        live_api.GenerationJobDetailView.as_view(),
        name="api-generation-job",
    ),
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
