"""Live-typed prompts that everyone types count a bounded number of times."""

from evals.models import Prompt
from ratings import selectors, services
from tests.ratings.conftest import cast_votes, strongest_wins


def _make_live_typed(battles, text):
    # The votes go through the real serve / vote path; only their prompts are
    # then marked as typed by voters (the live path needs model endpoints,
    # which tests/evals/test_live_* exercise). Same text up to case and spaces.
    ids = {b.prompt_id for b, _ in battles}
    for k, pid in enumerate(sorted(ids)):
        Prompt.objects.filter(id=pid).update(
            source=Prompt.Source.USER, text=f"  {text.upper() if k % 2 else text} "
        )


def test_a_prompt_typed_over_and_over_counts_at_most_the_cap(arena, alice, refresh, settings):
    settings.RATINGS_PROMPT_CAP = 5
    order = [m.id for m in arena["models"]]
    battles = cast_votes(alice, 16, choose=strongest_wins(order), seed=3)
    _make_live_typed(battles, "hi")
    services.pair_counts_rebuild()
    refresh()
    for method in ("bt", "style", "elo"):
        snap = selectors.leaderboard_latest(method=method)
        assert snap.vote_count == 5, method
    bt = selectors.leaderboard_latest()
    assert bt.meta["prompt_cap"] == {"cap": 5, "votes_left_out": 11}
    assert sum(r["votes"] for r in bt.rows) == 2 * 5


def test_without_a_cap_every_vote_counts(arena, alice, refresh, settings):
    settings.RATINGS_PROMPT_CAP = 0
    battles = cast_votes(alice, 8, seed=4)
    _make_live_typed(battles, "hi")
    services.pair_counts_rebuild()
    refresh()
    assert selectors.leaderboard_latest().vote_count == 8
