"""A new user signs up and votes through battles with the keyboard only."""

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_user_signs_up_and_votes_with_the_keyboard(live_server, page):
    from evals.models import Vote

    arena = build_arena(prompts=12)
    names = {m.name for m in arena["models"]}
    page.goto(f"{live_server.url}/accounts/signup/")
    page.keyboard.press("Tab")
    page.focus("input[name=username]")
    page.keyboard.type("dora")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # email (optional)
    page.keyboard.type("a long passphrase 42")
    page.keyboard.press("Tab")
    page.keyboard.type("a long passphrase 42")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/arena/")

    keys = ["1", "2", "3", "4", "ArrowLeft", "ArrowRight", "1", "2", "3", "1"]
    for i, key in enumerate(keys):
        page.wait_for_selector("#arena[data-state=open]")
        body = page.inner_text("body")
        assert not any(name in body for name in names), "a model was named before the vote"
        page.keyboard.press(key)
        page.wait_for_selector("#reveal:not(.hidden)")
        revealed = page.inner_text("#reveal")
        assert sum(name in revealed for name in names) == 2, revealed
        if i == 0:
            page.screenshot(path=str(ARTIFACTS / "arena-reveal.png"), full_page=True)
        page.keyboard.press("n")
        page.wait_for_load_state("load")
    assert Vote.objects.filter(battle__voter__username="dora").count() == 10


def test_the_arena_is_readable_on_a_phone(live_server, page, alice):
    build_arena(prompts=2)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/arena/")
    a = page.locator("#answer-a").bounding_box()
    b = page.locator("#answer-b").bounding_box()
    assert b["y"] >= a["y"] + a["height"] - 1, "answers should stack on a phone"
    assert a["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "arena-phone.png"), full_page=True)
