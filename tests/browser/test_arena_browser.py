"""A new user signs up and votes through battles with the keyboard only."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS, wait_until
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

    keys = ["1", "2", "3", "4", "1", "2"]
    for i, key in enumerate(keys):
        page.wait_for_selector("#arena[data-state=open]")
        body = page.inner_text("body")
        assert not any(name in body for name in names), "a model was named before the vote"
        if i == 0:
            # Arrow keys scroll; letters, and digits with a modifier held, do nothing.
            for other in [
                "ArrowLeft",
                "ArrowRight",
                "ArrowDown",
                "a",
                "b",
                "t",
                "x",
                "Control+1",
                "Alt+2",
                "Meta+3",
            ]:
                page.keyboard.press(other)
            page.wait_for_timeout(300)
            assert page.get_attribute("#arena", "data-state") == "open"
            assert Vote.objects.filter(battle__voter__username="dora").count() == 0
            page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press(key)
        page.wait_for_selector("#reveal:not(.hidden)")
        revealed = page.inner_text("#reveal")
        assert sum(name in revealed for name in names) == 2, revealed
        assert re.match(r"\+\d+ points?\b", page.inner_text("#reveal-points"))
        if i == 0:
            page.screenshot(path=str(ARTIFACTS / "arena-reveal.png"), full_page=True)
        with page.expect_navigation():  # "n" navigates; "load" alone returned at once
            page.keyboard.press("n")
    assert Vote.objects.filter(battle__voter__username="dora").count() == len(keys)


def test_arrow_keys_scroll_the_page_and_never_vote(live_server, page, alice):
    from evals.models import Vote

    build_arena(prompts=2)
    page.set_viewport_size({"width": 390, "height": 500})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/arena/")
    page.locator("body").click(position={"x": 5, "y": 5})
    assert page.evaluate("document.documentElement.scrollHeight > window.innerHeight")
    before = page.evaluate("window.scrollY")
    for _ in range(4):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    wait_until(page, f"window.scrollY > {before}")
    assert page.get_attribute("#arena", "data-state") == "open"
    assert not Vote.objects.filter(battle__voter=alice).exists()
    page.keyboard.press("4")
    page.wait_for_selector("#reveal:not(.hidden)")
    assert re.match(r"\+\d+ points?\b", page.inner_text("#reveal-points"))
    assert Vote.objects.get(battle__voter=alice).choice == "both_bad"
    page.screenshot(path=str(ARTIFACTS / "arena-reveal-phone.png"), full_page=True)


def test_the_arena_is_readable_on_a_phone(live_server, page, alice):
    build_arena(prompts=2)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/arena/")
    # On a phone the answers either stack or sit behind A/B tabs: either way the
    # answer shown fits the screen.
    a = page.locator("#answer-a").bounding_box()
    assert a is not None and a["width"] <= 390
    page.screenshot(path=str(ARTIFACTS / "arena-phone.png"), full_page=True)
