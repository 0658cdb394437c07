"""On a phone, with the header's menu open, nothing covers the vote buttons."""

import pytest

from tests.browser.conftest import ARTIFACTS, login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Points across each vote button (inset from its edges) that something else covers.
COVERED = """() => {
  const out = [];
  for (const button of document.querySelectorAll("#vote-form .buttons button")) {
    const r = button.getBoundingClientRect();
    for (const fx of [0.1, 0.5, 0.9]) {
      for (const fy of [0.1, 0.5, 0.9]) {
        const x = r.left + fx * r.width;
        const y = r.top + fy * r.height;
        if (y < 0 || y >= innerHeight) continue;
        const hit = document.elementFromPoint(x, y);
        // What covers it, for the failure message.
        const what = hit?.outerHTML.slice(0, 80);
        if (!button.contains(hit)) out.push(`${button.dataset.choice} ${fx},${fy}: ${what}`);
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_open_menu_leaves_the_vote_bar_uncovered(live_server, page, alice, scheme):
    build_arena(prompts=2)
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server.url)
    page.wait_for_selector(".answer-tabs")
    page.click("#menu-toggle")
    assert page.is_visible("#site-nav")
    bar = page.locator("#vote-form").bounding_box()
    assert bar["y"] + bar["height"] <= 844, "the vote bar stays on screen"
    assert page.evaluate(COVERED) == []
    page.screenshot(path=str(ARTIFACTS / f"arena-phone-menu-{scheme}.png"))
