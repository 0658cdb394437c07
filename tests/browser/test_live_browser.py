"""A voter types a prompt, watches two answers stream in, votes with the keyboard."""

import pytest

from tests.browser.conftest import ARTIFACTS, live_state, login, wait_live_ready, wait_until
from tests.live_support import live_models

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_voter_watches_two_answers_stream_then_votes(asgi_server, page, stub, alice):
    arena = live_models(stub, a="slow:0.07+words:45", b="slow:0.09+words:40")
    names = {m.name for m in arena["models"] if m.id in arena["live"]}
    login(page, asgi_server)
    page.goto(f"{asgi_server}/live/")
    page.fill("#prompt", "Explain how a rainbow forms, briefly.")
    page.keyboard.press("Enter")

    # Partial text is on screen while both answers are still streaming.
    try:
        wait_until(
            page,
            """() => document.querySelector('#thread-a .turn-answer')?.textContent.length > 10
                  && document.querySelector('#thread-b .turn-answer')?.textContent.length > 10""",
        )
    except AssertionError as exc:
        raise AssertionError(f"no answer streamed; the page said: {live_state(page)}") from exc
    assert page.get_attribute("#live", "data-state") == "streaming"
    assert page.is_visible("#stop-a") and not page.is_visible("#vote-form")
    partial = page.inner_text("#thread-a .turn-answer")
    page.screenshot(path=str(ARTIFACTS / "live-streaming.png"), full_page=True)

    wait_live_ready(page)
    final = page.inner_text("#thread-a .turn-answer")
    assert len(final) > len(partial) and final.startswith(partial.strip()[:10])
    body = page.inner_text("body")
    assert not any(name in body for name in names), "a model was named before the vote"
    assert "You asked: “Explain how a rainbow forms, briefly.”" in body

    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("1")
    page.wait_for_selector("#reveal:not(.hidden)")
    revealed = page.inner_text("#reveal")
    assert all(name in revealed for name in names), revealed
    assert page.get_attribute("#live", "data-state") == "revealed"
    page.screenshot(path=str(ARTIFACTS / "live-reveal.png"), full_page=True)

    from evals.models import Battle, Vote

    battle = Battle.objects.get(voter=alice, mode="live")
    assert battle.status == "revealed" and Vote.objects.get(battle=battle).choice == "model_a"


def test_a_failing_model_shows_a_plain_message_and_a_fresh_pair(asgi_server, page, stub, alice):
    live_models(stub, a="steady+slow:0.02", b="fail:500")
    login(page, asgi_server)
    page.goto(f"{asgi_server}/live/")
    page.fill("#prompt", "Hello there")
    page.click("#send")
    page.wait_for_selector("#live-error:not(.hidden)")
    message = page.inner_text("#live-error")
    assert "will not count" in message and "Fresh pair" in message
    assert page.get_attribute("#live", "data-state") == "errored"
    assert not page.is_visible("#vote-form")
    page.screenshot(path=str(ARTIFACTS / "live-error.png"), full_page=True)
    page.click("#fresh")
    page.wait_for_selector("#live[data-state=idle]")
    assert page.is_enabled("#prompt")
