"""After a vote the chosen button stays clearly readable in both themes, while
the other buttons look disabled."""

import pytest

from tests.browser.conftest import ARTIFACTS, contrast, login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A vote button's text and background as seen: its colours blended with the card
# behind it by its opacity (and its ancestors').
SEEN = """(button) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const card = rgb(getComputedStyle(button.closest(".card")).backgroundColor);
  let opacity = 1;
  for (let el = button; el; el = el.parentElement) opacity *= Number(getComputedStyle(el).opacity);
  const style = getComputedStyle(button);
  const over = (c, under) => {
    const a = (c[3] ?? 1) * opacity;
    return [0, 1, 2].map((i) => c[i] * a + under[i] * (1 - a));
  };
  // The button is painted, then laid on the card at its opacity, text and all.
  const text = over(rgb(style.color), card);
  const bg = over(rgb(style.backgroundColor), card);
  return { text, bg, opacity, chosen: button.classList.contains("chosen") };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chosen_answer_stays_readable_after_the_vote(live_server, page, alice, scheme):
    build_arena(prompts=2)
    page.emulate_media(color_scheme=scheme)
    login(page, live_server.url)
    page.wait_for_selector("#arena[data-state=open]")
    page.keyboard.press("2")
    page.wait_for_selector("#reveal:not(.hidden)")
    buttons = page.locator("#vote-form .buttons button")
    seen = [buttons.nth(k).evaluate(SEEN) for k in range(buttons.count())]
    chosen = [s for s in seen if s["chosen"]]
    assert len(chosen) == 1
    assert contrast(chosen[0]["text"], chosen[0]["bg"]) >= 4.5, (scheme, chosen[0])
    for other in (s for s in seen if not s["chosen"]):
        assert other["opacity"] < 1, "the buttons not chosen should look disabled"
    page.locator("#vote-form").screenshot(path=str(ARTIFACTS / f"arena-chosen-{scheme}.png"))
