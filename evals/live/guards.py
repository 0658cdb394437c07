"""Guards a live prompt passes before any model is called: its text, the
moderation hook and the per-user generation limit."""

import logging
from datetime import datetime

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from datafi.api import ApiError
from datafi.input import text_check
from evals.quality import limits

log = logging.getLogger(__name__)


def prompt_clean(text) -> str:
    """The prompt as it will be sent, or a 400 for empty / too long / not text."""
    if not isinstance(text, str):
        raise ApiError("invalid_prompt", _("prompt must be a string."))
    # The same rule as every HTTP input; websocket frames reach here too.
    text = text_check(text).strip()
    if not text:
        raise ApiError("empty_prompt", _("Type a prompt first."))
    if len(text) > settings.LIVE_PROMPT_MAX_CHARS:
        raise ApiError(
            "prompt_too_long",
            ngettext(
                "Prompts are limited to %(max)d character (this one has %(length)d).",
                "Prompts are limited to %(max)d characters (this one has %(length)d).",
                settings.LIVE_PROMPT_MAX_CHARS,
            )
            % {"max": settings.LIVE_PROMPT_MAX_CHARS, "length": len(text)},
        )
    return text


def moderation_check(text: str) -> None:
    """Ask the optional moderation endpoint; refuse flagged prompts.

    Fails closed: if the endpoint is set but cannot answer, the prompt is refused
    (503) rather than sent to the models unchecked.
    """
    url = settings.MODERATION_URL
    if not url:
        return
    headers = {}
    if settings.MODERATION_API_KEY:
        headers["Authorization"] = f"Bearer {settings.MODERATION_API_KEY}"
    try:
        resp = httpx.post(
            url, json={"input": text}, headers=headers, timeout=settings.MODERATION_TIMEOUT_S
        )
        resp.raise_for_status()
        results = resp.json().get("results") or []
        flagged = any(bool(r.get("flagged")) for r in results if isinstance(r, dict))
    except (httpx.HTTPError, ValueError, AttributeError):
        log.warning("moderation endpoint %s failed", url, exc_info=True)
        raise ApiError(
            "moderation_unavailable",
            _("Prompts cannot be checked right now; try again in a minute."),
            status_code=503,
        ) from None
    if flagged:
        raise ApiError(
            "prompt_flagged", _("This prompt was refused by moderation."), status_code=422
        )


def rate_limit_take(*, user, now: datetime | None = None) -> None:
    """Count one generation for ``user``; 429 once the window's limit is reached."""
    limits.generation_limit_consume(user_id=user.id, now=now or timezone.now())
