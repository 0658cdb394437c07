"""The vote's fold: what a vote causes (pair counts, reliability, points),
folded in after the vote commits, in batches, each vote exactly once."""

import random
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from datafi.accounts.models import User
from datafi.flows import fold
from evals import services
from evals.models import Answer, Battle, PairStat, Vote
from evals.quality import selectors as quality_selectors
from evals.quality.models import VoterFlag, VoterReliability
from evals.quality.services import gold_pair_create
from ratings.models import BattleOutcome, PairCount
from rewards.models import Account, Entry, LedgerTransaction
from rewards.services import ledger
from tests.conftest import build_arena
from tests.evals.quality_support import cast, clock


def _state() -> dict:
    """Everything a fold writes, minus its own timestamps."""
    return {
        "reliability": sorted(
            VoterReliability.objects.values_list(
                "user_id",
                "votes",
                "gold_correct",
                "gold_total",
                "agree_weight",
                "agree_total",
                "fast_votes",
                "fisher_sum",
                "fisher_n",
                "fisher_min_p",
                "model_bias",
                "networks",
                "flags",
                "score",
                "excluded",
            )
        ),  # fmt: skip
        "flags": sorted(VoterFlag.objects.values_list("user_id", "reason")),
        # A row whose counts went back to zero counts nothing: one fold may
        # leave one where the other never wrote it (a vote queued behind its
        # voter's exclusion is skipped, or counted and retracted in one batch).
        "pair_counts": sorted(
            PairCount.objects.exclude(wins_lo=0, wins_hi=0, ties=0, both_bad=0).values_list(
                "model_lo_id",
                "model_hi_id",
                "category",
                "language",
                "wins_lo",
                "wins_hi",
                "ties",
                "both_bad",
            )
        ),  # fmt: skip
        "pair_stats": sorted(PairStat.objects.values_list("model_lo_id", "model_hi_id", "voted")),
        "outcomes": sorted(BattleOutcome.objects.values_list("battle_id", "choice")),
        "excluded": sorted(
            Battle.objects.filter(excluded=True).values_list("id", "exclusion_reason")
        ),
        "credits": sorted(
            Entry.objects.filter(account__kind=Account.Kind.AVAILABLE).values_list(
                "transaction__source_key", "account__user_id", "amount"
            )
        ),
        "balances": sorted(
            Account.objects.filter(user__isnull=False).values_list("user_id", "kind", "balance")
        ),
    }


def _voters(n: int) -> list[User]:
    return [User.objects.create_user(username=f"voter{i}", password=None) for i in range(n)]


def _cast_deferred(arena, voters, *, rounds: int, seed: int = 3):
    """Votes recorded but not folded: careful voters, a coin-tossing one, and
    one who votes faster than anyone reads (excluded part-way through)."""
    strength = {m.id: -i for i, m in enumerate(arena["models"])}

    def careful(battle):
        a, b = battle.answer_a.model_id, battle.answer_b.model_id
        return "model_a" if strength[a] > strength[b] else "model_b"

    rng = random.Random(seed)
    c = clock()
    for _ in range(rounds):
        for i, voter in enumerate(voters):
            if i == 0:
                cast(voter, c, seconds=0.3, choice="model_a", rng=rng, ip="198.51.100.7")
            elif i == 1:
                choice = rng.choice(["model_a", "model_b", "tie", "both_bad"])
                cast(voter, c, seconds=25, choice=choice, rng=rng, ip="203.0.113.9")
            else:
                cast(voter, c, seconds=25, choice=careful, rng=rng, ip=f"192.0.2.{i}")


def test_a_batch_folds_exactly_as_the_votes_would_one_at_a_time(db, monkeypatch, settings):
    arena = build_arena(prompts=12)
    models = arena["models"]
    for prompt in arena["prompts"][:4]:
        gold_pair_create(
            answer_better=Answer.objects.get(prompt=prompt, model=models[0]),
            answer_worse=Answer.objects.get(prompt=prompt, model=models[3]),
        )
    settings.QUALITY_GOLD_RATE = 0.2
    settings.VOTE_FOLD = "deferred"
    # Predictions come from the ratings, refitted as votes arrive: pin them, so
    # that both runs below predict alike and only the folding differs.
    scores = {m.id: 1100.0 - 60 * i for i, m in enumerate(models)}
    monkeypatch.setattr(quality_selectors, "current_scores", lambda: scores)
    _cast_deferred(arena, _voters(5), rounds=10)
    assert services.votes_unfolded() == 50
    assert not BattleOutcome.objects.exists() and not LedgerTransaction.objects.exists()

    start = transaction.savepoint()
    while fold.votes_fold(limit=1):
        pass
    one_at_a_time = _state()
    transaction.savepoint_rollback(start)
    assert services.votes_unfolded() == 50

    assert fold.votes_fold(limit=500) == 50
    in_one_batch = _state()
    assert in_one_batch == one_at_a_time
    # The batch did what the votes call for: the fast voter is excluded (all
    # their votes retracted, mid-batch), gold votes left the ratings, and every
    # vote of a counted voter earned its credit.
    fast = VoterReliability.objects.get(user__username="voter0")
    assert fast.excluded
    assert not BattleOutcome.objects.filter(battle__voter=fast.user).exists()
    assert Battle.objects.filter(excluded=True, exclusion_reason__startswith="gold").exists()
    assert LedgerTransaction.objects.filter(user__username="voter2").count() == 10
    assert services.votes_unfolded() == 0


def test_deferred_votes_count_for_nothing_until_folded_and_then_once(arena, alice, settings):
    settings.VOTE_FOLD = "deferred"
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = (
        0  # an instant scripted vote; the speed rule is tested apart
    )
    battle = services.battle_serve(user=alice)
    reveal = fold.vote_cast(user=alice, battle_id=battle.id, choice="model_b")
    assert reveal.as_dict()["model_b"]["name"] == battle.model_b.name
    assert Vote.objects.get(battle=battle).folded_at is None
    assert not PairCount.objects.exists() and not LedgerTransaction.objects.exists()
    call_command("vote_worker", "--once", stdout=(out := __import__("io").StringIO()))
    assert "Folded 1 votes; 0 left in the queue." in out.getvalue()
    assert Vote.objects.get(battle=battle).folded_at is not None
    assert BattleOutcome.objects.filter(battle_id=battle.id, choice="model_b").exists()
    assert LedgerTransaction.objects.filter(source_key=f"vote:{battle.id}").count() == 1
    assert fold.votes_fold() == 0


def test_a_refused_vote_leaves_nothing_to_fold(arena, alice, bob):
    battle = services.battle_serve(user=alice)
    with pytest.raises(Exception, match="someone else"):
        fold.vote_cast(user=bob, battle_id=battle.id, choice="tie")
    assert not Vote.objects.exists()
    assert fold.votes_fold() == 0
    battle.refresh_from_db()
    assert battle.status == Battle.Status.SERVED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_folds_fold_each_vote_once(settings):
    """Four folders on their own connections drain one queue while votes keep
    arriving: every vote is folded once, credited once and counted once."""
    settings.VOTE_FOLD = "deferred"
    settings.QUALITY_VOTES_PER_MINUTE_USER = 0
    # Scripted voters vote in milliseconds: let the reading-speed rule pass
    # them, so that every vote earns (voters vote for the stronger model).
    settings.QUALITY_MIN_VOTE_MS, settings.QUALITY_READ_WPM = 0, 10**9
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0
    arena = build_arena(prompts=30)
    strength = {m.id: -i for i, m in enumerate(arena["models"])}
    voters = _voters(12)
    stop = threading.Event()
    folded, errors = [], []

    def folder():
        try:
            while not stop.is_set() or services.votes_unfolded():
                folded.append(fold.votes_fold(limit=7))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=folder) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        rng = random.Random(5)
        for _ in range(8):
            for voter in voters:
                battle = services.battle_serve(user=voter, rng=rng)
                a_wins = strength[battle.model_a_id] > strength[battle.model_b_id]
                choice = "model_a" if a_wins else "model_b"
                fold.vote_cast(user=voter, battle_id=battle.id, choice=choice)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    assert sum(folded) == 96 == Vote.objects.count()
    assert services.votes_unfolded() == 0
    assert LedgerTransaction.objects.filter(source_key__startswith="vote:").count() == 96
    counted = BattleOutcome.objects.count()
    totals = PairCount.objects.values_list("wins_lo", "wins_hi", "ties", "both_bad")
    assert sum(map(sum, totals)) == counted
    assert sum(VoterReliability.objects.values_list("votes", flat=True)) == 96
    assert sum(PairStat.objects.values_list("voted", flat=True)) == 96
    assert ledger.ledger_sum() == 0 and not ledger.balance_mismatches()
