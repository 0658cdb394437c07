"""Talking to OpenAI-compatible endpoints: one streamed answer, and two at once.

Nothing here touches the database inside a transaction: a generation only
reads its plan before and hands its results back; callers record them in
short transactions afterwards (see evals.live).
"""

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import openai
from asgiref.sync import sync_to_async
from django.utils.translation import gettext as _
from openai import AsyncOpenAI

from evals import netguard
from evals.endpoints import EndpointConfig, lease_acquire_waiting, lease_release
from evals.services import token_count_estimate

log = logging.getLogger(__name__)

FINISH_REASONS = {"stop", "length", "content_filter", "stopped", "aborted", "error"}


@dataclass
class GenResult:
    """One answer as it streams in; filled in place so a caller that is
    cancelled half-way still holds the partial text."""

    text: str = ""
    finish_reason: str = ""
    ttft_ms: int | None = None
    duration_ms: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usage_source: str = "estimated"
    error_code: str = ""  # timeout, rate_limited, server_error, connection, incomplete, ...
    error_detail: str = ""
    # The failure's exception chain (type: message, ...), for telling a refused
    # connection from an unknown host in a probe's plain words.
    error_cause: str = ""
    _t_first: float | None = None
    _t_last: float | None = None

    @property
    def failed(self) -> bool:
        return bool(self.error_code)

    @property
    def tokens_per_s(self) -> float | None:
        """Output speed after the first token (the usual definition): it leaves
        queueing and prompt processing to time-to-first-token."""
        if self.completion_tokens < 2 or self._t_first is None or self._t_last is None:
            return None
        span = self._t_last - self._t_first
        return round((self.completion_tokens - 1) / span, 2) if span > 0 else None


def _classify(exc: BaseException) -> tuple[str, str]:
    refused = exc
    while refused is not None and not isinstance(refused, netguard.AddressRefused):
        refused = refused.__cause__ or refused.__context__
    if refused is not None:  # openai wraps it in APIConnectionError
        return refused.code, str(refused)
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return "timeout", "the model took too long to answer"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited", "the model's provider is rate limiting (HTTP 429)"
    if isinstance(exc, openai.InternalServerError):
        return "server_error", f"the model's server failed (HTTP {exc.status_code})"
    if isinstance(exc, openai.APIStatusError):
        return f"http_{exc.status_code}", f"the model's server refused (HTTP {exc.status_code})"
    if isinstance(exc, openai.APIConnectionError | httpx.HTTPError | OSError):
        return "connection", "the connection to the model dropped"
    return "error", "the model's answer could not be read"


def _cause_chain(exc: BaseException) -> str:
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen and len(parts) < 6:
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or exc.__context__
    return " <- ".join(parts)[:500]


async def stream_chat(
    cfg: EndpointConfig,
    messages: list[dict],
    *,
    result: GenResult | None = None,
    on_delta: Callable[[str], Awaitable[None]] | None = None,
    stop_events: dict[str, asyncio.Event] | None = None,
    max_s: float = 180.0,
) -> GenResult:
    """Stream one chat completion into ``result``.

    Never raises for the model's failures: they land in ``result.error_code``.
    If one of ``stop_events`` fires first, the stream is closed and the answer
    finishes with that event's name as finish reason ("stopped", "aborted").
    """
    result = result if result is not None else GenResult()
    client = AsyncOpenAI(
        base_url=cfg.base_url,
        api_key=cfg.api_key,
        timeout=httpx.Timeout(cfg.timeout_s, connect=min(cfg.timeout_s, 10.0)),
        max_retries=0,  # retries are the caller's decision (batch yes, live no)
        # A provider's endpoint: connect only to the address just checked.
        http_client=(
            openai.DefaultAsyncHttpxClient(transport=netguard.GuardedAsyncTransport())
            if cfg.guarded
            else None
        ),
    )
    started = time.monotonic()

    async def consume():
        stream = await client.chat.completions.create(
            model=cfg.provider_model_id,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            **cfg.params,
        )
        try:
            async for chunk in stream:
                if chunk.usage is not None:
                    result.prompt_tokens = chunk.usage.prompt_tokens or 0
                    result.completion_tokens = chunk.usage.completion_tokens or 0
                    result.usage_source = "reported"
                for choice in chunk.choices:
                    delta = choice.delta.content if choice.delta else None
                    if delta:
                        now = time.monotonic()
                        if result._t_first is None:
                            result._t_first = now
                            result.ttft_ms = int((now - started) * 1000)
                        result._t_last = now
                        result.text += delta
                        if on_delta is not None:
                            await on_delta(delta)
                    if choice.finish_reason:
                        result.finish_reason = choice.finish_reason
        finally:
            await stream.close()

    consume_task = asyncio.ensure_future(consume())
    stop_tasks = {
        asyncio.ensure_future(event.wait()): name for name, event in (stop_events or {}).items()
    }
    try:
        async with asyncio.timeout(max_s):
            done, _ = await asyncio.wait(
                {consume_task, *stop_tasks}, return_when=asyncio.FIRST_COMPLETED
            )
        if consume_task in done:
            consume_task.result()  # raises the model's failure, if any
            if not result.finish_reason:
                # The body ended without a finish reason: a proxy or the server
                # cut the stream short.
                result.error_code = "incomplete"
                result.error_detail = "the model's answer was cut off"
        else:
            result.finish_reason = next(stop_tasks[t] for t in done if t in stop_tasks)
    except Exception as exc:
        result.error_code, result.error_detail = _classify(exc)
        result.error_cause = _cause_chain(exc)
        if result.error_code == "error":
            log.exception("unexpected failure streaming from endpoint %s", cfg.endpoint_id)
    finally:
        for task in (consume_task, *stop_tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await consume_task
        await client.close()
        result.duration_ms = int((time.monotonic() - started) * 1000)
        if result.error_code:
            result.finish_reason = "error"
        elif result.finish_reason not in FINISH_REASONS:
            result.finish_reason = "other"
        if result.usage_source != "reported":
            result.completion_tokens = token_count_estimate(result.text)
            result.prompt_tokens = sum(
                token_count_estimate(str(m.get("content", ""))) for m in messages
            )
    return result


async def stream_chat_slot(
    cfg: EndpointConfig,
    messages: list[dict],
    *,
    slot_wait_s: float,
    result: GenResult | None = None,
    **kwargs,
) -> GenResult:
    """``stream_chat`` inside one of the endpoint's concurrency slots."""
    result = result if result is not None else GenResult()
    max_s = kwargs.get("max_s", 180.0)
    token = await lease_acquire_waiting(
        endpoint_id=cfg.endpoint_id, ttl_s=max_s + 30.0, wait_s=slot_wait_s
    )
    if token is None:
        result.error_code = "capacity"
        result.error_detail = "the model is busy (all its slots are taken)"
        result.finish_reason = "error"
        return result
    try:
        return await stream_chat(cfg, messages, result=result, **kwargs)
    finally:
        await sync_to_async(lease_release)(token=token)


# --- probes ----------------------------------------------------------------------

PROBE_MESSAGES = [{"role": "user", "content": "Say hello in five words."}]


async def probe(cfg: EndpointConfig, *, timeout_s: float, max_tokens: int) -> GenResult:
    """One short streamed completion, with a short timeout and no retries.

    Not inside a concurrency slot: a probe is the provider asking whether the
    endpoint answers at all, and must not wait behind live battles.
    """
    params = {
        k: v for k, v in cfg.params.items() if k not in {"max_tokens", "max_completion_tokens"}
    }
    params["max_tokens"] = max_tokens
    short = dataclasses.replace(cfg, params=params, timeout_s=min(cfg.timeout_s, timeout_s))
    return await stream_chat(short, PROBE_MESSAGES, max_s=timeout_s)


def probe_outcome(result: GenResult, *, timeout_s: float) -> tuple[str, str]:
    """A probe's failure as (stable code, plain words); ("", "") if it worked."""
    code, cause = result.error_code, result.error_cause.lower()
    if code in {"http_401", "http_403"}:
        return "unauthorized", _("the endpoint refused the API key (HTTP %(status)s)") % {
            "status": code[5:]
        }
    if code in {"private_address", "unresolvable_host"}:  # the guard, at connection time
        return code, result.error_detail
    if code == "http_404":
        return "not_found", _(
            "the endpoint answered HTTP 404: check the base URL (it usually ends in /v1) "
            "and the model id"
        )
    if code == "rate_limited":
        return "rate_limited", _("the endpoint is rate limiting (HTTP 429)")
    if code == "server_error":
        return "server_error", _("the endpoint's server failed: %(detail)s") % {
            "detail": result.error_detail.removeprefix("the model's server failed ")
        }
    if code.startswith("http_"):
        return "refused", _("the endpoint refused the request (HTTP %(status)s)") % {
            "status": code[5:]
        }
    if code == "timeout":
        if result.ttft_ms is None:
            return "timeout", _("no first token within %(s)s seconds") % {"s": f"{timeout_s:g}"}
        return "timeout", _("the stream stalled: no end within %(s)s seconds") % {
            "s": f"{timeout_s:g}"
        }
    if code == "connection":
        if "refused" in cause:
            return "connection_refused", _(
                "the connection was refused: nothing listens at that address and port"
            )
        if (
            "name or service not known" in cause
            or "nodename nor servname" in cause
            or ("getaddrinfo" in cause)
        ):
            return "unknown_host", _("the endpoint's host name does not resolve")
        if "ssl" in cause or "certificate" in cause:
            return "tls_error", _("the TLS (https) handshake with the endpoint failed")
        return "connection_failed", _("the connection to the endpoint failed or dropped")
    if code == "incomplete" and not result.text:
        return "not_streaming", _(
            "the endpoint did not stream: a request with stream=true gave no tokens "
            "(it must speak OpenAI's streamed chat completions)"
        )
    if code == "incomplete":
        return "incomplete", _("the stream ended early, without a finish reason")
    if code:
        return "bad_response", _("the endpoint's reply is not an OpenAI chat completion stream")
    if not result.text:
        return "empty", _("the endpoint streamed no text")
    return "", ""
