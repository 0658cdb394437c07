"""Websocket routes of every app, gathered in one place."""

from django.urls import path

from evals.consumers import LiveBattleConsumer
from ratings.consumers import LeaderboardConsumer
from rewards.consumers import RewardsConsumer

websocket_urlpatterns: list = [
    path("ws/live/<uuid:battle_id>/", LiveBattleConsumer.as_asgi()),
    path("ws/rewards/", RewardsConsumer.as_asgi()),
    path("ws/leaderboard/", LeaderboardConsumer.as_asgi()),
]
