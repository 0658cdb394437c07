"""Voters are served battles only in the languages they read (issue #17, item 1)."""

import json
import random
import re
from pathlib import Path

import pytest

from datafi.api import ApiError
from datafi.flows import fold
from evals import languages, live, sampler, services
from evals.models import Answer, Battle, Prompt, VoterPreference
from evals.quality.services import gold_pair_create
from tests.conftest import build_arena
from tests.live_support import live_models

DEMO = Path(__file__).resolve().parents[2] / "evals" / "demo" / "demo.json"


def _english_only(user):
    services.voter_languages_set(user=user, languages=["en"])


def test_an_english_only_voter_is_never_served_another_language(db, alice, settings):
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0
    settings.QUALITY_GOLD_RATE = 0.5
    arena = build_arena(prompts=12)  # every third prompt is French
    for prompt in arena["prompts"][:2]:  # a gold pair in French and one in English
        answers = list(Answer.objects.filter(prompt=prompt)[:2])
        gold_pair_create(answer_better=answers[0], answer_worse=answers[1])
    assert {p.language for p in arena["prompts"]} == {"en", "fr"}
    _english_only(alice)
    seen = {sampler.pick(user=alice, rng=random.Random(i)).prompt.language for i in range(200)}
    assert seen == {"en"}
    # Through the real serve and vote, past the point where every English prompt was seen.
    for _ in range(20):
        battle = services.battle_serve(user=alice)
        assert battle.prompt.language == "en"
        fold.vote_cast(user=alice, battle_id=battle.id, choice="tie")


def test_a_voter_who_has_not_said_is_served_any_language(db, alice):
    build_arena(prompts=12)
    seen = {sampler.pick(user=alice, rng=random.Random(i)).prompt.language for i in range(60)}
    assert seen == {"en", "fr"}


def test_with_nothing_in_their_languages_the_voter_is_told_why(client, alice):
    build_arena(prompts=3)
    services.voter_languages_set(user=alice, languages=["id"])
    with pytest.raises(ApiError) as exc:
        services.battle_serve(user=alice)
    assert exc.value.code == "nothing_to_serve"
    assert "(Indonesian)" in exc.value.detail
    client.force_login(alice)
    page = client.get("/arena/").content.decode()
    # A sentence names a language in the reader's language, as the leaderboard does.
    assert "No battle in the languages you read (Indonesian)" in page
    assert 'href="/arena/languages/"' in page
    assert not Battle.objects.exists()


def test_sign_up_presets_the_browsers_languages_and_records_the_choice(client, db, settings):
    page = client.get("/accounts/signup/", headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"})
    boxes = dict(
        re.findall(
            r'<input type="checkbox" name="languages" value="(\w+)"([^>]*)>', page.content.decode()
        )
    )
    assert {code for code, rest in boxes.items() if "checked" in rest} == {"fr", "en"}
    assert set(boxes) == set(settings.VOTER_LANGUAGES)
    form = {
        "username": "amina",
        "password1": "a long sign-up password 42",
        "password2": "a long sign-up password 42",
        "languages": ["id", "en"],
    }
    assert client.post("/accounts/signup/", form).status_code == 302
    assert VoterPreference.objects.get(user__username="amina").languages == ["en", "id"]


def test_a_sign_up_that_sends_no_languages_takes_the_browsers(client, db):
    form = {
        "username": "rosa",
        "password1": "a long sign-up password 42",
        "password2": "a long sign-up password 42",
    }
    resp = client.post("/accounts/signup/", form, headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert resp.status_code == 302
    assert VoterPreference.objects.get(user__username="rosa").languages == ["es"]


def test_a_sign_up_with_an_unknown_language_is_refused_and_creates_nothing(client, db):
    from datafi.accounts.models import User

    form = {
        "username": "mallory2",
        "password1": "a long sign-up password 42",
        "password2": "a long sign-up password 42",
        "languages": ["xx"],
    }
    assert client.post("/accounts/signup/", form).status_code == 400
    assert not User.objects.filter(username="mallory2").exists()


def test_the_languages_page_changes_them_and_refuses_none(client, alice):
    client.force_login(alice)
    assert client.get("/arena/languages/").status_code == 200
    resp = client.post("/arena/languages/", {})
    assert resp.status_code == 400 and "Pick at least one language" in resp.content.decode()
    assert client.post("/arena/languages/", {"languages": ["fr", "en"]}).status_code == 302
    assert sampler.voter_languages(alice) == ["en", "fr"]  # in the settings' order
    # Named in the reader's language, as the leaderboard's filter names them (the
    # picker shows each in its own name, so that a reader finds theirs).
    assert "You judge answers in: <strong>English, French</strong>" in (
        client.get("/votes/").content.decode()
    )
    client.cookies["django_language"] = "id"
    assert "<strong>Inggris, Perancis</strong>" in client.get("/votes/").content.decode()
    assert "> Français</label>" in client.get("/arena/languages/").content.decode()


@pytest.mark.parametrize("bad", ["en", [1], ["xx"], []])
def test_bad_languages_are_a_400_that_changes_nothing(alice, bad):
    with pytest.raises(ApiError) as exc:
        services.voter_languages_set(user=alice, languages=bad)
    assert exc.value.code == "invalid_languages" and exc.value.status_code == 400
    assert not VoterPreference.objects.exists()


def test_every_demo_prompt_is_detected_in_its_own_language():
    prompts = json.loads(DEMO.read_text())["prompts"]
    assert {p["language"] for p in prompts} >= {"en", "fr", "es", "id"}
    wrong = [p["key"] for p in prompts if languages.detect(p["text"]) != p["language"]]
    assert wrong == []
    assert languages.detect("12345 !!") == languages.UNDETERMINED


def test_a_live_battle_records_the_language_of_the_typed_prompt(stub, alice):
    live_models(stub)
    battle = live.live_battle_start(user=alice, text="Comment gérer le stress avant un examen ?")
    assert Prompt.objects.get(pk=battle.prompt_id).language == "fr"


def test_accept_language_is_read_by_preference():
    assert languages.from_accept_language("de;q=0.5, id, en-GB;q=0.9") == ["id", "en", "de"]
    assert languages.from_accept_language("zh-CN, *;q=0.1") == []


def test_the_voter_state_is_read_in_one_statement_with_everything_the_serve_needs(
    db, alice, bob, settings, django_assert_num_queries
):
    # voter_state is raw SQL (the ORM's compilation cost more than the rest of
    # the sampler): this pins what it returns on each database it runs on.
    settings.QUALITY_GOLD_RATE = 0
    build_arena(prompts=6)
    services.voter_languages_set(user=alice, languages=["en", "id"])
    with django_assert_num_queries(2):  # no battle yet: the languages on their own
        fresh = sampler.voter_state(alice)
    assert (fresh.open_battle_id, fresh.seen_prompts) == (None, frozenset())
    assert sorted(fresh.languages) == ["en", "id"]
    first = services.battle_serve(user=alice)
    fold.vote_cast(user=alice, battle_id=first.id, choice="tie")
    second = services.battle_serve(user=alice)  # open: served, not voted
    with django_assert_num_queries(1):
        state = sampler.voter_state(alice)
    assert state.open_battle_id == second.id
    assert state.seen_prompts == {first.prompt_id, second.prompt_id}
    assert sorted(state.languages) == ["en", "id"]
    assert sampler.voter_state(bob).languages == []  # said nothing: any language
