"""Live balance over the websocket: one group per user, fed by ledger events on commit."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

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

    async def receive_json(self, content, **kwargs):
        # Clients only listen; a ping gets the current balance back.
        await self._send_balance()

    async def rewards_changed(self, event):
        await self._send_balance()

    async def _send_balance(self):
        balance = await database_sync_to_async(balances_for)(self.scope["user"])
        await self.send_json({"type": "balance", **balance.as_dict()})
