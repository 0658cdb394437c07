"""The reveal tells the voter what their vote earned, or why it earned less."""

import pytest
from django.test import override_settings

from datafi.flows import fold
from evals import selectors, services
from evals.quality.simulate import simulated_time
from rewards.services.ledger import balances_for
from tests.evals.quality_support import cast, clock


def _serve_read_and_vote(client, user, choice="model_a"):
    """Serve a battle, take 20 s to read it (a test clock), vote through the JSON endpoint."""
    c = clock()
    with simulated_time(c):
        battle = services.battle_serve(user=user)
        c.advance(20_000)
        resp = client.post(
            battle_vote_url(battle),
            data={"choice": choice},
            content_type="application/json",
            HTTP_ACCEPT="application/json",
        )
    return battle, resp


def battle_vote_url(battle):
    return f"/arena/battles/{battle.id}/vote"


def test_it_shows_the_points_a_vote_earned_in_the_reveal(arena, alice, client):
    client.force_login(alice)
    battle, resp = _serve_read_and_vote(client, alice)
    assert resp.status_code == 200
    outcome = resp.json()["reveal"]["outcome"]
    assert outcome == {
        "state": "folded",
        "points": 10,
        "weight": 1.0,
        "counted": True,
        "reason": "",
    }
    assert balances_for(alice).available == 10
    page = client.get(f"/arena/battles/{battle.id}/").content.decode()
    assert "+10 points" in page


@override_settings(REWARD_DAILY_CAP=15)
def test_it_explains_in_plain_words_when_the_daily_limit_cuts_the_points(arena, alice):
    c = clock()
    first = cast(alice, c, seconds=20).as_dict()["outcome"]
    second = cast(alice, c, seconds=20).as_dict()["outcome"]
    third = cast(alice, c, seconds=20).as_dict()["outcome"]
    assert first["points"] == 10 and first["reason"] == ""
    assert second["points"] == 5 and "today's limit of 15 points" in second["reason"]
    assert third["points"] == 0 and "votes earn again after midnight UTC" in third["reason"]


def test_it_says_why_a_flagged_voters_vote_earns_nothing(arena, mallory):
    c = clock()
    for _ in range(12):
        reveal = cast(mallory, c, seconds=0.4)
    first = selectors.my_votes_page(user=mallory)["rows"][-1]["outcome"]
    assert "faster than anyone can look at two answers" in first.reason
    # Red-team finding: it went on to blame a reliability score at its lowest.
    assert "reliability" not in first.reason
    outcome = reveal.as_dict()["outcome"]
    assert outcome["points"] == 0 and outcome["counted"] is False
    assert "It does not count: you cast it while your account was flagged." in outcome["reason"]
    assert "ask for a review" in outcome["reason"]


@override_settings(VOTE_FOLD="deferred")
def test_with_a_deferred_fold_the_reveal_says_the_points_are_pending(arena, alice, client):
    client.force_login(alice)
    battle, resp = _serve_read_and_vote(client, alice)
    outcome = resp.json()["reveal"]["outcome"]
    assert outcome["state"] == "pending" and outcome["points"] == 0
    assert "Points pending" in client.get(f"/arena/battles/{battle.id}/").content.decode()
    assert fold.votes_fold() == 1
    page = client.get(f"/arena/battles/{battle.id}/").content.decode()
    assert "+10 points" in page, page[page.find('id="reveal-points"') - 100 :][:600]


@pytest.mark.parametrize("flagged", [False, True])
def test_the_arena_shows_a_flag_with_what_it_means_and_what_to_do(arena, mallory, client, flagged):
    if flagged:
        c = clock()
        for _ in range(12):
            cast(mallory, c, seconds=0.4)
    client.force_login(mallory)
    page = client.get("/arena/").content.decode()
    assert ("Your account is flagged" in page) is flagged
    assert ("Votes faster than anyone can look at two answers" in page) is flagged
    assert ("Ask for a review" in page) is flagged


@override_settings(REWARD_DAILY_CAP=15)
def test_a_capped_vote_of_an_earlier_day_names_that_day_not_today(arena, alice):
    """My votes on a later day: the limit that held a vote back is its own day's
    (the test clock votes on 5 May 2025; the page is read today)."""
    from django.utils import translation

    c = clock()
    cast(alice, c, seconds=20)
    second = cast(alice, c, seconds=20).as_dict()["outcome"]
    cast(alice, c, seconds=20)
    assert "today's limit" in second["reason"]  # the reveal, on the day itself
    with translation.override("en"):
        rows = selectors.my_votes_page(user=alice)["rows"]
    newest, middle = rows[0]["outcome"], rows[1]["outcome"]
    assert (newest.points, middle.points) == (0, 5)
    for outcome in (newest, middle):
        assert "today" not in outcome.reason
        assert "May 5, 2025 (UTC), the day of this vote" in outcome.reason
    assert newest.reason.startswith("The limit of 15 points a day was already reached")
    assert middle.reason.startswith("Only 5 fit under the limit of 15 points a day")


def test_a_too_fast_vote_is_not_blamed_on_the_reliability_score():
    from evals.quality.services import IMPOSSIBLE_REASON

    outcome = selectors.VoteOutcome.of(
        points=0, weight=0.0, excluded=True, exclusion_reason=f"{IMPOSSIBLE_REASON}: 180 ms"
    )
    assert "faster than anyone can look at two answers" in outcome.reason
    assert "reliability" not in outcome.reason
    unreliable = selectors.VoteOutcome.of(points=0, weight=0.0, excluded=False, exclusion_reason="")
    assert "reliability score is at the lowest level" in unreliable.reason
