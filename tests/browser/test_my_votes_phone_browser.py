"""My votes on a phone: the table scrolls in its own box; the page does not
scroll sideways (a voter with a discount reads the appeal form beside it)."""

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
