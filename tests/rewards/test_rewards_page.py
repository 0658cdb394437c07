"""Rewards where the voter looks (issue #11): the day's progress toward the cap,
history lines that name the prompt and link to the vote, and the websocket frame
that feeds the header badge."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from datafi.flows import fold
from evals import services
from evals.quality.simulate import SimClock, simulated_time
from tests.test_origin import open_rewards_socket

pytestmark = pytest.mark.django_db


def _vote(user):
    """A vote after 20 s of reading (a sub-second vote is excluded), cast a minute ago."""
    clock = SimClock(timezone.now() - timedelta(minutes=1))
    with simulated_time(clock):
        battle = services.battle_serve(user=user)
        clock.advance(20_000)
        fold.vote_cast(user=user, battle_id=battle.id, choice="model_a")
    return battle


def test_history_lines_name_the_prompt_and_link_to_the_vote_not_a_uuid(client, arena, alice):
    battle = _vote(alice)
    client.force_login(alice)
    summary = client.get("/api/rewards/summary").json()
    [line] = summary["history"]
    assert line["amount"] == 10
    assert line["url"] == f"/votes/#battle-{battle.id}"
    assert battle.prompt.text.startswith("Question number") and "**" in battle.prompt.text
    assert line["prompt"].startswith("Question number") and "**" not in line["prompt"]
    assert str(battle.id) not in line["memo"] and line["prompt"] in line["memo"]


def test_a_history_line_without_a_battle_says_it_was_for_a_vote(client, alice):
    from tests.rewards.conftest import award

    award(alice, 10)  # a credit whose battle is not in the arena (none found)
    client.force_login(alice)
    [line] = client.get("/api/rewards/summary").json()["history"]
    assert (line["url"], line["memo"]) == (None, "Points for a vote")


def test_the_rewards_page_shows_the_days_progress_toward_the_cap(client, arena, alice, settings):
    settings.REWARD_DAILY_CAP = 25
    _vote(alice)
    client.force_login(alice)
    html = client.get("/rewards/").content.decode()
    assert re.search(r'id="today-earned">10<', html)
    assert re.search(r'id="today-cap">25<', html)
    assert 'id="today-progress" max="25" value="10"' in html
    today = client.get("/api/rewards/summary").json()["today"]
    assert today["earned"] == 10 and today["cap"] == 25


def test_the_day_at_the_cap_says_votes_still_count(client, arena, alice, settings):
    settings.REWARD_DAILY_CAP = 10
    _vote(alice)
    client.force_login(alice)
    html = client.get("/rewards/").content.decode()
    assert "You reached today's cap" in html


def test_the_rewards_page_needs_a_log_in(client):
    resp = client.get("/rewards/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.django_db(transaction=True)
def test_the_websocket_frame_carries_the_days_progress_for_the_header(arena, alice, settings):
    settings.REWARD_DAILY_CAP = 40
    _vote(alice)
    frame = open_rewards_socket(alice, "http://127.0.0.1:8000")
    assert frame["type"] == "balance" and frame["available"] == 10
    assert frame["today"]["earned"] == 10 and frame["today"]["cap"] == 40


def test_every_authenticated_page_carries_the_header_badge(client, alice):
    client.force_login(alice)
    html = client.get("/leaderboard/").content.decode()
    assert 'id="header-balance"' in html and "/static/js/header.js" in html
    client.logout()
    assert 'id="header-balance"' not in client.get("/leaderboard/").content.decode()
