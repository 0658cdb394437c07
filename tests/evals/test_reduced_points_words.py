"""A vote that earned less than full points says what cost them: its reading
speed, the voter's reliability score, or both (red-team and review finding: it
said "a vote quicker than reading both answers, or a reliability score below
full points" whichever it was)."""

import pytest
from django.utils import translation

from evals import selectors
from evals.models import Vote
from tests.evals.quality_support import cast, clock


def _reason(weight, speed):
    with translation.override("en"):
        return selectors.VoteOutcome.of(
            points=round(10 * weight),
            weight=weight,
            excluded=False,
            exclusion_reason="",
            speed=speed,
        ).reason


def test_speed_alone():
    reason = _reason(0.7, 0.7)
    assert "you decided before the time it takes to read both answers" in reason
    assert "keeps 70% of its points" in reason
    assert "reliability" not in reason


def test_reliability_alone():
    reason = _reason(0.6, 1.0)
    assert "your reliability score is below the level for full points" in reason
    assert "keep 60% of them" in reason
    assert "read both answers" not in reason


def test_both():
    reason = _reason(0.42, 0.7)
    assert "(it keeps 70%)" in reason and "(it keeps 60%)" in reason
    assert "reliability score" in reason and "read both answers" in reason


def test_a_vote_folded_before_the_speed_was_kept_says_either():
    with translation.override("en"):
        reason = selectors.VoteOutcome.of(
            points=7, weight=0.7, excluded=False, exclusion_reason=""
        ).reason
    assert "a vote quicker than reading both answers, or a reliability score" in reason


@pytest.mark.django_db
def test_the_fold_keeps_the_speed_part_and_my_votes_names_it(arena, alice, settings):
    settings.QUALITY_READ_WPM = 60  # the fixture's answers are short: make them slow to read
    c = clock()
    cast(alice, c, seconds=120)  # read: full points
    cast(alice, c, seconds=2.5)  # skimmed
    votes = list(Vote.objects.filter(battle__voter=alice).order_by("created_at"))
    assert votes[0].speed_weight == 1.0
    assert 0 < votes[1].speed_weight < 1.0
    assert votes[1].weight <= votes[1].speed_weight + 1e-9  # weight = speed x reliability
    with translation.override("en"):
        rows = selectors.my_votes_page(user=alice)["rows"]
    skimmed = rows[0]["outcome"]
    assert "you decided before the time it takes to read both answers" in skimmed.reason
    assert f"keeps {round(100 * votes[1].speed_weight)}% of its points" in skimmed.reason
