"""The leaderboard page in headless Chromium: table, plots, switching slices, phone."""

import pytest

from tests.browser.conftest import ARTIFACTS, wait_until
from tests.ratings.conftest import cast_votes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAINTED = """(id) => {
  const c = document.getElementById(id);
  const ctx = c.getContext("2d");
  const px = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let k = 3; k < px.length; k += 4) if (px[k] > 0) n++;
  return n;
}"""


def test_the_leaderboard_draws_its_plots_and_switches_category(live_server, page, board):
    from ratings.selectors import leaderboard_latest

    page.goto(f"{live_server.url}/leaderboard/")
    page.wait_for_selector("#lb-table tbody tr")
    rows = page.locator("#lb-table tbody tr")
    assert rows.count() == 4
    snap = leaderboard_latest()
    assert snap.rows[0]["model"] in rows.nth(0).inner_text()
    for canvas in ("plot-scores", "plot-predicted", "plot-observed", "plot-battles"):
        wait_until(page, f"() => window.Chart && Chart.getChart('{canvas}')")
        assert page.evaluate(PAINTED, canvas) > 2000, canvas
    page.screenshot(path=str(ARTIFACTS / "leaderboard.png"), full_page=True)

    page.select_option("#lb-category", "coding")
    page.wait_for_url("**/leaderboard/?*category=coding*")
    coding = leaderboard_latest(category="coding")
    page.wait_for_selector("#lb-summary")
    assert f"{coding.vote_count} votes" in page.inner_text("#lb-summary")
    assert page.evaluate(PAINTED, "plot-predicted") > 2000

    page.click("text=Style-controlled")
    page.wait_for_url("**method=style**")
    assert "Style coefficients" in page.inner_text("#lb-style")

    page.click("text=Elo")
    page.wait_for_url("**method=elo**")
    wait_until(page, "() => Chart.getChart('plot-scores')")
    assert page.evaluate(PAINTED, "plot-scores") > 500


def test_the_leaderboard_is_readable_on_a_phone(live_server, page, board):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/leaderboard/")
    wait_until(page, "() => window.Chart && Chart.getChart('plot-battles')")
    wrap = page.evaluate(
        "() => { const w = document.querySelector('.table-wrap');"
        " return [w.scrollWidth, w.clientWidth]; }"
    )
    assert wrap[0] <= wrap[1], "the table should fit a phone without scrolling sideways"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "leaderboard-phone.png"), full_page=True)


def test_an_empty_leaderboard_says_so(live_server, page, db):
    page.goto(f"{live_server.url}/leaderboard/")
    assert "No leaderboard yet" in page.inner_text("#lb-empty")


# Keeps the page's websockets reachable from the test.
CAPTURE_SOCKETS = """
window.__sockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) { super(...args); window.__sockets.push(this); }
};
"""

# What the leaderboard consumer sends when a slice has a new snapshot
# (tests/ratings/test_consumer.py checks that it does).
ANNOUNCE = """() => window.__sockets.forEach((ws) => ws.dispatchEvent(new MessageEvent("message",
  { data: JSON.stringify({ type: "snapshot", category: "", language: "" }) })))"""


def test_a_new_snapshot_redraws_the_table_and_summary_in_place(asgi_server, page, board, alice):
    """The page script's own rendering of a snapshot reads as the server's.

    The snapshot is computed here, in the test's thread; its announcement is
    dispatched on the page's open socket, because the in-memory channel layer
    cannot carry a message from this thread to the server's event loop.
    """
    from ratings.selectors import leaderboard_latest
    from ratings.services import leaderboard_refresh

    page.context.add_init_script(CAPTURE_SOCKETS)
    page.goto(f"{asgi_server}/leaderboard/")
    page.wait_for_selector("#lb[data-live=on]")
    before = leaderboard_latest()

    cast_votes(alice, 1, seed=6)
    leaderboard_refresh(category="", language="")
    after = leaderboard_latest()
    assert after.vote_count == before.vote_count + 1
    page.evaluate(ANNOUNCE)
    wait_until(page, f"() => document.getElementById('lb').dataset.snapshot === '{after.id}'")
    drawn_summary = page.inner_text("#lb-summary")
    drawn_rows = page.inner_text("#lb-table tbody")
    assert drawn_summary.startswith(f"{after.vote_count} votes · 4 models · updated ")

    # The server renders the same snapshot in the same words and figures.
    page.reload()
    page.wait_for_selector("#lb[data-live=on]")
    assert page.evaluate("() => document.getElementById('lb').dataset.snapshot") == str(after.id)
    assert page.inner_text("#lb-summary") == drawn_summary
    assert page.inner_text("#lb-table tbody") == drawn_rows
