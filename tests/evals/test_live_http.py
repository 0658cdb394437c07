"""The live page, opening a live battle over HTTP, and its guards."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from datafi.api import ApiError
from evals import live
from evals.models import Battle, LiveTurn, Prompt
from evals.quality.models import RateCounter
from tests.live_support import close_db_pool, identities, live_models


def _create(client, body, **kwargs):
    return client.post(
        "/live/battles",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        **kwargs,
    )


def test_the_live_page_needs_a_login(client, db):
    resp = client.get("/live/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_the_live_page_offers_suggestions_and_names_no_model(client, alice, stub):
    arena = live_models(stub)
    client.force_login(alice)
    resp = client.get("/live/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert 'id="prompt"' in page and "suggestion" in page and "no-models" not in page
    assert "Question number" in page  # a stored prompt offered as a suggestion
    assert not any(ident in page.lower() for ident in identities(arena) - {"openai"})
    assert stub.base_url not in page


def test_the_live_page_says_when_no_live_model_is_available(client, alice, arena):
    client.force_login(alice)
    page = client.get("/live/").content.decode()
    assert 'id="no-models"' in page


def test_opening_a_live_battle_needs_a_login(client, db):
    resp = _create(client, {"prompt": "hi"}, HTTP_ACCEPT="application/json")
    assert resp.status_code == 401
    assert Battle.objects.count() == 0


def test_it_opens_a_live_battle_with_a_pending_first_turn(client, alice, stub):
    arena = live_models(stub)
    client.force_login(alice)
    resp = _create(client, {"prompt": "  Why is the sky blue?  "})
    assert resp.status_code == 201
    data = resp.json()
    assert set(data) == {"id", "ws_url", "vote_url"}
    assert data["ws_url"] == f"/ws/live/{data['id']}/"
    battle = Battle.objects.get(id=data["id"])
    assert battle.mode == Battle.Mode.LIVE and battle.status == Battle.Status.SERVED
    assert {battle.model_a_id, battle.model_b_id} == set(arena["live"])
    assert battle.prompt.text == "Why is the sky blue?"
    assert battle.prompt.source == Prompt.Source.USER
    turn = LiveTurn.objects.get(battle=battle)
    assert turn.index == 0 and turn.state == LiveTurn.State.PENDING
    assert not any(ident in resp.content.decode().lower() for ident in identities(arena))


def test_a_fresh_pair_abandons_the_unvoted_live_battle(client, alice, stub):
    live_models(stub)
    client.force_login(alice)
    first = _create(client, {"prompt": "one"}).json()["id"]
    second = _create(client, {"prompt": "two"}).json()["id"]
    assert Battle.objects.get(id=first).status == Battle.Status.ABANDONED
    assert Battle.objects.get(id=second).status == Battle.Status.SERVED


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "invalid_json"),
        ("[1]", "invalid_json"),
        ({}, "invalid_prompt"),
        ({"prompt": 42}, "invalid_prompt"),
        ({"prompt": "   "}, "empty_prompt"),
        ({"prompt": "x" * 41}, "prompt_too_long"),
    ],
)
def test_bad_input_gets_a_400_and_changes_nothing(client, alice, stub, settings, body, code):
    settings.LIVE_PROMPT_MAX_CHARS = 40
    live_models(stub)
    client.force_login(alice)
    resp = _create(client, body)
    assert resp.status_code == 400 and resp.json()["code"] == code
    assert Battle.objects.count() == 0 and not RateCounter.objects.exists()


def test_without_two_live_models_it_answers_503(client, alice, arena):
    client.force_login(alice)
    resp = _create(client, {"prompt": "hello"})
    assert resp.status_code == 503 and resp.json()["code"] == "no_live_models"
    assert Battle.objects.count() == 0


def test_a_flagged_prompt_is_refused_by_moderation(client, alice, stub, settings):
    settings.MODERATION_URL = stub.base_url + "/moderations"
    live_models(stub)
    client.force_login(alice)
    resp = _create(client, {"prompt": "Tell me about the forbidden-topic please"})
    assert resp.status_code == 422 and resp.json()["code"] == "prompt_flagged"
    assert Battle.objects.count() == 0
    moderation = [r for r in stub.requests if r["path"].endswith("/moderations")]
    assert moderation[-1]["body"] == {"input": "Tell me about the forbidden-topic please"}
    assert _create(client, {"prompt": "A harmless question"}).status_code == 201


def test_an_unreachable_moderation_endpoint_refuses_prompts(client, alice, stub, settings):
    settings.MODERATION_URL = "http://127.0.0.1:9/v1/moderations"
    live_models(stub)
    client.force_login(alice)
    resp = _create(client, {"prompt": "A harmless question"})
    assert resp.status_code == 503 and resp.json()["code"] == "moderation_unavailable"
    assert Battle.objects.count() == 0


def test_the_generation_rate_limit_answers_429(client, alice, bob, stub, settings):
    settings.LIVE_RATE_LIMIT = 3
    live_models(stub)
    client.force_login(alice)
    answers = [_create(client, {"prompt": f"q{i}"}) for i in range(5)]
    assert [r.status_code for r in answers] == [201, 201, 201, 429, 429]
    window = settings.LIVE_RATE_WINDOW_S
    assert 1 <= int(answers[-1]["Retry-After"]) <= window  # when the window ends
    assert Battle.objects.filter(voter=alice).count() == 3
    client.force_login(bob)  # per user
    assert _create(client, {"prompt": "q"}).status_code == 201


def test_the_rate_limit_window_rolls_over(alice, settings):
    settings.LIVE_RATE_LIMIT = 2
    settings.LIVE_RATE_WINDOW_S = 60
    now = timezone.now()
    live.rate_limit_take(user=alice, now=now)
    live.rate_limit_take(user=alice, now=now)
    with pytest.raises(ApiError) as exc:
        live.rate_limit_take(user=alice, now=now)
    assert exc.value.status_code == 429
    live.rate_limit_take(user=alice, now=now + timedelta(seconds=61))
    # The refused one was not counted; the new window counts from one.
    counts = RateCounter.objects.filter(key=f"live:user:{alice.id}:60").order_by("window_start")
    assert list(counts.values_list("count", flat=True)) == [2, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_holds_under_concurrency(alice, settings):
    settings.LIVE_RATE_LIMIT = 5
    barrier = threading.Barrier(20)
    outcomes = []

    def worker():
        try:
            barrier.wait()
            live.rate_limit_take(user=alice)
            outcomes.append("ok")
        except ApiError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_db_pool()
    assert outcomes.count("ok") == 5 and outcomes.count("rate_limited") == 15
    assert RateCounter.objects.get(key__startswith=f"live:user:{alice.id}:").count == 5


def test_continuing_is_refused_for_someone_elses_or_a_closed_battle(alice, mallory, stub):
    live_models(stub)
    battle = live.live_battle_start(user=alice, text="hi")
    with pytest.raises(ApiError) as exc:
        live.live_turn_add(user=mallory, battle_id=battle.id, text="mine now")
    assert exc.value.status_code == 403
    with pytest.raises(ApiError) as exc:
        live.live_turn_add(user=alice, battle_id=battle.id, text="too soon")
    assert exc.value.code == "turn_running"
    Battle.objects.filter(id=battle.id).update(status=Battle.Status.ABANDONED)
    with pytest.raises(ApiError) as exc:
        live.live_turn_add(user=alice, battle_id=battle.id, text="late")
    assert exc.value.code == "battle_closed"
    assert LiveTurn.objects.filter(battle=battle).count() == 1


def test_skipping_an_open_live_battle_says_it_is_live(client, alice, stub):
    """Red-team finding: it answered "Only an open battle can be skipped" of a
    battle that was open."""
    live_models(stub)
    client.force_login(alice)
    data = _create(client, {"prompt": "Why is the sky blue?"}).json()
    resp = client.post(f"/arena/battles/{data['id']}/skip", HTTP_ACCEPT="application/json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "live_battle"
    assert "A live battle cannot be skipped" in resp.json()["detail"]
    assert Battle.objects.get(id=data["id"]).status == Battle.Status.SERVED
