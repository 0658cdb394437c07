"""Gold battles: known better answer, mixed into the flow, indistinguishable."""

import json
import re

import pytest

from datafi.api import ApiError
from datafi.flows import fold
from evals import services
from evals.models import Answer, Battle, Vote
from evals.quality.models import BattleSampling, VoterReliability
from evals.quality.services import GOLD_REASON, gold_pair_create
from tests.conftest import build_arena
from tests.evals.quality_support import cast, clock


def _gold(prompt, models, better=0, worse=1):
    return gold_pair_create(
        answer_better=Answer.objects.get(prompt=prompt, model=models[better]),
        answer_worse=Answer.objects.get(prompt=prompt, model=models[worse]),
        note="A is right, B is wrong",
    )


def test_a_gold_pair_needs_two_answers_to_the_same_prompt_from_two_models(arena):
    p0, p1 = arena["prompts"][:2]
    m = arena["models"]
    a = Answer.objects.get(prompt=p0, model=m[0])
    with pytest.raises(ApiError, match="same prompt"):
        gold_pair_create(answer_better=a, answer_worse=Answer.objects.get(prompt=p1, model=m[1]))
    with pytest.raises(ApiError, match="two different"):
        gold_pair_create(answer_better=a, answer_worse=a)
    _gold(p0, m)
    with pytest.raises(ApiError) as exc:
        _gold(p0, m)
    assert exc.value.status_code == 409


def test_the_sampler_mixes_gold_in_at_the_configured_rate(arena, django_user_model, settings):
    from datafi.accounts.models import User

    settings.QUALITY_GOLD_RATE = 0.25
    for prompt in arena["prompts"]:
        _gold(prompt, arena["models"])
    users = [User.objects.create_user(username=f"g{i}", password=None) for i in range(200)]
    for user in users:
        services.battle_serve(user=user)
    gold = BattleSampling.objects.filter(gold_pair__isnull=False).count()
    assert BattleSampling.objects.count() == 200
    # Binomial(200, 0.25): mean 50, sd 6.1.
    assert 30 <= gold <= 70


def test_a_gold_vote_scores_the_voter_and_leaves_the_leaderboard(arena, alice, settings):
    settings.QUALITY_GOLD_RATE = 1.0
    gold = _gold(arena["prompts"][0], arena["models"])
    c = clock()
    battle = services.battle_serve(user=alice)
    assert battle.sampling.gold_pair_id == gold.pk
    better = "model_a" if battle.answer_a_id == gold.answer_better_id else "model_b"
    settings.QUALITY_GOLD_RATE = 0.0
    fold.vote_cast(user=alice, battle_id=battle.id, choice=better)
    rel = VoterReliability.objects.get(user=alice)
    assert (rel.gold_correct, rel.gold_total) == (1, 1)
    battle.refresh_from_db()
    assert battle.excluded and battle.exclusion_reason == GOLD_REASON
    assert Vote.objects.filter(battle=battle).exists()
    cast(alice, c, seconds=20)  # an ordinary battle afterwards: no gold change
    rel.refresh_from_db()
    assert (rel.gold_correct, rel.gold_total) == (1, 1)


def test_a_wrong_gold_vote_counts_as_a_miss(arena, alice, settings):
    settings.QUALITY_GOLD_RATE = 1.0
    gold = _gold(arena["prompts"][0], arena["models"])
    battle = services.battle_serve(user=alice)
    worse = "model_b" if battle.answer_a_id == gold.answer_better_id else "model_a"
    fold.vote_cast(user=alice, battle_id=battle.id, choice=worse)
    rel = VoterReliability.objects.get(user=alice)
    assert (rel.gold_correct, rel.gold_total) == (0, 1)


def _skeleton(text: str, battle: Battle, username: str) -> str:
    """The page or JSON with everything that legitimately differs blanked out."""
    for value in (
        battle.answer_a.html,
        battle.answer_b.html,
        json.dumps(battle.answer_a.html)[1:-1],
        json.dumps(battle.answer_b.html)[1:-1],
        str(battle.id),
        username,
    ):
        text = text.replace(value, "<X>")
    text = re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+\"", "csrf", text)
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)


def test_a_gold_battle_looks_exactly_like_any_other(db, alice, bob, client, settings):
    # One prompt, so both voters see the same prompt; only the answers differ.
    arena = build_arena(prompts=1)
    _gold(arena["prompts"][0], arena["models"], better=0, worse=1)
    settings.QUALITY_GOLD_RATE = 1.0
    gold_battle = services.battle_serve(user=alice)
    settings.QUALITY_GOLD_RATE = 0.0
    normal_battle = services.battle_serve(user=bob)
    assert gold_battle.sampling.gold_pair_id is not None
    assert normal_battle.sampling.gold_pair_id is None

    pages = {}
    for user, battle in ((alice, gold_battle), (bob, normal_battle)):
        client.force_login(user)
        arena_page = client.get("/arena/")
        detail = client.get(f"/arena/battles/{battle.id}/")
        api = client.get("/api/arena/next", HTTP_ACCEPT="application/json")
        assert api.json()["id"] == str(battle.id)
        pages[user.username] = [
            (
                r.status_code,
                sorted(k for k in r.headers if k.lower() not in {"content-length"}),
                _skeleton(r.content.decode(), battle, user.username),
            )
            for r in (arena_page, detail, api)
        ]
        client.logout()
    assert pages["alice"] == pages["bob"]
    # The same JSON shape, key for key.
    gold_json = json.loads(pages["alice"][2][2])
    assert set(gold_json) == {"id", "status", "prompt", "a", "b", "vote_url"}
    # The battle rows themselves differ only in their answers and ids.
    fields = ["mode", "status", "excluded", "exclusion_reason", "prompt_id", "voted_at"]
    assert [getattr(gold_battle, f) for f in fields] == [getattr(normal_battle, f) for f in fields]


def test_gold_is_drawn_only_where_it_may_be_and_follows_every_change_at_the_next_serve(
    arena, alice, admin_client, settings
):
    # Gold pairs come from the serve's per-process catalogue: the very next
    # serve must see a pair created, switched off in the admin, or made
    # unservable (a withheld answer); and never a prompt the voter has seen.
    from evals import catalogue

    settings.QUALITY_GOLD_RATE = 1.0
    prompts, models = arena["prompts"], arena["models"]
    first = services.battle_serve(user=alice)  # no gold yet: an ordinary battle
    assert first.sampling.gold_pair_id is None
    fold.vote_cast(user=alice, battle_id=first.id, choice="tie")
    assert catalogue.catalogue_current().gold == ()
    seen = _gold(first.prompt, models)  # on the prompt alice has seen
    fresh_prompt = next(p for p in prompts if p.pk != first.prompt_id)
    fresh = _gold(fresh_prompt, models, better=2, worse=3)
    battle = services.battle_serve(user=alice)
    assert battle.sampling.gold_pair_id == fresh.pk  # created: drawn at once; seen: never
    fold.vote_cast(user=alice, battle_id=battle.id, choice="model_a")

    # Switched off in the admin: gone from the next serve.
    response = admin_client.post(
        f"/admin/evals/goldpair/{fresh.pk}/change/",
        {
            "answer_better": fresh.answer_better_id,
            "answer_worse": fresh.answer_worse_id,
            "note": fresh.note,
        },
    )
    assert response.status_code == 302, response.content[:500]
    fresh.refresh_from_db()
    assert not fresh.is_active
    assert all(g[0] != fresh.pk for g in catalogue.catalogue_current().gold)
    third = _gold(prompts[-1], models, better=1, worse=0)
    # Unservable without the copy being told (a shell update): the re-read refuses it.
    Answer.objects.filter(pk=third.answer_worse_id).update(withheld_reason="names a model")
    for _ in range(5):
        battle = services.battle_serve(user=alice)
        assert battle.sampling.gold_pair_id not in (seen.pk, fresh.pk, third.pk)
        assert third.answer_worse_id not in (battle.answer_a_id, battle.answer_b_id)
        fold.vote_cast(user=alice, battle_id=battle.id, choice="tie")


def test_gold_is_drawn_only_in_a_language_the_voter_reads(arena, alice, settings):
    from evals.models import Prompt
    from evals.services import voter_languages_set

    settings.QUALITY_GOLD_RATE = 1.0
    prompts, models = arena["prompts"], arena["models"]
    Prompt.objects.filter(pk=prompts[0].pk).update(language="id")
    gold = _gold(prompts[0], models)  # the only gold pair: Indonesian
    voter_languages_set(user=alice, languages=["en"])
    battle = services.battle_serve(user=alice)
    assert battle.sampling.gold_pair_id is None and battle.prompt.language == "en"
    fold.vote_cast(user=alice, battle_id=battle.id, choice="tie")
    voter_languages_set(user=alice, languages=["id"])
    battle = services.battle_serve(user=alice)
    assert battle.sampling.gold_pair_id == gold.pk


def test_my_votes_calls_a_check_battle_so_and_does_not_grey_it_out(arena, alice, client, settings):
    # It read "Counted: no" in a greyed row beside "+10" (a walk-through as a new
    # user took the vote for lost).
    settings.QUALITY_GOLD_RATE = 1.0
    gold = _gold(arena["prompts"][0], arena["models"])
    battle = services.battle_serve(user=alice)
    better = "model_a" if battle.answer_a_id == gold.answer_better_id else "model_b"
    fold.vote_cast(user=alice, battle_id=battle.id, choice=better)
    client.force_login(alice)
    page = client.get("/votes/").content.decode()
    row = page[page.index(f'<tr id="battle-{battle.id}"') :]
    row = row[: row.index("</tr>")]
    assert "not-counted" not in row and ">check battle</td>" in row
