from django.urls import path

from evals import views

urlpatterns = [
    path("arena/", views.arena, name="arena"),
    path("arena/battles/<uuid:battle_id>/", views.battle_detail, name="battle-detail"),
    path("arena/battles/<uuid:battle_id>/vote", views.battle_vote, name="battle-vote"),
    path("api/arena/next", views.api_next_battle, name="api-arena-next"),
]
