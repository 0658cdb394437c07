"""Reading answers in Chromium: Markdown, math and code while a live answer
streams; copy buttons; dark mode; the phone layout. Screenshots go to artifacts/."""

import pytest

from tests.browser.conftest import ARTIFACTS, live_state, login, wait_live_ready, wait_until
from tests.conftest import build_arena
from tests.live_support import live_models

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

RICH = (
    "## Short answer\n\nUse **binary search**: it halves the range, so it costs "
    "$O(\\log n)$ steps.\n\n"
    "```python\ndef find(xs, x):\n    lo, hi = 0, len(xs)\n    while lo < hi:\n"
    "        mid = (lo + hi) // 2\n        if xs[mid] < x:\n            lo = mid + 1\n"
    "        else:\n            hi = mid\n    return lo\n```\n\n"
    "The number of steps is\n\n$$\\left\\lceil \\log_2 (n + 1) \\right\\rceil$$\n\n"
    "- works on sorted lists\n- `bisect` does it for you\n"
)


def _csp_violations(browser_page) -> list[str]:
    found: list[str] = []
    browser_page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return found


def _rich_arena():
    from evals import services

    arena = build_arena(prompts=1)
    for model in arena["models"]:
        services.answer_upsert(prompt=arena["prompts"][0], model=model, text=RICH)
    return arena


def _shoot(browser_page, name, *, viewport, scheme):
    browser_page.set_viewport_size(viewport)
    browser_page.emulate_media(color_scheme=scheme)
    browser_page.wait_for_timeout(150)
    browser_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_live_answer_shows_bold_code_and_a_formula_while_it_streams(
    asgi_server, page, stub, alice
):
    violations = _csp_violations(page)
    live_models(stub, a="markdown+slow:0.07", b="markdown+slow:0.08")
    login(page, asgi_server)
    page.goto(f"{asgi_server}/live/")
    page.fill("#prompt", "How do I sort words by length?")
    page.keyboard.press("Enter")

    # Inline math comes after the bold and the code block: when it is typeset,
    # the rest of the answer (the display formula) is still on its way. Generous:
    # on a loaded CI run the first live battle of a process waited > 20 s once.
    try:
        page.wait_for_selector("#thread-a .turn-answer .math-inline .katex", timeout=45_000)
    except Exception as exc:
        raise AssertionError(f"no formula streamed; the page said: {live_state(page)}") from exc
    assert page.get_attribute("#live", "data-state") == "streaming"
    answer = "#thread-a .turn-answer"
    assert page.inner_text(f"{answer} strong") == "short answer"
    assert page.inner_text(f"{answer} p code") == "sorted()"
    assert "sorted(words, key=len)" in page.inner_text(f"{answer} pre code")
    # Each render replaces the answer's HTML and then wraps its code blocks:
    # wait for the button rather than sample the page between the two.
    page.wait_for_selector(f"{answer} .codeblock button.copy", state="visible")
    text = page.inner_text(answer)
    assert "**" not in text and "`" not in text and "$O(" not in text
    # KaTeX's own fonts, from this site (no CSP violation below).
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    page.screenshot(path=str(ARTIFACTS / "live-markdown-streaming.png"), full_page=True)

    wait_live_ready(page)
    assert page.locator(f"{answer} .math-display .katex-display").count() == 1
    assert page.locator("#thread-b .turn-answer .katex").count() == 2
    _shoot(page, "live-desktop-light", viewport=DESKTOP, scheme="light")
    _shoot(page, "live-desktop-dark", viewport=DESKTOP, scheme="dark")
    _shoot(page, "live-phone-light", viewport=PHONE, scheme="light")
    _shoot(page, "live-phone-dark", viewport=PHONE, scheme="dark")
    assert violations == []


def test_the_copy_button_copies_the_code(asgi_server, page, alice):
    _rich_arena()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, asgi_server)
    page.click("#answer-a .codeblock button.copy")
    wait_until(page, "document.querySelector('#answer-a .copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("def find(xs, x):") and "return lo" in copied
    assert "Copy" not in copied


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(asgi_server, page, alice):
    _rich_arena()
    login(page, asgi_server)
    background = "getComputedStyle(document.documentElement).backgroundColor"
    page.emulate_media(color_scheme="light")
    light = page.evaluate(background)
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(background)
    assert light == "rgb(246, 247, 249)" and dark == "rgb(15, 18, 22)"

    page.click("#theme-toggle")  # the system says dark: the toggle picks light
    assert page.evaluate(background) == light
    page.reload()
    assert page.get_attribute("html", "data-theme") == "light"
    assert page.evaluate(background) == light
    page.click("#theme-toggle")
    page.emulate_media(color_scheme="light")
    page.reload()
    assert page.evaluate(background) == dark  # remembered over the system's light


def test_contrast_is_readable_in_both_themes(asgi_server, page, alice):
    _rich_arena()
    login(page, asgi_server)
    ratio = """([sel, prop]) => {
      const rgb = (c) => c.match(/\\d+/g).slice(0, 3).map(Number);
      const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const el = document.querySelector(sel);
      const fg = getComputedStyle(el).color;
      let node = el, bg = 'rgba(0, 0, 0, 0)';
      while (node && /rgba\\(.*, 0\\)/.test(bg)) {
        bg = getComputedStyle(node)[prop];
        node = node.parentElement;
      }
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return (a + 0.05) / (b + 0.05);
    }"""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for sel in (
            "#answer-a .md p",
            ".prompt-meta .muted",
            ".topbar nav a",
            "#answer-a .md pre code",
            ".votebar button",
            "#answer-a .label",
        ):
            value = page.evaluate(ratio, [sel, "backgroundColor"])
            assert value >= 4.5, f"{sel} in {scheme}: contrast {value:.2f}"


def test_on_a_phone_the_menu_folds_the_answers_are_tabs_and_the_vote_bar_is_small(
    asgi_server, page, alice
):
    violations = _csp_violations(page)
    _rich_arena()
    login(page, asgi_server)
    page.set_viewport_size(PHONE)
    page.reload()
    assert not page.is_visible("#site-nav") and page.is_visible("#menu-toggle")
    header = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert header < 60
    page.click("#menu-toggle")
    assert page.is_visible("#site-nav a[href='/leaderboard/']")
    page.click("#menu-toggle")

    assert page.is_visible("#answer-a") and not page.is_visible("#answer-b")
    page.click(".answer-tabs button[data-side=b]")
    assert page.is_visible("#answer-b") and not page.is_visible("#answer-a")
    bar = page.evaluate("document.querySelector('#vote-form').getBoundingClientRect().height")
    assert bar < 0.15 * PHONE["height"], f"vote bar {bar}px"
    page.click(".answer-tabs button[data-side=a]")
    assert page.locator("#answer-a .katex").count() == 2
    for scheme in ("light", "dark"):
        _shoot(page, f"arena-phone-{scheme}", viewport=PHONE, scheme=scheme)
        _shoot(page, f"arena-desktop-{scheme}", viewport=DESKTOP, scheme=scheme)
    # Wide screens: both answers side by side, no tabs.
    assert page.is_visible("#answer-a") and page.is_visible("#answer-b")
    assert not page.is_visible(".answer-tabs")
    assert violations == []


def test_on_a_phone_the_live_prompt_box_comes_first(asgi_server, page, stub, alice):
    live_models(stub)
    login(page, asgi_server)
    page.set_viewport_size(PHONE)
    page.goto(f"{asgi_server}/live/")
    top = "(s) => document.querySelector(s).getBoundingClientRect().top"
    assert page.evaluate(top, "#prompt-form") < page.evaluate(top, "#answers")
    assert page.evaluate(top, "#prompt") < PHONE["height"] / 2
