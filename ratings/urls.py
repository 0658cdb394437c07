from django.urls import path

from ratings import api, views

urlpatterns = [
    path("leaderboard/", views.leaderboard_page, name="leaderboard"),
    path("leaderboard/leaderboard.csv", views.leaderboard_csv, name="leaderboard-csv"),
    path("api/v1/leaderboard", api.LeaderboardView.as_view(), name="api-leaderboard"),
    path(
        "api/v1/leaderboard/snapshots",
        api.LeaderboardSnapshotsView.as_view(),
        name="api-leaderboard-snapshots",
    ),
]
