"""My votes on a phone: each vote is a card of labelled lines that fits the
screen (no box to scroll sideways, where the points and the reason hid); the
page does not scroll sideways (a voter with a discount reads the appeal form
beside it)."""

import pytest

from tests.browser.conftest import ARTIFACTS, login
from tests.evals.quality_support import cast, clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_my_votes_fits_a_phone_without_sideways_scrolling(asgi_server, page, arena, alice):
    c = clock()
    cast(alice, c, seconds=20)
    cast(alice, c, seconds=1.2)  # a quick vote: a discount the voter may appeal
    login(page, asgi_server)
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="dark")
    page.goto(f"{asgi_server}/votes/")
    assert "Some of your votes earned less" in page.inner_text("#appeal")
    page.screenshot(path=str(ARTIFACTS / "my-votes-phone-dark.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Every column of a vote is on screen, labelled: nothing hides in a box that scrolls.
    assert page.evaluate(
        "[...document.querySelectorAll('.table-wrap')].every(w => w.scrollWidth <= w.clientWidth)"
    )
    first = page.locator("tr.vote-row").first
    for label in ("When", "Prompt", "My choice", "Counted", "Weight", "Points"):
        cell = first.locator(f"td[data-label='{label}']")
        assert cell.is_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
    label = page.evaluate(
        "getComputedStyle(document.querySelector('tr.vote-row td[data-label=\"Points\"]'),"
        " '::before').content"
    )
    assert "Points" in label, label
