"""Numbers inside sentences are written as the reader's language writes them, the
same way as the tables beside them: "0,18" and "1.095" in Indonesian, "0.18" and
"1,095" in English (the Weight column and the leaderboard's header already did)."""

import pytest
from django.template.defaultfilters import floatformat
from django.utils import translation

from evals.quality.models import VoterReliability
from evals.quality.selectors import flag_explanation, voter_standing
from evals.selectors import VoteOutcome
from ratings.views import _robustness_items

ROBUSTNESS = {
    "votes": 2,
    "n_battles": 1095,
    "share": 2 / 1095,
    "challenger": "Aurelon-70B",
    "top": "Kestrova 3",
    "top_wins_removed": 1,
    "challenger_losses_removed": 1,
}


@pytest.mark.parametrize(("language", "weight"), [("en", "0.18"), ("id", "0,18")])
def test_a_reduced_vote_states_its_weight_as_the_weight_column_does(language, weight, settings):
    settings.REWARD_POINTS_PER_VOTE = 10
    with translation.override(language):
        reason = VoteOutcome.of(points=2, weight=0.18, excluded=False, exclusion_reason="").reason
        assert floatformat(0.18, 2) == weight  # the My votes column's filter
    assert f" {weight})" in reason, reason
    assert "0.18" not in reason if language == "id" else "0,18" not in reason


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["0.55", "0.70"]), ("id", ["0,55", "0,70"])],
)
def test_the_reliability_box_states_the_score_in_the_readers_notation(
    language, words, settings, alice
):
    settings.QUALITY_DEFENCES = True
    settings.QUALITY_RELIABILITY_THRESHOLD = 0.5
    settings.QUALITY_FULL_POINTS_RELIABILITY = 0.7
    VoterReliability.objects.create(user=alice, score=0.55, votes=40)
    with translation.override(language):
        standing = voter_standing(user=alice)
    assert standing["status"] == "reduced"
    for word in words:
        assert word in standing["summary"], standing["summary"]
    if language == "id":
        assert "0.55" not in standing["summary"] and "0.70" not in standing["summary"]


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["0.21", "below 0.35", "1.2 s"]), ("id", ["0,21", "di bawah 0,35", "1,2 detik"])],
)
def test_flag_explanations_state_scores_and_seconds_in_the_readers_notation(
    language, words, settings
):
    settings.QUALITY_RELIABILITY_THRESHOLD = 0.35
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 1200
    with translation.override(language):
        text = " ".join(
            [
                flag_explanation(
                    reason="low_reliability",
                    evidence={"score": 0.21, "threshold": 0.35, "flags": []},
                ),
                flag_explanation(reason="too_fast", evidence={"fast_votes": 3, "votes": 30}),
            ]
        )
    for word in words:
        assert word in text, (word, text)


@pytest.mark.parametrize(
    ("language", "line"),
    [("en", "2 of 1,095 (0.2%)"), ("id", "2 dari 1.095 (0,2%)")],
)
def test_the_leaderboard_robustness_line_groups_and_separates_as_its_header(language, line):
    with translation.override(language):
        (_label, text), _how = _robustness_items(ROBUSTNESS)
    assert text.startswith(line), text
