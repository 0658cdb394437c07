from django.urls import path

from evals import live_views

urlpatterns = [
    path("live/", live_views.live_page, name="live"),
    path("live/battles", live_views.live_battle_create, name="live-battle-create"),
]
