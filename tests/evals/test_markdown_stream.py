"""A live answer reaches the voter as the same sanitised Markdown as a stored
answer while it streams, rendered from the masked text."""

import pytest

from evals.markdown import render
from tests.live_support import live_models, run_battle, start_battle

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_live_answer_streams_as_rendered_markdown_and_ends_as_the_stored_render(stub, alice):
    live_models(stub, a="markdown+slow:0.01", b="markdown")
    battle = start_battle(alice, "How do I sort words by length?")
    frames = run_battle(alice, battle.id)

    for side in ("a", "b"):
        deltas = [f for f in frames if f["type"] == "delta" and f["side"] == side]
        rendered = [f["html"] for f in deltas if "html" in f]
        assert rendered, "no delta carried rendered HTML"
        # Renders are spaced out: not one per delta (the answer comes in ~80 pieces).
        assert len(rendered) < len(deltas)
        done = next(f for f in frames if f["type"] == "side_done" and f["side"] == side)
        text = "".join(f["text"] for f in deltas)
        assert done["html"] == render(text)
        assert "<strong>short answer</strong>" in done["html"]
        assert "<code>sorted()</code>" in done["html"]
        assert '<code class="language-python">' in done["html"]
        assert '<span class="math-inline">O(n \\log n)</span>' in done["html"]
        assert '<div class="math-display">\\bar{x}' in done["html"]

    # What streamed is what the arena would show for the stored answer.
    battle.refresh_from_db()
    assert done["html"] == render(battle.answer_b.text)


def test_a_reconnecting_voter_gets_the_rendered_answers_in_hello(stub, alice):
    from asgiref.sync import async_to_sync

    from tests.live_support import communicator

    live_models(stub, a="markdown", b="markdown")
    battle = start_battle(alice, "How do I sort words by length?")
    run_battle(alice, battle.id)
    comm = communicator(battle.id, user=alice)

    async def hello():
        assert (await comm.connect())[0]
        frame = await comm.receive_json_from(timeout=5)
        await comm.disconnect()
        return frame

    frame = async_to_sync(hello)()
    turn = frame["turns"][0]
    assert turn["html"]["a"] == render(turn["a"]) and "<strong>" in turn["html"]["a"]
    assert turn["html"]["b"] == render(turn["b"])


def test_a_model_cannot_slip_html_into_the_stream(stub, alice):
    # The stub's leak switch puts its text in the answer verbatim: HTML here.
    live_models(stub, a="leak:<img src=x onerror=alert(1)>", b="markdown")
    battle = start_battle(alice, "Say something")
    frames = run_battle(alice, battle.id)
    html = "".join(f.get("html", "") for f in frames if f["type"] in {"delta", "side_done"})
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
