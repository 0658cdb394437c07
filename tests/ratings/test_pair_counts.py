"""Pair counts and per-vote outcomes are kept in the vote's own transaction."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evals import services
from evals.models import Battle, Vote
from ratings import selectors
from ratings import services as ratings_services
from ratings.models import BattleOutcome, PairCount, RefreshRequest
from tests.ratings.conftest import cast_votes


def _pair(battle):
    lo, hi = sorted([battle.model_a_id, battle.model_b_id])
    return PairCount.objects.get(
        model_lo_id=lo,
        model_hi_id=hi,
        category=battle.prompt.category,
        language=battle.prompt.language,
    )


@pytest.mark.parametrize(
    "choice,field_for_a",
    [("model_a", "wins_a"), ("model_b", "wins_b"), ("tie", "ties"), ("both_bad", "both_bad")],
)
def test_it_counts_each_verdict_in_the_right_column(arena, alice, choice, field_for_a):
    battle = services.battle_serve(user=alice)
    services.vote_cast(user=alice, battle_id=battle.id, choice=choice)
    counts = selectors.pair_outcome_counts(
        model_a_id=battle.model_a_id, model_b_id=battle.model_b_id
    )
    assert counts == {"wins_a": 0, "wins_b": 0, "ties": 0, "both_bad": 0} | {field_for_a: 1}
    # The same counts seen from the other side are mirrored.
    flipped = selectors.pair_outcome_counts(
        model_a_id=battle.model_b_id, model_b_id=battle.model_a_id
    )
    assert (flipped["wins_a"], flipped["wins_b"]) == (counts["wins_b"], counts["wins_a"])
    row = _pair(battle)
    assert row.wins_lo + row.wins_hi + row.ties + row.both_bad == 1
    outcome = BattleOutcome.objects.get(battle_id=battle.id)
    assert outcome.choice == choice
    assert (outcome.category, outcome.language) == (battle.prompt.category, battle.prompt.language)
    # The demo answers' style features were extracted from the answer text.
    assert outcome.length_a > 0 and outcome.length_b > 0 and outcome.bold_a == 0


def test_it_marks_the_four_slices_of_the_vote_dirty(arena, alice):
    battle = services.battle_serve(user=alice)
    services.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    cat, lang = battle.prompt.category, battle.prompt.language
    dirty = set(
        RefreshRequest.objects.filter(dirty_since__isnull=False).values_list("category", "language")
    )
    assert dirty == {("", ""), (cat, ""), ("", lang), (cat, lang)}


def test_counts_roll_back_with_a_failed_vote(arena, alice):
    battle = services.battle_serve(user=alice)
    with (
        mock.patch.object(ratings_services, "_mark_dirty", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        services.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    assert not PairCount.objects.exists()
    assert not BattleOutcome.objects.exists()
    assert not Vote.objects.exists()
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED


def test_a_vote_stays_a_handful_of_queries(arena, alice):
    # Steady state: vote until the served battle's pair already has a row in
    # its slice (the first vote of a pair also creates the row).
    while True:
        battle = services.battle_serve(user=alice)
        lo, hi = sorted([battle.model_a_id, battle.model_b_id])
        if PairCount.objects.filter(
            model_lo_id=lo,
            model_hi_id=hi,
            category=battle.prompt.category,
            language=battle.prompt.language,
        ).exists():
            break
        services.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    with CaptureQueriesContext(connection) as ctx:
        services.vote_cast(user=alice, battle_id=battle.id, choice="tie")
    ours = [q["sql"] for q in ctx.captured_queries if "ratings_" in q["sql"]]
    # The pair increment, the outcome insert, the dirty-flag update and its
    # insert-if-missing. The slice and the answer texts come with the battle row
    # that the vote locks: no read of its own.
    assert len(ours) == 4, ours
    # 10 for the vote and its ratings hook, 8 for the voter's ledger credit.
    assert len(ctx.captured_queries) == 10 + 8, [q["sql"] for q in ctx.captured_queries]


def test_retracting_a_vote_takes_it_out_once(arena, alice):
    [(battle, choice)] = cast_votes(alice, 1, choose=lambda b: "model_b")
    RefreshRequest.objects.update(dirty_since=None)
    assert ratings_services.battle_outcome_retract(battle=battle, choice="model_b") is True
    assert ratings_services.battle_outcome_retract(battle=battle, choice="model_b") is False
    assert selectors.pair_outcome_counts(
        model_a_id=battle.model_a_id, model_b_id=battle.model_b_id
    ) == {"wins_a": 0, "wins_b": 0, "ties": 0, "both_bad": 0}
    assert not BattleOutcome.objects.exists()
    assert RefreshRequest.objects.filter(dirty_since__isnull=False).count() == 4


def test_retracting_with_the_wrong_choice_changes_nothing(arena, alice):
    [(battle, _)] = cast_votes(alice, 1, choose=lambda b: "tie")
    with pytest.raises(ValueError, match="counted as 'tie'"):
        ratings_services.battle_outcome_retract(battle=battle, choice="model_a")
    assert BattleOutcome.objects.count() == 1
    assert _pair(battle).ties == 1


def test_rebuild_matches_the_incremental_counts_and_leaves_out_excluded_battles(arena, alice):
    votes = cast_votes(alice, 30, seed=3)

    def snapshot():
        return sorted(
            PairCount.objects.values_list(
                "model_lo_id",
                "model_hi_id",
                "category",
                "language",
                "wins_lo",
                "wins_hi",
                "ties",
                "both_bad",
            )
        ), sorted(BattleOutcome.objects.values_list("battle_id", "choice", "length_a", "bold_b"))

    before = snapshot()
    assert ratings_services.pair_counts_rebuild() == 30
    assert snapshot() == before
    # Excluded after the fact (what the quality work does): retract, then a
    # rebuild agrees with the retraction.
    battle, choice = votes[0]
    Battle.objects.filter(id=battle.id).update(excluded=True, exclusion_reason="leak")
    ratings_services.battle_outcome_retract(battle=battle, choice=choice)
    after_retract = snapshot()
    assert ratings_services.pair_counts_rebuild() == 29
    assert [r for r in snapshot()[0] if sum(r[4:])] == [r for r in after_retract[0] if sum(r[4:])]
    assert snapshot()[1] == after_retract[1]
