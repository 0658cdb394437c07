"""Reads of the provider API, always scoped by the caller's ``Principal``."""

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from evals.models import (
    Battle,
    EndpointProbe,
    EvalModel,
    GenerationJob,
    ModelEndpoint,
    Prompt,
    PromptSet,
)


def voter_pseudonym(public_id) -> str:
    """A stable, salted pseudonym for a voter: the same voter gets the same
    pseudonym in every export, and nobody without the salt can link it back."""
    # 32 hex digits whichever way the UUID arrives (object, or text from the
    # database with or without hyphens).
    handle = str(public_id).replace("-", "").lower()
    digest = hmac.new(
        settings.EXPORT_PSEUDONYM_SALT.encode(), handle.encode(), hashlib.sha256
    ).hexdigest()
    return f"arena_user_{digest[:16]}"


def models_for_principal(*, principal) -> QuerySet[EvalModel]:
    qs = EvalModel.objects.select_related("organization").annotate(
        answer_count=Count("answers"),
        has_endpoint=Exists(ModelEndpoint.objects.filter(model=OuterRef("pk"))),
    )
    if not principal.is_operator:
        qs = qs.filter(organization_id__in=principal.organization_ids)
    return qs.order_by("slug")


def model_for_principal(*, principal, slug: str) -> EvalModel | None:
    return models_for_principal(principal=principal).filter(slug=slug).first()


def prompt_sets_for_principal(*, principal) -> QuerySet[PromptSet]:
    qs = PromptSet.objects.annotate(prompt_count=Count("prompts"))
    if not principal.is_operator:
        qs = qs.filter(is_published=True)
    return qs.order_by("slug")


def prompts_in_set(*, prompt_set: PromptSet, unanswered_by: EvalModel | None = None):
    qs = Prompt.objects.filter(prompt_sets=prompt_set)
    if unanswered_by is not None:
        qs = qs.exclude(answers__model=unanswered_by)
    return qs.order_by("id")


def testing_elsewhere(own) -> Q:
    """Battles against another organisation's model in pre-release testing.

    A provider's battles and exports leave them out until that model is released
    or withdrawn: their outcomes are the tested model's standing, which only its
    own provider sees while it is in testing. They appear after the disclosure.
    """
    testing = EvalModel.Prerelease.TESTING
    return (Q(model_a__prerelease=testing) & ~Q(model_a__organization_id__in=own)) | (
        Q(model_b__prerelease=testing) & ~Q(model_b__organization_id__in=own)
    )


def battles_for_principal(
    *,
    principal,
    model: EvalModel | None = None,
    opponent: EvalModel | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    language: str | None = None,
    excluded: bool | None = None,
    voted_only: bool = False,
) -> QuerySet[Battle]:
    """Battles the caller may read, newest last.

    A provider sees only closed battles (voted, abandoned or errored) in which
    one of its models fought: an open battle's id plus its models would let a
    provider tell a colluding voter which side is theirs.
    """
    qs = Battle.objects.select_related(
        "prompt", "model_a", "model_b", "voter", "vote", "answer_a", "answer_b"
    )
    if not principal.is_operator:
        own = principal.organization_ids
        qs = qs.filter(
            Q(model_a__organization_id__in=own) | Q(model_b__organization_id__in=own)
        ).exclude(status=Battle.Status.SERVED)
        qs = qs.exclude(testing_elsewhere(own))
    if voted_only:
        qs = qs.filter(status=Battle.Status.REVEALED)
    if model is not None:
        qs = qs.filter(Q(model_a=model) | Q(model_b=model))
        if opponent is not None:
            qs = qs.filter(Q(model_a=model, model_b=opponent) | Q(model_a=opponent, model_b=model))
    elif opponent is not None:
        qs = qs.filter(Q(model_a=opponent) | Q(model_b=opponent))
    if since is not None:
        qs = qs.filter(served_at__gte=since)
    if until is not None:
        qs = qs.filter(served_at__lt=until)
    if category:
        qs = qs.filter(prompt__category=category)
    if language:
        qs = qs.filter(prompt__language=language)
    if excluded is not None:
        qs = qs.filter(excluded=excluded)
    return qs


# --- live models ----------------------------------------------------------------


def endpoint_of(*, model: EvalModel) -> ModelEndpoint | None:
    return ModelEndpoint.objects.select_related("model").filter(model=model).first()


def endpoint_status(*, endpoint: ModelEndpoint) -> str:
    """Where a live model stands, in the order that decides whether it is picked."""
    model = endpoint.model
    if model.status == EvalModel.Status.RETIRED:
        return "retired"
    if model.approval == EvalModel.Approval.REJECTED:
        return "rejected"
    if endpoint.paused:
        return "paused"
    if model.approval == EvalModel.Approval.PENDING:
        return "waiting_for_approval"
    return "approved"


def endpoint_last_probe(*, endpoint: ModelEndpoint) -> EndpointProbe | None:
    return EndpointProbe.objects.filter(endpoint=endpoint).order_by("-created_at", "-id").first()


def models_of_organization(*, organization) -> list:
    """The organisation's models, by name."""
    return list(organization.models.order_by("name"))


def live_models_of_organization(*, organization) -> list[dict]:
    """The provider page's live models: each endpoint with its status and last probe."""
    rows = []
    for endpoint in (
        ModelEndpoint.objects.select_related("model")
        .filter(model__organization=organization)
        .order_by("model__name")
    ):
        rows.append(
            {
                "endpoint": endpoint,
                "model": endpoint.model,
                "status": endpoint_status(endpoint=endpoint),
                "probe": endpoint_last_probe(endpoint=endpoint),
                "job": GenerationJob.objects.filter(model=endpoint.model).first(),
            }
        )
    return rows


def generation_jobs_of(*, model: EvalModel) -> QuerySet[GenerationJob]:
    return (
        GenerationJob.objects.select_related("model")
        .filter(model=model)
        .order_by("-created_at")[:50]
    )


def generation_job_for_principal(*, principal, job_id) -> GenerationJob | None:
    qs = GenerationJob.objects.select_related("model").filter(pk=job_id)
    if not principal.is_operator:
        qs = qs.filter(model__organization_id__in=principal.organization_ids)
    return qs.first()


def probe_summary(probe: EndpointProbe | None) -> str:
    """A probe in one line, for the operator's review queue."""
    if probe is None:
        return "never probed"
    if not probe.ok:
        return f"failed: {probe.error}"
    speed = f", {probe.tokens_per_s:g} tokens/s" if probe.tokens_per_s else ""
    return f"ok: first token after {probe.time_to_first_token_ms} ms{speed}"


def endpoint_probe_summary(*, model: EvalModel) -> str:
    endpoint = ModelEndpoint.objects.filter(model=model).first()
    if endpoint is None:
        return "-"
    summary = probe_summary(endpoint_last_probe(endpoint=endpoint))
    return f"{endpoint.base_url} ({endpoint.provider_model_id}); {summary}"


def live_models_review(models) -> list[dict]:
    """Each of ``models`` that has an endpoint, with its last probe (the review page)."""
    rows = []
    for endpoint in ModelEndpoint.objects.select_related("model").filter(model__in=models):
        probe = endpoint_last_probe(endpoint=endpoint)
        rows.append(
            {
                "model": endpoint.model,
                "endpoint": endpoint,
                "probe": probe,
                "summary": probe_summary(probe),
            }
        )
    return rows
