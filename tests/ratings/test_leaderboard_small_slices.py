"""A slice with a single vote: sane numbers, a real interval, and "1 vote"."""

from ratings import selectors
from tests.ratings.conftest import cast_votes


def test_a_one_vote_board_shows_sane_scores_and_says_1_vote(arena, alice, refresh, client):
    cast_votes(alice, 1, choose=lambda battle: "model_a", seed=2)
    refresh()
    snap = selectors.leaderboard_latest()
    assert snap.vote_count == 1
    # Without the prior this was 2,044 against -44 with zero-width intervals.
    for row in snap.rows:
        assert 800 < row["score"] < 1200
        assert row["upper"] - row["lower"] > 200
    assert [r["rank"] for r in snap.rows] == [1, 1]
    assert "400 rating points" in snap.meta["prior"]
    assert snap.meta["params"]["prior_sd"] == 400
    body = client.get("/leaderboard/").content.decode()
    assert "<strong>1</strong> vote · 2 models" in body
    assert "1 votes" not in body
    assert "400 rating points" in body
