"""The Python strings people read, marked for translation, still render in every
language: each formatting path gives a non-empty text with every placeholder filled,
in English (word for word as before, plurals now right) and under Indonesian."""

import pytest
from django.utils import translation

from datafi import input as input_rules
from datafi.accounts import throttle
from evals.consumers import failed_detail
from evals.quality import limits
from evals.quality.selectors import APPEAL_HINT, FLAG_TITLES, flag_explanation, voter_standing
from evals.quality.services import GOLD_REASON, IMPOSSIBLE_REASON
from evals.selectors import FLAG_WORDS, VoteOutcome, exclusion_words
from ratings.views import _robustness_items
from rewards import siwe

LANGUAGES = ["en", "id"]

EVIDENCE = {
    "gold_accuracy": {"correct": 2, "total": 9},
    "disagreement": {"votes": 40},
    "too_fast": {"fast_votes": 7, "votes": 30},
    "outlier": {"votes": 55},
    "favouritism": {"model": "Quill-7B", "wins": 18, "battles": 20, "expected_wins": 9.6},
    "ring": {
        "model": "Quill-7B",
        "wins": 14,
        "battles": 15,
        "expected_wins": 7.2,
        "group": {"above_bound": 6},
        "kept_by": "address",
    },
    "low_reliability": {"score": 0.21, "threshold": 0.35, "flags": ["too_fast", "outlier"]},
}

EXCLUSIONS = [
    "unreliable voter",
    "unreliable voter: excluded earlier",
    "unreliable voter: ring favouring Quill-7B",
    "unreliable voter: too_fast, gold_accuracy",
    "unreliable voter: something_new",
    GOLD_REASON,
    f"{IMPOSSIBLE_REASON}: 212 ms after the answers appeared",
    "identity leak in answer A (turn 0): Quill-7B",
]


def assert_filled(text) -> str:
    text = str(text)
    assert text.strip()
    assert "%(" not in text and "%s" not in text and "{" not in text, text
    return text


@pytest.fixture(params=LANGUAGES)
def language(request):
    with translation.override(request.param):
        yield request.param


def test_every_flag_explanation_renders_with_its_evidence(language):
    for reason in [*FLAG_TITLES, "a_check_added_later"]:
        text = assert_filled(flag_explanation(reason=reason, evidence=EVIDENCE.get(reason, {})))
        assert assert_filled(APPEAL_HINT) in text


def test_a_flag_explanation_with_missing_evidence_shows_question_marks(language):
    for reason in FLAG_TITLES:
        evidence = {"model": "Quill-7B"} if reason in ("favouritism", "ring") else {}
        assert_filled(flag_explanation(reason=reason, evidence=evidence))


def test_flag_titles_and_words_read_as_plain_strings(language):
    for title in FLAG_TITLES.values():
        assert_filled(title)
    for words in FLAG_WORDS.values():
        assert_filled(words)


def test_every_exclusion_reason_reads_as_a_sentence(language):
    for reason in EXCLUSIONS:
        assert_filled(exclusion_words(reason))


def test_the_english_words_are_the_ones_voters_read_before(settings):
    settings.QUALITY_RELIABILITY_THRESHOLD = 0.35
    with translation.override("en"):
        assert flag_explanation(reason="gold_accuracy", evidence=EVIDENCE["gold_accuracy"]) == (
            "We mix in a few battles where one answer is clearly better. You picked the "
            "better one in 2 of 9 of them. This halves your reliability score, so your "
            "votes earn fewer points; if the score falls below 0.35 your votes stop "
            "counting. Reading both answers before voting helps. If you think this is "
            "wrong, ask for a review (appeal): an operator reads the evidence and can "
            "clear it, and your votes then count again."
        )
        assert (
            "You picked Quill-7B 18 times in 20 battles where the ratings expected about 10."
            in (flag_explanation(reason="favouritism", evidence=EVIDENCE["favouritism"]))
        )
        assert exclusion_words("unreliable voter: too_fast, gold_accuracy") == (
            "It does not count because your account is flagged: many of your votes came "
            "faster than anyone can look at two answers; you picked the worse answer in "
            "several check battles whose better answer is known."
        )


def test_english_plurals_follow_the_count():
    with translation.override("en"):
        one = flag_explanation(
            reason="favouritism",
            evidence={"model": "Quill-7B", "wins": 1, "battles": 1, "expected_wins": 0.4},
        )
        assert "You picked Quill-7B 1 time in 1 battle where" in one
        assert "your 1 vote is very unlike" in flag_explanation(
            reason="outlier", evidence={"votes": 1}
        )
        assert "limited to 1 character (this one has 2)" in limits_detail_for_prompt(1, "ab")
        assert throttle._in_words(1) == "1 second"
        assert throttle._in_words(45) == "45 seconds"
        assert throttle._in_words(60 * 60) == "60 minutes"
        assert throttle._in_words(3 * 3600) == "3 hours"


def limits_detail_for_prompt(max_chars: int, text: str) -> str:
    from django.test import override_settings

    from datafi.api import ApiError
    from evals.live.guards import prompt_clean

    with override_settings(LIVE_PROMPT_MAX_CHARS=max_chars), pytest.raises(ApiError) as caught:
        prompt_clean(text)
    return caught.value.detail


def test_each_vote_outcome_branch_explains_itself(language, settings):
    settings.REWARD_POINTS_PER_VOTE = 10
    settings.REWARD_DAILY_CAP = 500
    cases = [
        dict(points=10, weight=1.0, excluded=False, exclusion_reason=""),
        dict(points=7, weight=0.7, excluded=False, exclusion_reason=""),
        dict(points=0, weight=0.0, excluded=False, exclusion_reason=""),
        dict(points=0, weight=0.0, excluded=True, exclusion_reason="unreliable voter: outlier"),
        dict(points=0, weight=1.0, excluded=False, exclusion_reason=""),  # the cap is reached
        dict(points=4, weight=1.0, excluded=False, exclusion_reason=""),  # partly under the cap
        dict(points=10, weight=1.0, excluded=True, exclusion_reason=GOLD_REASON),
    ]
    for case in cases:
        outcome = VoteOutcome.of(**case)
        if case["points"] == 10 and not case["excluded"]:
            assert outcome.reason == ""
        else:
            assert_filled(outcome.reason)
    assert_filled(VoteOutcome.pending().reason)
    settings.REWARD_POINTS_PER_VOTE = 0
    assert_filled(VoteOutcome.of(points=0, weight=1.0, excluded=False, exclusion_reason="").reason)


def test_a_daily_cap_of_one_point_is_singular(settings):
    settings.REWARD_POINTS_PER_VOTE = 10
    settings.REWARD_DAILY_CAP = 1
    with translation.override("en"):
        outcome = VoteOutcome.of(points=0, weight=1.0, excluded=False, exclusion_reason="")
    assert "You reached today's limit of 1 point; votes earn again" in outcome.reason


@pytest.mark.django_db
def test_a_voter_without_flags_reads_their_standing(language, django_user_model):
    user = django_user_model.objects.create_user(username="alice", password="x" * 12)
    assert_filled(voter_standing(user=user)["summary"])


def test_refusals_of_the_input_layer_and_throttles_render(language):
    assert_filled(input_rules._too_deep_detail(1))
    assert_filled(input_rules._too_deep_detail(64))
    assert_filled(input_rules._too_large_detail(1024))
    for bad in ("a\x00b", "\ud800"):
        with pytest.raises(input_rules.InputError) as caught:
            input_rules.text_check(bad)
        assert_filled(caught.value.detail)
    for seconds in (1, 59, 600, 7200):
        assert_filled(throttle.retry_in_words(seconds))
    for minute in (True, False):
        for account in (True, False):
            limit = limits.Limit(
                key="vote:user:1:m" if account else "vote:ip:1:m",
                seconds=60 if minute else 86400,
                limit=30,
                per="minute" if minute else "day",
            )
            assert_filled(limits._vote_limit_detail(limit))


def test_the_english_input_refusals_keep_their_words():
    with translation.override("en"):
        assert input_rules._too_deep_detail(64) == "JSON may be nested at most 64 levels deep."
        assert input_rules._too_large_detail(1024) == "The body is larger than 1024 bytes."


def test_live_and_wallet_messages_render(language):
    assert_filled(failed_detail("timed out"))
    for message in ("", "not eip-4361\n" * 9, 42):
        with pytest.raises(siwe.SiweError) as caught:
            siwe.parse(message)
        assert_filled(caught.value)
    with pytest.raises(siwe.SiweError) as caught:
        siwe.checksum("0x12")
    assert_filled(caught.value)


def test_the_leaderboard_robustness_notes_render(language):
    items = _robustness_items(
        {
            "votes": 12,
            "n_battles": 900,
            "share": 12 / 900,
            "challenger": "Quill-7B",
            "top": "Atlas-2",
            "top_wins_removed": 1,
            "challenger_losses_removed": 11,
        }
    )
    for label, text in items:
        assert_filled(label)
        assert_filled(text)
    assert_filled(_robustness_items({"votes": None})[0][1])
    if language == "en":
        assert items[1][1].startswith("1 win of the leader and 11 losses of the challenger")


def test_the_live_socket_speaks_the_language_of_the_page_that_opened_it(settings):
    from evals.consumers import scope_language

    assert "id" in dict(settings.LANGUAGES)
    cookie = settings.LANGUAGE_COOKIE_NAME
    assert scope_language({"cookies": {cookie: "id"}, "headers": []}) == "id"
    assert scope_language({"headers": [(b"accept-language", b"id-ID,id;q=0.9,en;q=0.5")]}) == "id"
    assert scope_language({"cookies": {cookie: "xx"}, "headers": []}) == "en"
    assert scope_language({}) == "en"
