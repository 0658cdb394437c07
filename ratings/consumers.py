"""Live leaderboard updates: every open leaderboard page hears about new snapshots."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ratings.services import LEADERBOARD_GROUP


class LeaderboardConsumer(AsyncJsonWebsocketConsumer):
    """Public, send-only: leaderboards are public, so no login is needed."""

    async def connect(self):
        await self.channel_layer.group_add(LEADERBOARD_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(LEADERBOARD_GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Nothing to say to the server: every frame is ignored unread. Decoding it
        # (as AsyncJsonWebsocketConsumer does) let a binary, non-JSON or deeply
        # nested frame raise and close this public socket with 1011.
        pass

    async def leaderboard_snapshot(self, event):
        await self.send_json(
            {
                "type": "snapshot",
                "category": event["category"],
                "language": event["language"],
                "vote_count": event["vote_count"],
                "snapshots": event["snapshots"],
            }
        )
