"""The provider analytics page in headless Chromium: a simulated population's
votes, the score history and per-opponent win rates drawn, under the CSP."""

import math
import random

import pytest

from datafi.flows import fold
from datafi.numbers import percent_text
from tests.browser.conftest import ARTIFACTS, login, wait_until
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAINTED = """(id) => {
  const c = document.getElementById(id);
  const ctx = c.getContext("2d");
  const px = ctx.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let k = 3; k < px.length; k += 4) if (px[k] > 0) n++;
  return n;
}"""
# True strengths of the test arena's models (Halcyon-9 first), as the demo's
# true_strength drives simulate_votes.
STRENGTHS = [1120, 1040, 980, 900]


@pytest.fixture
def population(bob, settings):
    """Bob owns Zephyrine Labs; 12 simulated voters vote in rounds, with a
    leaderboard refresh after each round (so the history has points)."""
    from datafi.accounts import services as account_services
    from evals import services
    from ratings.management.commands.simulate_votes import simulated_choice
    from ratings.services import refresh_dirty

    settings.QUALITY_DEFENCES = False  # scripted voters vote instantly
    settings.RATINGS_BOOTSTRAP_ROUNDS = 100
    settings.RATINGS_STYLE_ROUNDS = 5
    arena = build_arena(prompts=12)
    account_services.membership_add(
        organization=arena["orgs"]["zephyrine-labs"], user=bob, role="owner"
    )
    strength = {m.pk: s for m, s in zip(arena["models"], STRENGTHS, strict=True)}
    voters = [
        account_services.user_create(username=f"sim{i}", password="x" * 20) for i in range(12)
    ]
    rng = random.Random(18)
    for _round in range(5):
        for voter in voters:
            for _ in range(3):
                battle = services.battle_serve(user=voter, rng=rng)
                if battle is None:
                    break
                choice = simulated_choice(
                    rng, strength[battle.model_a_id], strength[battle.model_b_id]
                )
                fold.vote_cast(user=voter, battle_id=battle.id, choice=choice)
        refresh_dirty(worker="analytics-browser")
    return arena


def test_a_provider_sees_its_models_history_and_win_rates(population, live_server, page):
    halcyon = population["models"][0]
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    login(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/provider/analytics/")
    page.wait_for_url(f"**/provider/analytics/{halcyon.slug}/")
    page.wait_for_selector("#an-opponents tbody tr[data-opponent]")
    opponents = page.locator("#an-opponents tbody tr[data-opponent]")
    assert opponents.count() == 3
    assert "Orbisque XL" in page.inner_text("#an-opponents")
    for canvas in ("plot-history", "plot-opponents"):
        wait_until(page, f"() => window.Chart && Chart.getChart('{canvas}')")
        assert page.evaluate(PAINTED, canvas) > 2000, canvas
    history = page.evaluate(
        "() => JSON.parse(document.getElementById('an-data').textContent).history"
    )
    assert len(history) == 5
    page.screenshot(path=str(ARTIFACTS / "provider-analytics.png"), full_page=True)

    # A figure's link lists the battles behind it.
    first = opponents.nth(0)
    votes = int(first.locator("td.num").nth(0).inner_text())
    with page.expect_navigation():
        first.locator("a.battles-link").click()
    body = page.inner_text("body")
    assert body.count('"outcome"') == votes

    # Another provider's model is not there to pick, nor to open.
    page.goto(f"{live_server.url}/provider/analytics/{halcyon.slug}/?category=coding")
    wait_until(page, "() => window.Chart && Chart.getChart('plot-opponents')")
    options = page.locator("#an-model option").all_inner_texts()
    assert options == ["Halcyon-9", "Marivolt Pro"]
    other = population["models"][3]
    resp = page.goto(f"{live_server.url}/provider/analytics/{other.slug}/")
    assert resp.status == 404
    assert not violations, violations


def test_the_analytics_page_fits_a_phone(population, live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/provider/analytics/")
    wait_until(page, "() => window.Chart && Chart.getChart('plot-history')")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "provider-analytics-phone.png"), full_page=True)


def test_the_charts_tooltips_read_as_sentences_with_plurals(population, live_server, page):
    login(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/provider/analytics/")
    wait_until(page, "() => window.Chart && Chart.getChart('plot-opponents')")
    data = page.evaluate("() => JSON.parse(document.getElementById('an-data').textContent)")
    tooltip = (
        "([id, i]) => Chart.getChart(id).options.plugins.tooltip.callbacks.label({ dataIndex: i })"
    )
    for i, r in enumerate(data["opponents"]):
        ties = f"{r['ties']} tie" + ("" if r["ties"] == 1 else "s")
        votes = f"{r['battles']} vote" + ("" if r["battles"] == 1 else "s")
        rate = percent_text(r["win_rate"])  # as Intl rounds, and the page's table
        record = f"{r['wins']}–{r['losses']}, {ties}, {r['both_bad']} both bad"
        expected = f"{rate} of {votes} ({record})"
        assert page.evaluate(tooltip, ["plot-opponents", i]) == expected
    last = len(data["history"]) - 1
    p = data["history"][last]
    line = page.evaluate(tooltip, ["plot-history", last])
    assert line.startswith(f"score {math.floor(p['score'] + 0.5)}")
    assert line.endswith(f", {p['votes']} vote" + ("" if p["votes"] == 1 else "s"))
