"""Form controls drawn by the site, not left to the browser's defaults, so they
read well in the dark theme too."""

import pytest

from tests.browser.conftest import ARTIFACTS, login

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
