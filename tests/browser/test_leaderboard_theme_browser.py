"""The leaderboard's plots in the light and dark themes: every number on a heat-map
cell stands out from the cell, read back from the painted canvas."""

import pytest

from tests.browser.conftest import ARTIFACTS, contrast, luminance, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEAT_MAPS = ("plot-predicted", "plot-observed", "plot-battles")

# For each cell of a heat map, as painted: its background (sampled just inside its
# corner) and, among the pixels around its centre, the one that differs most from
# the background (the number's own colour, where a glyph covers a pixel fully).
CELLS = """(id) => {
  const chart = Chart.getChart(id);
  const canvas = chart.canvas;
  const dpr = chart.currentDevicePixelRatio;
  const img = chart.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const at = (x, y) => {
    const k = (Math.round(y) * canvas.width + Math.round(x)) * 4;
    return [img[k], img[k + 1], img[k + 2]];
  };
  const lum = ([r, g, b]) => [r, g, b].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  const data = chart.data.datasets[0].data;
  return chart.getDatasetMeta(0).data.map((el, k) => {
    const { width, height } = el.getProps(["width", "height"], true);
    const c = el.getCenterPoint();
    const bg = at((c.x - width / 2 + 3) * dpr, (c.y - height / 2 + 3) * dpr);
    let ink = bg;
    let best = 1;
    for (let y = (c.y - height / 2 + 4) * dpr; y < (c.y + height / 2 - 4) * dpr; y++) {
      for (let x = (c.x - width / 2 + 4) * dpr; x < (c.x + width / 2 - 4) * dpr; x++) {
        const p = at(x, y);
        const r = ratio(p, bg);
        if (r > best) { best = r; ink = p; }
      }
    }
    return { label: data[k].label, diagonal: data[k].x === data[k].y, bg, ink, contrast: best };
  });
}"""

# The score dots of the first plot, against the card they sit on.
DOTS = """() => {
  const chart = Chart.getChart("plot-scores");
  const canvas = chart.canvas;
  const dpr = chart.currentDevicePixelRatio;
  const img = chart.ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const at = (x, y) => {
    const k = (Math.round(y) * canvas.width + Math.round(x)) * 4;
    return [img[k], img[k + 1], img[k + 2], img[k + 3]];
  };
  const meta = chart.getDatasetMeta(chart.data.datasets.length - 1);
  return meta.data.map((p) => at(p.x * dpr, p.y * dpr));
}"""

CARD = """() => getComputedStyle(document.querySelector(".plots figure").closest(".card"))
  .backgroundColor.match(/\\d+/g).slice(0, 3).map(Number)"""


@pytest.fixture
def sharp_page(page):
    """A page at twice the pixel density, so a number's strokes cover whole pixels."""

    def open_page(color_scheme):
        context = page.context.browser.new_context(
            viewport={"width": 1280, "height": 900},
            device_scale_factor=2,
            color_scheme=color_scheme,
        )
        contexts.append(context)
        return context.new_page()

    contexts = []
    yield open_page
    for context in contexts:
        context.close()


def assert_readable(browser_page, theme):
    card = browser_page.evaluate(CARD)
    for plot in HEAT_MAPS:
        cells = browser_page.evaluate(CELLS, plot)
        labelled = [c for c in cells if c["label"]]
        assert len(labelled) == 12, plot  # four models: every cell off the diagonal
        for cell in labelled:
            assert cell["contrast"] >= 4.5, (theme, plot, cell)
        for cell in (c for c in cells if c["diagonal"]):
            if theme == "dark":
                assert luminance(cell["bg"]) < 0.1, ("a bright diagonal cell", plot, cell)
            assert contrast(cell["bg"], card) < 1.6, ("the diagonal should sit quietly", plot)
    for dot in browser_page.evaluate(DOTS):
        assert dot[3] == 255 and contrast(dot, card) >= 3, (theme, "a score dot fades", dot)


def test_the_heat_map_numbers_are_readable_in_dark_mode(live_server, sharp_page, board):
    browser_page = sharp_page("dark")
    browser_page.goto(f"{live_server.url}/leaderboard/")
    wait_until(browser_page, "() => window.Chart && Chart.getChart('plot-battles')")
    assert browser_page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    assert_readable(browser_page, "dark")
    browser_page.locator(".plots").screenshot(path=str(ARTIFACTS / "leaderboard-plots-dark.png"))


def test_the_theme_toggle_repaints_the_plots(live_server, sharp_page, board):
    browser_page = sharp_page("light")
    browser_page.goto(f"{live_server.url}/leaderboard/")
    wait_until(browser_page, "() => window.Chart && Chart.getChart('plot-battles')")
    assert_readable(browser_page, "light")

    before = browser_page.evaluate("() => Chart.getChart('plot-battles').id")
    browser_page.click("#theme-toggle")
    assert browser_page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    wait_until(browser_page, f"() => Chart.getChart('plot-battles').id !== {before}")
    assert_readable(browser_page, "dark")
    browser_page.locator(".plots").screenshot(path=str(ARTIFACTS / "leaderboard-plots-toggled.png"))

    dark = browser_page.evaluate("() => Chart.getChart('plot-battles').id")
    browser_page.click("#theme-toggle")
    wait_until(browser_page, "() => document.documentElement.dataset.theme === 'light'")
    wait_until(browser_page, f"() => Chart.getChart('plot-battles').id !== {dark}")
    assert_readable(browser_page, "light")
