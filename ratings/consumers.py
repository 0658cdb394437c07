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

    async def receive_json(self, content, **kwargs):
        pass  # nothing to say to the server

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
