import random
from collections import Counter

import pytest

from datafi.flows import fold
from evals import sampler, services
from evals.models import Battle, EvalModel, PairStat


def test_it_serves_the_same_open_battle_until_it_is_voted(arena, alice):
    first = services.battle_serve(user=alice)
    assert services.battle_serve(user=alice).id == first.id
    fold.vote_cast(user=alice, battle_id=first.id, choice="tie")
    assert services.battle_serve(user=alice).id != first.id


def test_it_serves_prompts_the_voter_has_not_seen(arena, alice):
    seen = []
    for _ in range(len(arena["prompts"])):
        battle = services.battle_serve(user=alice)
        seen.append(battle.prompt_id)
        fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")
    assert sorted(seen) == sorted(p.id for p in arena["prompts"])


def test_it_pairs_two_different_active_models_with_their_own_answers(arena, alice):
    battle = services.battle_serve(user=alice)
    assert battle.model_a_id != battle.model_b_id
    assert battle.answer_a.model_id == battle.model_a_id
    assert battle.answer_b.model_id == battle.model_b_id
    assert battle.answer_a.prompt_id == battle.answer_b.prompt_id == battle.prompt_id


def test_it_favours_the_pair_whose_order_at_the_top_is_in_doubt(arena, alice, settings):
    # Sampler v3 draws pairs at random, weighted by how much a vote would settle
    # the table's order: after votes in which the two best models always tie
    # and every other pair is won by the stronger side, the tied pair must
    # carry the largest probability and come up most often.
    from evals.quality.selectors import current_scores_forget
    from tests.ratings.conftest import cast_votes

    settings.QUALITY_GOLD_RATE = 0
    settings.QUALITY_SAMPLER_NEW_MODEL_VOTES = 0
    settings.QUALITY_DEFENCES = False
    settings.QUALITY_VOTES_PER_MINUTE_USER = settings.QUALITY_VOTES_PER_MINUTE_IP = 10_000
    ids = sorted(m.id for m in arena["models"])
    strength = {ids[0]: 3, ids[1]: 3, ids[2]: 2, ids[3]: 1}
    top = (ids[0], ids[1])

    def choose(battle):
        a, b = strength[battle.model_a_id], strength[battle.model_b_id]
        return "tie" if a == b else ("model_a" if a > b else "model_b")

    cast_votes(alice, 60, choose=choose)
    current_scores_forget()
    seen, probability = Counter(), {}
    for seed in range(60):
        pick = sampler.pick(user=alice, rng=random.Random(seed))
        pair = tuple(sorted([pick.answer_a.model_id, pick.answer_b.model_id]))
        seen[pair] += 1
        probability[pair] = pick.probability
    assert max(probability.values()) == probability[top]
    assert probability[top] > 2 / 6  # uniform would give it a sixth
    assert seen.most_common(1)[0][0] == top


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


def test_it_counts_served_battles_per_pair_for_operators(arena, alice, bob):
    from evals import selectors

    a = services.battle_serve(user=alice)
    b = services.battle_serve(user=bob)
    assert Battle.objects.filter(id__in=[a.id, b.id]).count() == 2
    for battle in (a, b):  # the admin lists the pairs that have stats rows
        services.pair_stat_bump(battle.model_a_id, battle.model_b_id, voted=0)
    served = selectors.pair_stats_with_served(PairStat.objects.all())
    assert sum(row.served for row in served) == 2


@pytest.mark.parametrize("prompts", [6, 30])
def test_serving_a_new_battle_costs_the_same_queries_whatever_the_arena_holds(
    prompts, django_assert_num_queries, alice, settings
):
    """The serve path is half of every vote: its queries are counted exactly.

    The voter's state (open battle, prompts seen, languages: one statement),
    then the two answers with their prompt, read under the servable conditions
    (the candidates come from the per-process catalogue, the pair stats from a
    per-process copy), then the battle and its sampling record in one
    transaction.
    """
    from tests.conftest import build_arena

    settings.QUALITY_GOLD_RATE = 0
    # Folded by a worker, as deployed: a process that folds (inline) reads the
    # pair stats again on its next serve (one query more).
    settings.VOTE_FOLD = "deferred"
    models = build_arena(prompts=prompts)["models"]
    for i, a in enumerate(models):  # every pair has its stats row already
        for b in models[i + 1 :]:
            services.pair_stat_bump(a.id, b.id, voted=0)
    first = services.battle_serve(user=alice)  # fits and caches the scores
    fold.vote_cast(user=alice, battle_id=first.id, choice="tie")
    # 2 reads, 2 writes, and the write transaction's savepoint and release (the
    # test runs inside a transaction; outside, BEGIN and COMMIT).
    with django_assert_num_queries(2 + 2 + 2):
        services.battle_serve(user=alice)


def test_a_slightly_lagging_vote_count_does_not_refit_the_scores(arena, monkeypatch):
    # The sampler passes its per-process copy of the vote total, which may lag
    # the fold's by a few seconds: that must not refit on every serve, while a
    # reset (far fewer votes) still does.
    from evals.quality import selectors as quality_selectors

    fits = []
    real = quality_selectors.predictions_from_rows
    monkeypatch.setattr(
        quality_selectors, "predictions_from_rows", lambda rows: fits.append(1) or real(rows)
    )
    quality_selectors.current_predictions(votes=100)
    quality_selectors.current_predictions(votes=95)
    quality_selectors.current_predictions(votes=100)
    assert len(fits) == 1
    quality_selectors.current_predictions(votes=0)
    assert len(fits) == 2
