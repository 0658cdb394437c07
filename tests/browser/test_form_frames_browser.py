"""Form controls drawn by the site, not left to the browser's defaults, so they
read well in the dark theme too."""

import pytest

from tests.browser.conftest import ARTIFACTS, login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRAME = """(el) => {
  const s = getComputedStyle(el);
  return [s.borderTopStyle, s.borderTopWidth, s.borderTopColor, s.borderTopLeftRadius];
}"""

LINE = """() => {
  const probe = document.createElement("span");
  probe.style.color = "var(--line)";
  document.body.append(probe);
  const colour = getComputedStyle(probe).color;
  probe.remove();
  return colour;
}"""


def test_the_consent_boxes_have_the_sites_frame_in_dark_mode(live_server, page, alice):
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server.url}/accounts/signup/")
    languages = page.locator("fieldset.languages").evaluate(FRAME)
    assert languages == ["solid", "1px", page.evaluate(LINE), "8px"]
    assert page.locator("fieldset.consent").evaluate(FRAME) == languages
    page.locator("fieldset.consent").screenshot(path=str(ARTIFACTS / "signup-consent-dark.png"))

    login(page, live_server.url)
    page.goto(f"{live_server.url}/market/consent/")
    assert page.locator("main fieldset").evaluate(FRAME) == languages


COLOURS = """(el) => {
  const s = getComputedStyle(el);
  return {
    bg: s.backgroundColor, fg: s.color, border: s.borderTopColor,
    radius: s.borderTopLeftRadius, font: s.fontSize, width: el.getBoundingClientRect().width,
  };
}"""

THEME = """() => {
  const probe = document.createElement("span");
  document.body.append(probe);
  const read = (name) => {
    probe.style.color = `var(${name})`;
    return getComputedStyle(probe).color;
  };
  const theme = {
    bg: read("--bg"), fg: read("--fg"), line: read("--line"), accent: read("--accent"),
    body: getComputedStyle(document.body).fontSize,
  };
  probe.remove();
  return theme;
}"""


def test_the_appeal_form_is_drawn_like_the_sites_forms_in_dark_mode(live_server, page, alice):
    from tests.evals.quality_support import cast, clock
    from tests.evals.test_appeal import flag_as_ring

    build_arena()
    c = clock()
    for _ in range(2):
        cast(alice, c, seconds=20)
    flag_as_ring(alice)
    page.emulate_media(color_scheme="dark")
    login(page, live_server.url)
    page.goto(f"{live_server.url}/votes/")
    theme = page.evaluate(THEME)
    area = page.locator("#appeal-message").evaluate(COLOURS)
    assert (area["bg"], area["fg"], area["border"]) == (theme["bg"], theme["fg"], theme["line"])
    assert area["radius"] == "6px" and area["font"] == theme["body"]
    form = page.locator(".appeal-form").evaluate("(f) => f.getBoundingClientRect().width")
    assert area["width"] == form, "the message box spans the form"
    button = page.locator(".appeal-form button[type=submit]")
    assert "button" in button.get_attribute("class").split()
    assert button.evaluate(COLOURS)["bg"] == theme["accent"]
    page.locator("#appeal").screenshot(path=str(ARTIFACTS / "appeal-form-dark.png"))
