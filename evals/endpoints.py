"""Model endpoints: encrypted API keys, the cross-worker concurrency semaphore,
and failure bookkeeping that pauses a model which keeps failing."""

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

from asgiref.sync import sync_to_async
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from datafi.api import ApiError
from evals.models import EndpointLease, EvalModel, ModelEndpoint

ALLOWED_PARAMS = {
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "stop",
}


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in settings.MODEL_KEY_ENCRYPTION_KEYS])


def api_key_encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def api_key_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # Rotated away or corrupted: the endpoint cannot authenticate; the
        # call fails like any other 401 and counts towards pausing it.
        return ""


def api_key_hint(plain: str) -> str:
    """The last four characters of a key (none of a key shorter than twelve:
    four would give away too much of it)."""
    return plain[-4:] if len(plain or "") >= 12 else ""


def _validate(base_url: str, params, timeout_s: float, concurrency_limit: int) -> dict:
    parsed = urlparse(base_url or "")
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ApiError("invalid_base_url", "base_url must be an http(s) URL.")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ApiError("invalid_params", "default_params must be a JSON object.")
    unknown = sorted(set(params) - ALLOWED_PARAMS)
    if unknown:
        raise ApiError(
            "invalid_params",
            f"Unknown parameters: {', '.join(unknown)}. "
            f"Allowed: {', '.join(sorted(ALLOWED_PARAMS))}.",
        )
    if not (0 < float(timeout_s) <= 600):
        raise ApiError("invalid_timeout", "timeout_s must be in (0, 600].")
    if not (1 <= int(concurrency_limit) <= 1000):
        raise ApiError("invalid_concurrency", "concurrency_limit must be in [1, 1000].")
    return params


@transaction.atomic
def endpoint_upsert(
    *,
    model: EvalModel,
    base_url: str,
    provider_model_id: str,
    api_key: str | None = None,
    default_params: dict | None = None,
    timeout_s: float = 60.0,
    concurrency_limit: int = 4,
    provider_managed: bool | None = None,
) -> ModelEndpoint:
    """Create or update the endpoint behind ``model``.

    ``api_key=None`` keeps the stored key; ``""`` clears it. Saving an endpoint
    unpauses it: the provider or operator says it is fixed.
    """
    params = _validate(base_url, default_params, timeout_s, concurrency_limit)
    if not provider_model_id or len(provider_model_id) > 200:
        raise ApiError("invalid_model_id", "provider_model_id must be 1-200 characters.")
    defaults = {
        "base_url": base_url.rstrip("/"),
        "provider_model_id": provider_model_id,
        "default_params": params,
        "timeout_s": float(timeout_s),
        "concurrency_limit": int(concurrency_limit),
        "paused": False,
        "pause_reason": "",
        "consecutive_failures": 0,
    }
    if api_key is not None:
        defaults["api_key_encrypted"] = api_key_encrypt(api_key)
        defaults["api_key_hint"] = api_key_hint(api_key)
    if provider_managed is not None:
        defaults["provider_managed"] = provider_managed
    endpoint, _ = ModelEndpoint.objects.update_or_create(model=model, defaults=defaults)
    return endpoint


@dataclass(frozen=True)
class EndpointConfig:
    """What a generation needs, read once so that no ORM object crosses awaits."""

    endpoint_id: int
    model_id: int
    base_url: str
    provider_model_id: str
    api_key: str = field(repr=False)
    params: dict
    timeout_s: float
    # A provider's own endpoint: its address is checked at every connection
    # (evals.netguard.GuardedAsyncTransport). Operators' endpoints are trusted.
    guarded: bool = False


def endpoint_config(endpoint: ModelEndpoint) -> EndpointConfig:
    return EndpointConfig(
        endpoint_id=endpoint.id,
        model_id=endpoint.model_id,
        base_url=endpoint.base_url,
        provider_model_id=endpoint.provider_model_id,
        # OpenAI's client insists on a key; local servers ignore it.
        api_key=api_key_decrypt(endpoint.api_key_encrypted) or "none",
        params=dict(endpoint.default_params or {}),
        timeout_s=endpoint.timeout_s,
        guarded=endpoint.provider_managed,
    )


# --- concurrency slots ---------------------------------------------------------


def lease_acquire(*, endpoint_id: int, ttl_s: float) -> uuid.UUID | None:
    """Take one of the endpoint's concurrency slots, or None if all are taken."""
    now = timezone.now()
    with transaction.atomic():
        # The row lock serialises acquirers of this endpoint across workers, so
        # two of them cannot both see "limit - 1" leases and both take one.
        # (SQLite has no row locks; its IMMEDIATE transactions serialise writers.)
        endpoint = (
            ModelEndpoint.objects.select_for_update()
            .filter(id=endpoint_id)
            .values("concurrency_limit")
            .first()
        )
        if endpoint is None:
            return None
        EndpointLease.objects.filter(endpoint_id=endpoint_id, expires_at__lte=now).delete()
        if (
            EndpointLease.objects.filter(endpoint_id=endpoint_id).count()
            >= (endpoint["concurrency_limit"])
        ):
            return None
        lease = EndpointLease.objects.create(
            endpoint_id=endpoint_id, expires_at=now + timedelta(seconds=ttl_s)
        )
    return lease.token


def lease_release(*, token: uuid.UUID) -> None:
    EndpointLease.objects.filter(token=token).delete()


async def lease_acquire_waiting(*, endpoint_id: int, ttl_s: float, wait_s: float):
    """Poll for a slot for up to ``wait_s`` seconds; None if none came free."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        token = await sync_to_async(lease_acquire)(endpoint_id=endpoint_id, ttl_s=ttl_s)
        if token is not None or time.monotonic() >= deadline:
            return token
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)


# --- failures and pausing ------------------------------------------------------


def endpoint_record_success(*, endpoint_id: int) -> None:
    ModelEndpoint.objects.filter(id=endpoint_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def endpoint_record_failure(*, endpoint_id: int, reason: str) -> bool:
    """Count a failure; pause the endpoint at the threshold. True if it paused now."""
    with transaction.atomic():
        # F() so that concurrent failures from several workers all count.
        ModelEndpoint.objects.filter(id=endpoint_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        paused = (
            ModelEndpoint.objects.filter(
                id=endpoint_id,
                paused=False,
                consecutive_failures__gte=settings.LIVE_PAUSE_AFTER_FAILURES,
            ).update(
                paused=True,
                pause_reason=f"paused after {settings.LIVE_PAUSE_AFTER_FAILURES} "
                f"consecutive failures; last: {reason}"[:200],
            )
            == 1
        )
    return paused
