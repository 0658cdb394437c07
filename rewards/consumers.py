"""Live balance over the websocket: one group per user, fed by ledger events on commit."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from datafi.api import scope_language, websocket_frame
from datafi.input import InputError
from rewards.selectors import daily_progress
from rewards.services.ledger import balances_for, user_group


class RewardsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send_balance()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Clients only listen; a ping gets the current balance back. A frame that
        # breaks the input layer's rules (binary, not JSON, nested too deep) gets an
        # error frame: it used to raise, and the socket closed with 1011.
        try:
            with translation.override(scope_language(self.scope)):
                content = websocket_frame(text_data)
        except InputError as exc:
            await self.send_json({"type": "error", "code": "bad_message", "detail": exc.detail})
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        await self._send_balance()

    async def rewards_changed(self, event):
        await self._send_balance()

    async def _send_balance(self):
        await self.send_json(await database_sync_to_async(_balance_frame)(self.scope["user"]))


def _balance_frame(user) -> dict:
    # One frame for the header badge and the rewards page: the balance and the
    # day's progress toward the cap, so that a vote's credit shows in both.
    return {"type": "balance", **balances_for(user).as_dict(), "today": daily_progress(user=user)}
