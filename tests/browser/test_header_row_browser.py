"""The header fits one row on a laptop's screen when logged in, points and all,
in English and in the longer Indonesian."""

import pytest

from tests.browser.conftest import ARTIFACTS, login, wait_until
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The rows the header's visible items sit on, and any item broken over two lines.
ROWS = """() => {
  const items = [...document.querySelectorAll(".topbar > *, .topbar nav > *")]
    .filter((el) => el.tagName !== "NAV" && getComputedStyle(el).display !== "none");
  const tops = items.map((el) => el.getBoundingClientRect().top);
  const broken = items.filter((el) => {
    const line = parseFloat(getComputedStyle(el).lineHeight) || 24;
    return el.getBoundingClientRect().height > 1.6 * line;
  }).map((el) => el.textContent.trim());
  return { spread: Math.max(...tops) - Math.min(...tops), broken };
}"""


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("width", [1280, 1440])
def test_the_logged_in_header_is_one_row_on_a_laptop(asgi_server, page, alice, language, width):
    from rewards.services.ledger import balances_for
    from tests.evals.quality_support import cast, clock

    build_arena(prompts=14)
    c = clock()
    for _ in range(12):
        cast(alice, c, seconds=20)
    assert balances_for(alice).available >= 110  # three digits, as the report had
    page.set_viewport_size({"width": width, "height": 900})
    login(page, asgi_server)
    if language != "en":
        with page.expect_navigation():
            page.select_option("#lang-select", language)  # submits on change
    wait_until(page, "() => /\\d/.test(document.getElementById('header-points').textContent)")
    wait_until(page, "() => document.getElementById('header-today').textContent.length > 0")
    rows = page.evaluate(ROWS)
    page.locator(".topbar").screenshot(path=str(ARTIFACTS / f"header-{language}-{width}.png"))
    assert rows["broken"] == [], "an item wraps inside itself"
    assert rows["spread"] < 12, f"the header wraps onto a second row ({rows['spread']} px)"
    assert page.is_visible("#site-nav .who")  # who is logged in stays in sight


def test_the_phone_header_keeps_its_menu(asgi_server, page, alice):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, asgi_server)
    assert not page.is_visible("#site-nav")
    page.click("#menu-toggle")
    assert page.is_visible("#site-nav .who") and page.is_visible("#lang-select")
