"""Talking to OpenAI-compatible endpoints: one streamed answer, and two at once.

Nothing here touches the database inside a transaction: a generation only
reads its plan before and hands its results back; callers record them in
short transactions afterwards (see evals.live).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import openai
from asgiref.sync import sync_to_async
from openai import AsyncOpenAI

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
