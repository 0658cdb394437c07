"""A revealed battle, loaded again, says the choice in the same words as the reveal
static/js/arena.js shows right after the vote ("You voted a tie", "memilih seri";
it said "Tie" / "Seri" on a reload) and highlights the chosen button (and the
answer picked), as the live reveal does."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from tests.evals.quality_support import cast, clock

JS_CATALOGUE = Path(settings.BASE_DIR) / "datafi/locale/id/LC_MESSAGES/djangojs.po"


def _js_words(msgid: str) -> str:
    """The Indonesian the page script uses for a choice (pgettext "vote choice")."""
    with JS_CATALOGUE.open("rb") as f:
        return read_po(f).get(msgid, context="vote choice").string


def _reloaded(client, user, choice, language="en"):
    reveal = cast(user, clock(), seconds=20, choice=choice)
    client.force_login(user)
    resp = client.get(f"/arena/battles/{reveal.battle_id}/", HTTP_ACCEPT_LANGUAGE=language)
    assert resp.status_code == 200
    return resp.content.decode()


def _chosen_buttons(page: str) -> list[str]:
    return re.findall(r'data-choice="([a-z_]+)" disabled class="chosen"', page)


@pytest.mark.parametrize(
    ("choice", "words"),
    [("tie", "a tie"), ("both_bad", "both bad"), ("model_a", "A"), ("model_b", "B")],
)
def test_the_reloaded_reveal_says_the_choice_as_the_live_one(arena, alice, client, choice, words):
    page = _reloaded(client, alice, choice)
    assert f"You voted <strong>{words}</strong>." in page
    assert _chosen_buttons(page) == [choice]


@pytest.mark.parametrize(("choice", "msgid"), [("tie", "a tie"), ("both_bad", "both bad")])
def test_in_indonesian_too(arena, alice, client, choice, msgid):
    page = _reloaded(client, alice, choice, language="id")
    live = _js_words(msgid)
    assert live in ("seri", "keduanya buruk")
    assert f"Anda memilih <strong>{live}</strong>." in page
    assert _chosen_buttons(page) == [choice]


def test_the_picked_answer_is_marked_as_after_the_vote(arena, alice, client):
    page = _reloaded(client, alice, "model_b")
    assert 'class="answer card winner" id="answer-b"' in page
    assert 'class="answer card" id="answer-a"' in page
    tie = _reloaded(client, alice, "tie")
    assert "winner" not in tie


def test_an_open_battle_has_no_chosen_button(arena, alice, client):
    client.force_login(alice)
    page = client.get("/arena/").content.decode()
    assert 'data-state="open"' in page
    assert "chosen" not in page and "answer card winner" not in page
