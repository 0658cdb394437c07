"""The public sampling-fairness figures never tell anyone which models an open battle holds.

Three places publish them: ``/api/v1/fairness``, ``/api/quality/fairness`` and
``/quality/fairness/``. Each is read before and after a voter fetches a battle.
"""

import pytest
from django.test import Client

from datafi.flows import fold
from evals import services
from evals.models import Battle
from tests.live_support import live_models, start_battle, stub  # noqa: F401


def _figures() -> dict:
    """Seats per model today, as each of the three public places shows them."""
    anonymous = Client()
    v1 = anonymous.get("/api/v1/fairness?days=1")
    quality = anonymous.get("/api/quality/fairness?days=1")
    page = anonymous.get("/quality/fairness/?days=1")
    assert v1.status_code == quality.status_code == page.status_code == 200
    (v1_day,) = v1.json()["days"]
    (quality_day,) = quality.json()["days"]
    (page_day,) = page.context["days"]

    def seats(day, key):
        return (day["battles"], {m["model"]: m[key] for m in day["models"]})

    return {
        "v1": seats(v1_day, "battles"),
        "quality": seats(quality_day, "seats"),
        "page": seats(page_day, "seats"),
    }


def test_it_does_not_change_when_a_voter_fetches_a_battle(client, arena, alice, bob):
    # Some voted battles already, so that the figures are not empty.
    for _ in range(2):
        battle = services.battle_serve(user=bob)
        fold.vote_cast(user=bob, battle_id=battle.id, choice="tie")
    before = _figures()
    client.force_login(alice)
    resp = client.get("/api/arena/next")
    assert resp.status_code == 200
    assert _figures() == before


def test_it_counts_the_battle_once_it_is_voted_on(client, arena, alice):
    client.force_login(alice)
    battle_id = client.get("/api/arena/next").json()["id"]
    assert _figures()["v1"] == (0, {})
    fold.vote_cast(user=alice, battle_id=battle_id, choice="model_a")
    battle = Battle.objects.select_related("model_a", "model_b").get(id=battle_id)
    pair = {battle.model_a.slug: 1, battle.model_b.slug: 1}
    assert _figures() == {"v1": (1, pair), "quality": (1, pair), "page": (1, pair)}


def test_it_does_not_count_a_battle_abandoned_right_after_it_was_served(stub, db, alice):  # noqa: F811
    live_models(stub)
    first = start_battle(alice)
    before = _figures()
    # A fresh live pair abandons the first battle at a moment the voter chose.
    start_battle(alice, prompt="Another question, please.")
    assert Battle.objects.get(id=first.id).status == Battle.Status.ABANDONED
    assert _figures() == before == {"v1": (0, {}), "quality": (0, {}), "page": (0, {})}


def test_it_states_what_it_counts_wherever_it_is_published(client, db):
    rule = "Only battles that have been voted on count"
    assert client.get("/api/v1/fairness?days=1").json()["rule"].startswith(rule)
    assert client.get("/api/quality/fairness?days=1").json()["rule"].startswith(rule)
    assert rule in client.get("/quality/fairness/?days=1").content.decode()


@pytest.mark.parametrize("path", ["/api/v1/fairness?days=1", "/api/quality/fairness?days=1"])
def test_it_counts_no_gold_or_other_battle_before_its_vote(client, arena, alice, path):
    services.battle_serve(user=alice)
    day = client.get(path).json()["days"][-1]
    assert day["battles"] == 0 and day["models"] == [] and day.get("gold_battles", 0) == 0
