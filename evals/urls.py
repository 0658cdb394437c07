from django.urls import path

from evals import views

urlpatterns = [
    path("arena/", views.arena, name="arena"),
    path("arena/battles/<uuid:battle_id>/", views.battle_detail, name="battle-detail"),
    path("arena/battles/<uuid:battle_id>/vote", views.battle_vote, name="battle-vote"),
    path("arena/battles/<uuid:battle_id>/skip", views.battle_skip, name="battle-skip"),
    path("votes/", views.my_votes, name="my-votes"),
    path("arena/languages/", views.voter_languages, name="voter-languages"),
    path("votes/appeal", views.appeal_create, name="appeal-create"),
    path("api/arena/next", views.api_next_battle, name="api-arena-next"),
]
