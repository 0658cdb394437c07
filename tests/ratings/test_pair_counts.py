"""Pair counts and per-vote outcomes are folded in after the vote commits, in the
same transaction as the vote's other consequences (reliability, points)."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datafi.flows import fold
from evals import services
from evals.models import Battle, Vote
from evals.quality.models import BattleSampling
from ratings import selectors
from ratings import services as ratings_services
from ratings.models import BattleOutcome, PairCount, RefreshRequest
from rewards.models import LedgerTransaction
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
    fold.vote_cast(user=alice, battle_id=battle.id, choice=choice)
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
    fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    cat, lang = battle.prompt.category, battle.prompt.language
    dirty = set(
        RefreshRequest.objects.filter(dirty_since__isnull=False).values_list("category", "language")
    )
    assert dirty == {("", ""), (cat, ""), ("", lang), (cat, lang)}


def test_a_failed_fold_leaves_the_vote_queued_and_a_later_fold_counts_it_once(arena, alice):
    battle = services.battle_serve(user=alice)
    with mock.patch.object(ratings_services, "_mark_dirty", side_effect=RuntimeError("boom")):
        reveal = fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    # The vote is committed and revealed; nothing it causes is, yet.
    assert reveal.vote.choice == "model_a"
    vote = Vote.objects.get(battle=battle)
    assert vote.folded_at is None
    battle.refresh_from_db()
    assert battle.status == Battle.Status.REVEALED
    assert not PairCount.objects.exists()
    assert not BattleOutcome.objects.exists()
    assert not LedgerTransaction.objects.exists()
    assert services.votes_unfolded() == 1
    # The next fold (a worker, the server's background pass) counts it, once.
    assert fold.votes_fold() == 1
    assert fold.votes_fold() == 0
    assert services.votes_unfolded() == 0
    assert _pair(battle).wins_lo + _pair(battle).wins_hi == 1
    assert BattleOutcome.objects.filter(battle_id=battle.id).count() == 1
    assert LedgerTransaction.objects.filter(source_key=f"vote:{battle.id}").count() == 1


def test_a_vote_stays_a_handful_of_queries(arena, alice, settings):
    # Steady state: vote until the served battle's pair already has a row in
    # its slice and the voter has a reliability row and an account; not a
    # gold battle (its vote is excluded, and retracted, once assessed).
    while True:
        battle = services.battle_serve(user=alice)
        gold = BattleSampling.objects.filter(battle=battle, gold_pair__isnull=False).exists()
        if (
            not gold
            and PairCount.objects.filter(
                model_lo_id=min(battle.model_a_id, battle.model_b_id),
                model_hi_id=max(battle.model_a_id, battle.model_b_id),
                category=battle.prompt.category,
                language=battle.prompt.language,
            ).exists()
        ):
            break
        fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    # The whole path, limits and reliability included (alice's one-sided votes
    # above were not assessed: one assessed vote cannot exclude her).
    settings.QUALITY_DEFENCES = True
    # Votes here follow their battle within milliseconds: no person could,
    # and such a vote is excluded (tested in test_quality_speed); this test
    # measures a vote that counts.
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0
    with CaptureQueriesContext(connection) as ctx:
        services.vote_record(user=alice, battle_id=battle.id, choice="tie")
    # The vote request: the conditional flip of the battle (which locks it),
    # the rate counters, the vote. The reveal's model names come from the
    # process's copy of the models table (loaded by the votes above).
    assert len(ctx.captured_queries) == 3 + 2, [q["sql"][:60] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as ctx:
        assert fold.votes_fold() == 1
    ours = [q["sql"] for q in ctx.captured_queries if "ratings_" in q["sql"]]
    # The pair counts' upsert, the outcome insert, the dirty-flag update and
    # its insert-if-missing; the reliability fold reads the pair's history.
    assert len(ours) == 5, "\n".join(sql[:150] for sql in ours)
    # The claim; 5 for the reliability rows and what their assessment reads
    # (which exist, create the missing one: alice's votes above were not
    # assessed, so this is her first row; lock, the pairs' history, the
    # ratings' version); the
    # sampler's pair stat; 4 for the ratings; the reliability save; 8 for the
    # credit (which accounts exist, lock, the issuance account, already booked?,
    # earned today, the transaction, its entries, the balance); the folded
    # mark; the savepoint around it all (a transaction outside tests).
    assert len(ctx.captured_queries) == 1 + 5 + 1 + 4 + 1 + 8 + 1 + 2, [
        q["sql"][:70] for q in ctx.captured_queries
    ]


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


def test_an_answer_edited_after_a_vote_is_measured_afresh_by_the_next_count(arena, alice):
    # The fold keeps each answer's style features by its id and its text: an
    # edited text is measured again, never read from what the old one gave.
    from evals.models import Answer

    battle = services.battle_serve(user=alice)
    fold.vote_cast(user=alice, battle_id=battle.id, choice="tie")
    first = BattleOutcome.objects.get(battle_id=battle.id)
    assert (first.headers_a, first.bold_a) == (0, 0)
    Answer.objects.filter(pk=battle.answer_a_id).update(
        text="# One\n\n## Two\n\n**a** and **b** and **c**"
    )
    assert ratings_services.pair_counts_rebuild() == 1
    again = BattleOutcome.objects.get(battle_id=battle.id)
    assert (again.headers_a, again.bold_a) == (2, 3)
    assert (again.length_b, again.bold_b) == (first.length_b, first.bold_b)
