import random
from collections import Counter

import pytest

from evals import sampler, services
from evals.models import Battle, EvalModel, PairStat


def test_it_serves_the_same_open_battle_until_it_is_voted(arena, alice):
    first = services.battle_serve(user=alice)
    assert services.battle_serve(user=alice).id == first.id
    services.vote_cast(user=alice, battle_id=first.id, choice="tie")
    assert services.battle_serve(user=alice).id != first.id


def test_it_serves_prompts_the_voter_has_not_seen(arena, alice):
    seen = []
    for _ in range(len(arena["prompts"])):
        battle = services.battle_serve(user=alice)
        seen.append(battle.prompt_id)
        services.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    assert sorted(seen) == sorted(p.id for p in arena["prompts"])


def test_it_pairs_two_different_active_models_with_their_own_answers(arena, alice):
    battle = services.battle_serve(user=alice)
    assert battle.model_a_id != battle.model_b_id
    assert battle.answer_a.model_id == battle.model_a_id
    assert battle.answer_b.model_id == battle.model_b_id
    assert battle.answer_a.prompt_id == battle.answer_b.prompt_id == battle.prompt_id


def test_it_favours_the_pairs_with_the_fewest_votes(arena, alice, settings):
    # Sampler v2 draws pairs at random, weighted: the pair without votes must
    # carry the largest probability and come up most often.
    settings.QUALITY_GOLD_RATE = 0
    settings.QUALITY_SAMPLER_PAIR_HALF = 5
    models = arena["models"]
    ids = sorted(m.id for m in models)
    empty = (ids[1], ids[3])
    for i, lo in enumerate(ids):
        for hi in ids[i + 1 :]:
            PairStat.objects.create(
                model_lo_id=lo, model_hi_id=hi, voted=0 if (lo, hi) == empty else 50
            )
    seen, probability = Counter(), {}
    for seed in range(60):
        pick = sampler.pick(user=alice, rng=random.Random(seed))
        pair = tuple(sorted([pick.answer_a.model_id, pick.answer_b.model_id]))
        seen[pair] += 1
        probability[pair] = pick.probability
    # Weights 1.25 for the empty pair against 1.25 / sqrt(1 + 50 / 5) for the others.
    assert probability[empty] == pytest.approx(1.25 / (1.25 + 5 * 1.25 / 11**0.5))
    assert max(probability.values()) == probability[empty]
    assert seen.most_common(1)[0][0] == empty


def test_it_randomises_sides(arena, alice):
    sides = set()
    ids = sorted(m.id for m in arena["models"])
    for i, lo in enumerate(ids):
        for hi in ids[i + 1 :]:
            PairStat.objects.create(model_lo_id=lo, model_hi_id=hi, voted=0 if i == 0 else 9)
    for seed in range(20):
        pick = sampler.pick(user=alice, rng=random.Random(seed))
        sides.add(pick.answer_a.model_id < pick.answer_b.model_id)
    assert sides == {True, False}


def test_it_never_serves_a_retired_model(arena, alice):
    retired = arena["models"][:2]
    EvalModel.objects.filter(id__in=[m.id for m in retired]).update(status="retired")
    for seed in range(10):
        pick = sampler.pick(user=alice, rng=random.Random(seed))
        assert {pick.answer_a.model_id, pick.answer_b.model_id}.isdisjoint({m.id for m in retired})


def test_it_says_so_when_nothing_can_be_served(db, alice):
    from datafi.api import ApiError

    with pytest.raises(ApiError) as exc:
        services.battle_serve(user=alice)
    assert exc.value.status_code == 404


def test_it_counts_served_battles_per_pair(arena, alice, bob):
    a = services.battle_serve(user=alice)
    b = services.battle_serve(user=bob)
    assert sum(PairStat.objects.values_list("served", flat=True)) == 2
    assert Battle.objects.filter(id__in=[a.id, b.id]).count() == 2
