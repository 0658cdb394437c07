"""The public dataset catalogue in Chromium: reached from the header's menu on a phone,
readable at 390 px in dark mode without sideways scrolling (hashes wrap), and the
product page's sample rows shown. Screenshots go to /tmp/datafi-screenshots/."""

import tempfile
from pathlib import Path

import pytest

from datafi.flows import market as market_flow
from datafi.market import services as market
from tests.market.conftest import approve, market_arena, operator, product  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = Path(tempfile.gettempdir()) / "datafi-screenshots"


@pytest.fixture
def published(product, operator, evm):  # noqa: F811
    version = market.version_freeze(product_id=product.pk, operator=operator)
    approve(version, operator)
    return market_flow.version_publish(version_id=version.pk)


def _shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_on_a_phone_in_dark_mode_the_catalogue_reads_without_sideways_scrolling(
    asgi_server, page, published
):
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme="dark")
    page.goto(f"{asgi_server}/")
    # The header folds into a menu on a phone; the catalogue is one of its links.
    assert not page.is_visible("#site-nav a[href='/market/']")
    page.click("#menu-toggle")
    page.click("#site-nav a[href='/market/']")
    page.wait_for_url(f"{asgi_server}/market/")

    background = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(15, 18, 22)"  # the dark palette
    card = page.locator("#dataset-arena-prefs")
    assert card.locator("h2").inner_text() == "Arena preferences"
    assert card.locator(".price").inner_text() == "$2,500.00"
    assert published.root in card.inner_text()
    assert _page_width(page) <= PHONE["width"]
    box = card.locator("code.hash").first.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"]  # the root wraps inside the card
    _shoot(page, "market-catalogue-phone-dark")

    card.locator("h2 a").click()
    page.wait_for_url(f"{asgi_server}/market/arena-prefs/")
    samples = page.locator("#version-1 .sample")
    assert samples.count() == 3
    first = samples.first
    assert first.locator(".sample-answer").count() == 2
    assert first.locator(".verdict").inner_text().startswith("Vote:")
    assert page.locator("#card").inner_text().startswith("Human preference votes")
    assert page.locator("#buy").count() == 1
    assert _page_width(page) <= PHONE["width"]
    _shoot(page, "market-product-phone-dark")

    page.set_viewport_size(DESKTOP)
    page.emulate_media(color_scheme="light")
    page.wait_for_timeout(100)
    # Side by side on a wide screen: the two answers of a sample share one row.
    a, b = (first.locator(".sample-answer").nth(i).bounding_box() for i in (0, 1))
    assert abs(a["y"] - b["y"]) < 1 and b["x"] > a["x"] + a["width"]
    _shoot(page, "market-product-desktop-light")
