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
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the write already committed; a lost live update is harmless
        log.exception("channel layer send to %s failed", group)


def send_on_commit(group: str, message: dict) -> None:
    """Queue a group message to go out after the current transaction commits."""
    transaction.on_commit(lambda: group_send_now(group, message))
