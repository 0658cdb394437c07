"""The demo set speaks Indonesian (issue #17, item 3): Indonesian prompts answered by every
demo model, and a leaderboard slice for Indonesian once a simulated crowd has voted."""

import json
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from evals import languages
from evals.management.commands.load_demo import DEMO_FILE
from evals.models import Answer, EvalModel, Prompt, Vote
from evals.quality import simulate
from ratings import selectors as ratings_selectors
from ratings.services import refresh_dirty

FENCED_CODE = re.compile(r"```.*?```", re.S)
ENGLISH_ONLY = "Tarquil-8B"  # the demo model that answers every prompt in English


def _demo():
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def demo_cut(db, tmp_path):
    """Load the demo set with every model and provider, its Indonesian prompts and a few
    English ones (loading all 1,300 answers takes long on a busy machine)."""
    data = _demo()
    keep = {p["key"] for p in data["prompts"] if p["language"] == "id"}
    keep |= set([p["key"] for p in data["prompts"] if p["language"] == "en"][:8])
    data["prompts"] = [p for p in data["prompts"] if p["key"] in keep]
    data["answers"] = [a for a in data["answers"] if a["prompt"] in keep]
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("load_demo", file=str(path), stdout=StringIO())
    return data


def _prose(text: str) -> str:
    """The answer without its code blocks (code comments need not be in the prompt's language)."""
    return FENCED_CODE.sub(" ", text).strip()


def test_the_demo_file_has_at_least_twenty_indonesian_prompts_in_every_category():
    demo = _demo()
    indonesian = [p for p in demo["prompts"] if p["language"] == "id"]
    assert len(indonesian) >= 20
    assert {p["category"] for p in indonesian} == {p["category"] for p in demo["prompts"]}
    # py3langid, as a typed live prompt is classified, agrees that they are Indonesian.
    assert [p["key"] for p in indonesian if languages.detect(p["text"]) != "id"] == []
    # Every demo model has an answer to each of them.
    answered = {(a["prompt"], a["model"]) for a in demo["answers"]}
    models = [m["name"] for m in demo["models"]]
    assert [
        (p["key"], m) for p in indonesian for m in models if (p["key"], m) not in answered
    ] == []


def test_every_demo_model_answers_every_indonesian_prompt_in_its_own_style(demo_cut):
    demo = demo_cut
    models = {m["name"] for m in demo["models"]}
    prompts = Prompt.objects.filter(language="id", source="demo")
    assert prompts.count() >= 20
    answers = Answer.objects.filter(prompt__in=prompts).select_related("model", "prompt")
    answered = {(a.prompt.key, a.model.name) for a in answers}
    assert answered == {(p.key, m) for p in prompts for m in models}
    # No answer names a model or provider: none is withheld from voters by the identity check.
    assert [
        (a.prompt.key, a.model.name, a.withheld_reason) for a in answers if a.withheld_reason
    ] == []
    # Each model answers in Indonesian, but the one that always answers in English.
    wrong_language = []
    for a in answers:
        prose = _prose(a.text)
        if not prose:
            continue  # a code-only answer (the terse model) has no language
        expected = "en" if a.model.name == ENGLISH_ONLY else "id"
        if languages.detect(prose) != expected:
            wrong_language.append((a.prompt.key, a.model.name))
    assert wrong_language == []
    # The weak model's planted mistakes (hand-written wrong=) reach Indonesian prompts too.
    weak = {a.prompt.key: a.text for a in answers if a.model.name == "Gravlo-7B"}
    assert "Rp130.000" in weak["id-math-diskon-bertingkat"]
    best = {a.prompt.key: a.text for a in answers if a.model.name == "Aurelon-70B"}
    assert "Rp135.000" in best["id-math-diskon-bertingkat"]


def test_a_simulated_crowd_puts_every_demo_model_on_the_indonesian_leaderboard(
    demo_cut, client, settings
):
    settings.RATINGS_BOOTSTRAP_ROUNDS = 50  # the intervals' precision is not under test
    settings.RATINGS_STYLE_ROUNDS = 5
    # Honest voters who did not say which languages they read: served any language,
    # as the recorded demo population of `make run` is.
    out = simulate.run(
        simulate.Population(
            honest=6, honest_votes=(8, 10), attackers=0, gold_pairs=0, sweep_every=0, seed=4
        ),
        start=datetime(2025, 3, 3, 8, 0, tzinfo=UTC),
        prefix="crowd",
    )
    assert out.votes >= 48
    refresh_dirty()
    _, slices = ratings_selectors.known_slices()
    assert "id" in slices
    board = ratings_selectors.leaderboard_latest(method="bt", language="id")
    assert board is not None
    demo_models = {m["name"] for m in demo_cut["models"]}
    assert EvalModel.objects.filter(name__in=demo_models).count() == len(demo_models)
    assert {row["model"] for row in board.rows} == demo_models
    assert all(row["votes"] > 0 for row in board.rows)
    # The slice counts exactly the counted votes on Indonesian prompts, and no other.
    counted = Vote.objects.filter(battle__prompt__language="id", battle__excluded=False)
    assert board.vote_count == counted.count() > 0
    everywhere = ratings_selectors.leaderboard_latest(method="bt")
    assert board.vote_count < everywhere.vote_count
    # Researchers find it by name on the leaderboard page and read it over the API.
    page = client.get("/leaderboard/?language=id").content.decode()
    assert '<option value="id" selected>Indonesian</option>' in page
    api = client.get("/api/v1/leaderboard?language=id").json()
    assert {row["model"] for row in api["rows"]} == demo_models
