"""Quality's exclusions reach the rating engine: excluded votes leave the pair counts."""

import pytest
from django.db import transaction
from django.utils import timezone

from datafi.flows import fold
from evals import services
from evals.models import Battle
from evals.quality.models import VoterReliability
from evals.quality.services import voter_exclude
from ratings import services as ratings_services
from ratings.models import PairCount


def counted() -> int:
    return sum(
        sum(row) for row in PairCount.objects.values_list("wins_lo", "wins_hi", "ties", "both_bad")
    )


def vote(user, n, choice="model_a"):
    for _ in range(n):
        battle = services.battle_serve(user=user)
        fold.vote_cast(user=user, battle_id=battle.id, choice=choice)


def test_excluding_a_voter_takes_their_counted_votes_out_of_the_ratings(
    arena, alice, bob, settings
):
    settings.QUALITY_DEFENCES = False
    vote(alice, 5)
    vote(bob, 3, choice="tie")
    assert counted() == 8
    with transaction.atomic():
        rel, _ = VoterReliability.objects.get_or_create(user=alice)
        assert voter_exclude(rel=rel, reason="operator: test", now=timezone.now()) == 5
        rel.save()
    assert counted() == 3
    # Rows are kept, marked, with the reason.
    mine = Battle.objects.filter(voter=alice)
    assert mine.count() == 5
    assert set(mine.values_list("excluded", "exclusion_reason")) == {(True, "operator: test")}
    # The incremental counts agree with a full rebuild from non-excluded votes.
    before = sorted(PairCount.objects.values_list("model_lo", "model_hi", "wins_lo", "ties"))
    ratings_services.pair_counts_rebuild()
    after = sorted(PairCount.objects.values_list("model_lo", "model_hi", "wins_lo", "ties"))
    assert [r for r in after if r[2] or r[3]] == [r for r in before if r[2] or r[3]]


@pytest.mark.parametrize("choice", ["model_a", "model_b"])
def test_a_voter_who_votes_faster_than_anyone_can_read_is_excluded_everywhere(
    arena, mallory, settings, choice
):
    settings.QUALITY_DEFENCES = True
    settings.QUALITY_VOTES_PER_MINUTE_USER = 0
    settings.QUALITY_VOTES_PER_MINUTE_IP = 0
    # Every scripted vote here is quicker than any person (only such votes, not
    # mere speed, count against a voter).
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 60_000
    for _ in range(24):
        if VoterReliability.objects.filter(user=mallory, excluded=True).exists():
            break
        vote(mallory, 1, choice=choice)
    assert VoterReliability.objects.get(user=mallory).excluded
    assert counted() == 0, "an excluded voter's votes must not stay in the ratings"
    assert not Battle.objects.filter(voter=mallory, status="revealed", excluded=False).exists()
    # Later votes are excluded as they arrive and never counted.
    vote(mallory, 1, choice=choice)
    assert counted() == 0
