"""Live events over the channel layer, sent only once the transaction commits.

Following Zulip: an event about a write must never reach a browser before the
write is durable (or if it rolls back), so every sender goes through
``send_on_commit``.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def group_send_now(group: str, message: dict) -> None:
    """Send to a channel-layer group; a broken layer is logged, never raised."""
    group_send_many_now([(group, message)])


def send_on_commit(group: str, message: dict) -> None:
    """Queue a group message to go out after the current transaction commits."""
    transaction.on_commit(lambda: group_send_now(group, message))


def group_send_many_now(messages: list[tuple[str, dict]]) -> None:
    """Send several group messages in one trip through the event loop (each
    ``async_to_sync`` call starts one); a broken layer is logged, never raised."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all():
        for group, message in messages:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:  # the writes already committed; lost live updates are harmless
        log.exception("channel layer send of %d messages failed", len(messages))


def send_many_on_commit(messages: list[tuple[str, dict]]) -> None:
    """Queue group messages to go out together after the current transaction commits."""
    messages = list(messages)
    transaction.on_commit(lambda: group_send_many_now(messages))
