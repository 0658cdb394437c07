"""After a vote, Enter on a focused link or control does what that control does;
the next-battle shortcut takes Enter only when nothing of the kind has focus."""

import pytest

from tests.browser.conftest import login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def vote_by_key(page, base):
    login(page, base)
    page.wait_for_selector("#arena[data-state=open]")
    page.keyboard.press("1")
    page.wait_for_selector("#reveal:not(.hidden)")
    assert page.evaluate("() => document.activeElement.id") == "next"


def test_enter_on_see_all_my_votes_follows_that_link(live_server, page, alice):
    build_arena(prompts=3)
    vote_by_key(page, live_server.url)
    page.keyboard.press("Shift+Tab")  # from "Next battle" back to "See all my votes"
    assert page.evaluate("() => document.activeElement.getAttribute('href')").startswith("/votes/")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(f"{live_server.url}/votes/"), page.url


def test_enter_on_why_opens_it_and_stays_on_the_battle(live_server, page, alice):
    build_arena(prompts=3)
    vote_by_key(page, live_server.url)
    battle = page.get_attribute("#arena", "data-battle")
    page.focus("#vote-form summary")
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)
    assert page.evaluate("() => document.querySelector('#vote-form details').open")
    assert page.url == f"{live_server.url}/arena/"
    assert page.get_attribute("#arena", "data-battle") == battle


def test_enter_with_nothing_focused_still_goes_to_the_next_battle(live_server, page, alice):
    build_arena(prompts=3)
    vote_by_key(page, live_server.url)
    battle = page.get_attribute("#arena", "data-battle")
    page.evaluate("() => document.activeElement.blur()")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("#arena[data-state=open]")
    assert page.get_attribute("#arena", "data-battle") != battle
