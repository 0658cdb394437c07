"""Self-serve live models: a provider registers an OpenAI-compatible endpoint,
probes it, pauses and resumes it, rotates its key, and asks for its answers to
the stored prompts (a generation job a worker claims).

The model API is never called inside a transaction: rows are written in short
transactions before and after each call. A provider's base URL is checked
against the service's own network (evals.netguard) at registration and before
every probe and job.
"""

import asyncio
import logging
import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from datafi.accounts import throttle
from datafi.api import ApiError
from evals import batch, endpoints, generation, identity, netguard
from evals.models import EndpointProbe, EvalModel, GenerationJob, ModelEndpoint
from evals.provider import services

log = logging.getLogger(__name__)

# Bounds a provider may choose (the endpoint table allows more, for operators).
TIMEOUT_RANGE = (1.0, 300.0)
CONCURRENCY_RANGE = (1, 64)
NOTES_KEPT = 50


def _number(name, value, lo, hi, *, integer=False):
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer:
        ok = isinstance(value, int)
    if not ok or not math.isfinite(value) or not lo <= value <= hi:
        kind = _("a whole number") if integer else _("a number")
        raise ApiError(
            "invalid_params",
            _("%(name)s must be %(kind)s from %(lo)s to %(hi)s.")
            % {"name": name, "kind": kind, "lo": lo, "hi": hi},
        )


# The values each allowed parameter may take (OpenAI's documented ranges).
PARAM_RULES = {
    "temperature": (0, 2, False),
    "top_p": (0, 1, False),
    "max_tokens": (1, 131072, True),
    "max_completion_tokens": (1, 131072, True),
    "presence_penalty": (-2, 2, False),
    "frequency_penalty": (-2, 2, False),
    "seed": (-(2**63), 2**63 - 1, True),
}


def default_params_clean(params) -> dict:
    """Only the parameters of ``endpoints.ALLOWED_PARAMS``, with values in range."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ApiError("invalid_params", _("default_params must be a JSON object."))
    unknown = sorted(set(params) - endpoints.ALLOWED_PARAMS)
    if unknown:
        raise ApiError(
            "invalid_params",
            _("Unknown parameters: %(unknown)s. Allowed: %(allowed)s.")
            % {
                "unknown": ", ".join(unknown),
                "allowed": ", ".join(sorted(endpoints.ALLOWED_PARAMS)),
            },
        )
    for name, value in params.items():
        if name == "stop":
            stops = [value] if isinstance(value, str) else value
            if (
                not isinstance(stops, list)
                or not 1 <= len(stops) <= 4
                or not all(isinstance(s, str) and 0 < len(s) <= 64 for s in stops)
            ):
                raise ApiError(
                    "invalid_params", _("stop must be a string or a list of 1 to 4 strings.")
                )
        else:
            lo, hi, integer = PARAM_RULES[name]
            _number(name, value, lo, hi, integer=integer)
    return dict(params)


def _key_check(api_key) -> None:
    if not isinstance(api_key, str) or len(api_key) > 500:
        raise ApiError("invalid_api_key", _("api_key must be a string of at most 500 characters."))


def _limits_check(timeout_s, concurrency_limit) -> None:
    _number("timeout_s", timeout_s, *TIMEOUT_RANGE)
    _number("concurrency_limit", concurrency_limit, *CONCURRENCY_RANGE, integer=True)


# --- registration ---------------------------------------------------------------


def live_model_register(
    *,
    organization,
    name: str,
    base_url: str,
    provider_model_id: str,
    api_key: str,
    description: str = "",
    default_params: dict | None = None,
    timeout_s: float = 60.0,
    concurrency_limit: int = 4,
) -> tuple[EvalModel, EndpointProbe]:
    """Register a model backed by the provider's endpoint, pending an operator's
    review, and probe it once; 400 for a URL into our own network."""
    params = default_params_clean(default_params)
    _limits_check(timeout_s, concurrency_limit)
    _key_check(api_key)
    if not isinstance(base_url, str) or len(base_url) > 300:
        raise ApiError("invalid_base_url", _("base_url must be at most 300 characters."))
    probe_allowance_take(organization_id=organization.id)
    netguard.base_url_check(base_url)  # resolves the host: before any transaction
    with transaction.atomic(durable=True):
        model = services.model_insert(organization=organization, name=name, description=description)
        endpoint = endpoints.endpoint_upsert(
            model=model,
            base_url=base_url,
            provider_model_id=provider_model_id,
            api_key=api_key,
            default_params=params,
            timeout_s=timeout_s,
            concurrency_limit=concurrency_limit,
            provider_managed=True,
        )
    probe = endpoint_probe(endpoint=endpoint, trigger=EndpointProbe.Trigger.REGISTRATION)
    return model, probe


# --- probes ---------------------------------------------------------------------


def probe_allowance_take(*, organization_id: int) -> None:
    """Count one probe an organization asked for (registration, on-demand probe,
    key rotation); Throttled (429) past ``THROTTLE_ENDPOINT_PROBE``. Counted
    before anything is changed or called."""
    throttle.throttle_consume(scope="endpoint_probe", key=f"org:{organization_id}")


def endpoint_probe_requested(*, endpoint: ModelEndpoint) -> EndpointProbe:
    """A probe the provider asked for (page or API), within their allowance."""
    probe_allowance_take(organization_id=endpoint.model.organization_id)
    return endpoint_probe(endpoint=endpoint, trigger=EndpointProbe.Trigger.REQUEST)


def endpoint_probe(*, endpoint: ModelEndpoint, trigger: str) -> EndpointProbe:
    """Send one short streamed completion and store what came of it."""
    timeout_s = settings.PROVIDER_PROBE_TIMEOUT_S
    code = words = ""
    result = None
    if endpoint.provider_managed:
        try:
            netguard.base_url_check(endpoint.base_url)
        except ApiError as exc:
            code, words = exc.code, str(exc.detail)
    if not code:
        cfg = endpoints.endpoint_config(endpoint)
        result = asyncio.run(
            generation.probe(
                cfg, timeout_s=timeout_s, max_tokens=settings.PROVIDER_PROBE_MAX_TOKENS
            )
        )
        code, words = generation.probe_outcome(result, timeout_s=timeout_s)
    return EndpointProbe.objects.create(
        endpoint=endpoint,
        trigger=trigger,
        ok=not code,
        time_to_first_token_ms=result.ttft_ms if result else None,
        tokens_per_s=result.tokens_per_s if result else None,
        duration_ms=result.duration_ms if result else 0,
        completion_tokens=result.completion_tokens if result and result.text else 0,
        error_code=code[:40],
        error=words[:300],
    )


# --- pause, resume, key rotation -----------------------------------------------------


def endpoint_pause(*, endpoint: ModelEndpoint) -> ModelEndpoint:
    """Take the model out of live battles until the provider resumes it."""
    ModelEndpoint.objects.filter(pk=endpoint.pk).update(
        paused=True, pause_reason=_("paused by the provider")[:200]
    )
    endpoint.refresh_from_db()
    return endpoint


def endpoint_resume(*, endpoint: ModelEndpoint) -> ModelEndpoint:
    """Back into live battles (also after an automatic pause: the provider says it is fixed)."""
    ModelEndpoint.objects.filter(pk=endpoint.pk).update(
        paused=False, pause_reason="", consecutive_failures=0
    )
    endpoint.refresh_from_db()
    return endpoint


def endpoint_key_rotate(*, endpoint: ModelEndpoint, api_key: str) -> EndpointProbe:
    """Replace the stored key (the old one is gone for good) and probe with the new one."""
    _key_check(api_key)
    probe_allowance_take(organization_id=endpoint.model.organization_id)
    ModelEndpoint.objects.filter(pk=endpoint.pk).update(
        api_key_encrypted=endpoints.api_key_encrypt(api_key),
        api_key_hint=endpoints.api_key_hint(api_key),
        consecutive_failures=0,
        updated_at=timezone.now(),
    )
    endpoint.refresh_from_db()
    return endpoint_probe(endpoint=endpoint, trigger=EndpointProbe.Trigger.KEY_ROTATION)


# --- generation jobs ------------------------------------------------------------------


def generation_job_request(*, model: EvalModel, by=None) -> GenerationJob:
    """Queue a job that answers the active stored prompts ``model`` has not answered."""
    endpoint = ModelEndpoint.objects.filter(model=model).first()
    if endpoint is None:
        raise ApiError("no_endpoint", _("This model has no endpoint: it is answers-only."), 409)
    if model.approval == EvalModel.Approval.REJECTED or model.status != EvalModel.Status.ACTIVE:
        raise ApiError(
            "model_inactive", _("This model was rejected or retired; nothing is generated."), 409
        )
    if endpoint.paused:
        raise ApiError(
            "endpoint_paused",
            _("The endpoint is paused (%(reason)s); resume it first.")
            % {"reason": endpoint.pause_reason},
            409,
        )
    if endpoint.provider_managed:
        netguard.base_url_check(endpoint.base_url)
    total = len(batch.missing_prompts(model))
    try:
        with transaction.atomic(durable=True):
            job = GenerationJob.objects.create(
                model=model,
                # A person (the page or a session); an API key's stand-in user is not one.
                requested_by=by if isinstance(by, get_user_model()) else None,
                total=total,
            )
            if total == 0:
                now = timezone.now()
                GenerationJob.objects.filter(pk=job.pk).update(
                    state=GenerationJob.State.DONE, started_at=now, finished_at=now
                )
                job.refresh_from_db()
    except IntegrityError:
        raise ApiError(
            "job_running",
            _("A generation job for this model is already queued or running."),
            409,
        ) from None
    return job


def _claimable(now):
    qs = GenerationJob.objects.filter(
        Q(state=GenerationJob.State.QUEUED)
        | Q(state=GenerationJob.State.RUNNING, lease_until__lt=now)
    ).order_by("created_at")
    # SKIP LOCKED: several workers each take a different job instead of queueing
    # on the same row. (SQLite has no row locks; the conditional update below
    # decides there.)
    return qs.select_for_update(skip_locked=True) if connection.vendor == "postgresql" else qs


def generation_job_claim() -> GenerationJob | None:
    """Take the oldest queued job (or one whose worker died); None if there is none."""
    now = timezone.now()
    with transaction.atomic():
        job = _claimable(now).first()
        if job is None:
            return None
        # "Another worker got there first" on SQLite: exactly one row changes.
        taken = GenerationJob.objects.filter(
            pk=job.pk, state=job.state, lease_until=job.lease_until
        ).update(
            state=GenerationJob.State.RUNNING,
            lease_until=now + timedelta(seconds=settings.GENERATION_JOB_LEASE_S),
            started_at=job.started_at or now,
        )
    if taken != 1:
        return None
    job.refresh_from_db()
    return job


def _finish(job: GenerationJob, *, state: str, error: str = "") -> None:
    GenerationJob.objects.filter(pk=job.pk).update(
        state=state, error=error[:300], finished_at=timezone.now(), lease_until=None
    )


def _note(job_id, outcome: batch.Outcome) -> None:
    """Count one prompt's outcome (F(): the job's writers run concurrently)."""
    updates = {"lease_until": timezone.now() + timedelta(seconds=settings.GENERATION_JOB_LEASE_S)}
    note = None
    key = outcome.prompt_key or str(outcome.prompt_id)
    if outcome.error:
        updates["failed"] = F("failed") + 1
        note = {"prompt": key, "kind": "failed", "reason": outcome.error_detail}
    elif outcome.written:
        updates["written"] = F("written") + 1
        if outcome.withheld:
            updates["withheld"] = F("withheld") + 1
            note = {"prompt": key, "kind": "withheld", "reason": outcome.withheld}
    with transaction.atomic():
        GenerationJob.objects.filter(pk=job_id).update(**updates)
        if note is not None:
            job = GenerationJob.objects.select_for_update().get(pk=job_id)
            if len(job.notes) < NOTES_KEPT:
                GenerationJob.objects.filter(pk=job_id).update(notes=[*job.notes, note])


def generation_job_run(*, job: GenerationJob) -> GenerationJob:
    """Generate a claimed job's answers; each is written as soon as it is complete."""
    model = job.model
    endpoint = ModelEndpoint.objects.filter(model=model).first()
    if endpoint is None or endpoint.paused:
        _finish(job, state=GenerationJob.State.FAILED, error=_("the endpoint is paused or gone"))
        job.refresh_from_db()
        return job
    if endpoint.provider_managed:
        try:
            netguard.base_url_check(endpoint.base_url)
        except ApiError as exc:
            _finish(job, state=GenerationJob.State.FAILED, error=str(exc.detail))
            job.refresh_from_db()
            return job
    todo = batch.missing_prompts(model)
    cfg = endpoints.endpoint_config(endpoint)
    try:
        asyncio.run(
            batch.answers_generate(
                cfg,
                model_id=model.id,
                todo=todo,
                concurrency=min(settings.GENERATION_JOB_CONCURRENCY, endpoint.concurrency_limit),
                retries=settings.GENERATION_JOB_RETRIES,
                backoff=1.0,
                names=identity.leak_pattern(model),
                on_outcome=lambda outcome: _note(job.pk, outcome),
            )
        )
    except Exception:
        log.exception("generation job %s failed", job.pk)
        _finish(job, state=GenerationJob.State.FAILED, error=_("the job stopped on our side"))
    else:
        job.refresh_from_db()
        if job.failed:
            error = _("%(n)s prompts failed after retries; request a new job to resume.") % {
                "n": job.failed
            }
            _finish(job, state=GenerationJob.State.FAILED, error=error)
        else:
            _finish(job, state=GenerationJob.State.DONE)
    job.refresh_from_db()
    return job


def generation_jobs_run(*, limit: int = 1) -> int:
    """Claim and run up to ``limit`` jobs, one after the other; how many ran."""
    ran = 0
    while ran < limit:
        job = generation_job_claim()
        if job is None:
            break
        generation_job_run(job=job)
        ran += 1
    return ran
