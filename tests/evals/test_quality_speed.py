"""Speed is graded, not a cliff: skimmers who vote like the crowd keep their votes
counted; only votes no person could make are excluded; every outcome is explained."""

import random
from datetime import timedelta
from io import StringIO

from django.core.management import call_command

from evals.models import Battle
from evals.quality import simulate
from evals.quality.models import VoterFlag, VoterReliability
from evals.quality.selectors import vote_weight_explained, voter_standing
from evals.quality.stats import speed_weight
from tests.evals.quality_support import START, cast, clock


def test_speed_weight_falls_smoothly_and_is_zero_only_below_the_impossible_bound():
    kw = {"read_ms": 20_000, "impossible_ms": 1000, "floor": 0.5}
    weights = [speed_weight(ms, **kw) for ms in range(1000, 20_001, 500)]
    assert all(0.5 <= w <= 1.0 for w in weights)
    assert weights == sorted(weights)
    # No cliff: neighbouring times never differ by more than a few percent.
    assert max(b - a for a, b in zip(weights, weights[1:], strict=False)) < 0.06
    assert speed_weight(999, **kw) == 0.0
    assert speed_weight(25_000, **kw) == 1.0


def test_a_skimmer_who_votes_like_the_crowd_keeps_their_votes_counted(db, alice):
    # The crowd: honest voters (a third of them skimmers) build the ratings.
    call_command("load_demo", stdout=StringIO())
    simulate.run(
        simulate.Population(
            honest=12, honest_votes=(10, 14), attackers=0, gold_pairs=10, sweep_every=0, seed=3
        ),
        start=START,
        prefix="crowd",
    )
    strength = simulate.strengths()
    rng = random.Random(5)
    c = clock()
    c.advance(timedelta(days=1).total_seconds() * 1000)

    def like_the_crowd(battle):
        battle = Battle.objects.select_related("answer_a", "answer_b").get(pk=battle.pk)
        return simulate._honest_choice(rng, battle, strength, 1.2)

    reveals = [
        cast(alice, c, seconds=rng.uniform(3, 8), choice=like_the_crowd, rng=rng) for _ in range(30)
    ]
    battles = list(Battle.objects.filter(voter=alice, status="revealed"))
    assert len(battles) == 30
    counted = [b for b in battles if not b.excluded]
    assert len(counted) >= 24, [b.exclusion_reason for b in battles if b.excluded]
    assert not any(b.exclusion_reason.startswith("unreliable voter") for b in battles)
    rel = VoterReliability.objects.get(user=alice)
    assert not rel.excluded
    assert not VoterFlag.objects.filter(user=alice, reason="too_fast").exists()
    # Every vote earned something and says why it earned what it did.
    for reveal in reveals:
        battle = Battle.objects.get(pk=reveal.battle_id)
        explained = vote_weight_explained(battle=battle)
        assert explained["points"] > 0, explained
        assert explained["explanation"]
        if explained["speed_weight"] < 1.0:
            assert "points" in explained["explanation"]
            assert f"{explained['seconds']:.1f} s" in explained["explanation"]
    assert voter_standing(user=alice)["counted"] is True


def test_a_vote_no_person_could_make_is_excluded_alone_and_explained(arena, alice):
    c = clock()
    for _ in range(5):
        cast(alice, c, seconds=20)
    quick = cast(alice, c, seconds=0.5)
    battle = Battle.objects.get(pk=quick.battle_id)
    assert battle.excluded and battle.exclusion_reason.startswith("impossible speed")
    others = Battle.objects.filter(voter=alice, status="revealed").exclude(pk=battle.pk)
    assert others.count() == 5 and not others.filter(excluded=True).exists()
    assert not VoterReliability.objects.get(user=alice).excluded
    explained = vote_weight_explained(battle=battle)
    assert explained["code"] == "impossible_speed" and explained["points"] == 0
    assert not explained["counted"]
    assert "0.5 s" in explained["explanation"]


def test_a_quick_but_possible_vote_counts_and_earns_a_little_less(arena, alice):
    c = clock()
    slow = cast(alice, c, seconds=30)
    quick = cast(alice, c, seconds=1.2)
    slow_x = vote_weight_explained(battle=Battle.objects.get(pk=slow.battle_id))
    quick_x = vote_weight_explained(battle=Battle.objects.get(pk=quick.battle_id))
    assert slow_x["counted"] and quick_x["counted"]
    assert slow_x["speed_weight"] == 1.0 and 0.5 < quick_x["speed_weight"] < 1.0
    assert 0 < quick_x["points"] < slow_x["points"]
    assert "1.2 s" in quick_x["explanation"]


def test_voter_standing_explains_each_flag_in_plain_words(arena, mallory):
    c = clock()
    for _ in range(12):
        cast(mallory, c, seconds=0.4)
    standing = voter_standing(user=mallory)
    assert standing["status"] == "excluded" and standing["counted"] is False
    assert standing["multiplier"] == 0.0 and standing["can_appeal"]
    reasons = {f["reason"] for f in standing["flags"]}
    assert {"too_fast", "low_reliability"} <= reasons
    for flag in standing["flags"]:
        assert flag["id"] and flag["title"]
        assert "appeal" in flag["explanation"]
    too_fast = next(f for f in standing["flags"] if f["reason"] == "too_fast")
    assert "faster than anyone can look at two answers" in too_fast["explanation"]
    assert "not counted" in standing["summary"]


def test_a_new_voter_stands_in_good_standing(db, alice):
    standing = voter_standing(user=alice)
    assert standing == {
        "status": "good",
        "counted": True,
        "score": None,
        "multiplier": 1.0,
        "votes": 0,
        "summary": "Your votes count in full.",
        "flags": [],
        "can_appeal": False,
    }
