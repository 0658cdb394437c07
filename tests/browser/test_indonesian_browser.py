"""The voter's journey in Indonesian (issue #17): a browser that sends
``Accept-Language: id`` gets every page in Indonesian with no English left, only
battles in the languages the voter picked, and can switch to English from the
header. Screenshots go to artifacts/."""

import re

import pytest

from tests.browser.conftest import ARTIFACTS, wait_until
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words that only English text has (none is an Indonesian word or a loanword
# Indonesian uses): one of them on a page means a string was left untranslated.
ENGLISH = {
    "the",
    "and",
    "your",
    "you",
    "of",
    "with",
    "votes",
    "vote",
    "points",
    "battle",
    "battles",
    "this",
    "that",
    "are",
    "is",
    "not",
    "for",
    "from",
    "which",
    "models",
    "page",
    "yet",
    "counted",
    "better",
    "both",
    "bad",
    "tie",
    "next",
    "wallet",
    "redeem",
    "history",
    "when",
    "what",
    "today",
    "languages",
    "read",
    "sign",
    "log",
    "out",
    "my",
    "leaderboard",
    "rewards",
    "payouts",
    "providers",
    "change",
    "save",
    "skip",
    "why",
    "optional",
    "earned",
    "score",
    "rank",
    "win",
    "rate",
    "all",
    "no",
    "knowledge",
    "reasoning",
    "advice",
    "writing",
    "creative",
}

# Page text a voter reads that is not the interface: prompts and answers (in the
# voter's languages), model and provider names, the username, addresses, code.
NOT_INTERFACE = (
    ".md, .prompt-text, .reveal-name, code, .who, .hash, .model, script, style, "
    "#lb-table small, [data-model], time, option[lang], .brand, kbd"
)

INDONESIAN_PROMPTS = [
    ("id-1", "Jelaskan cara kerja fotosintesis dengan bahasa yang sederhana."),
    ("id-2", "Tuliskan puisi pendek tentang hujan di sore hari."),
    ("id-3", "Apa perbedaan antara cuaca dan iklim?"),
    ("id-4", "Bagaimana cara menghitung luas lingkaran jika diketahui jari-jarinya?"),
]


def _arena_with_indonesian():
    from evals import services

    arena = build_arena(prompts=3)  # English and French prompts
    for key, text in INDONESIAN_PROMPTS:
        prompt = services.prompt_upsert(key=key, text=text, category="knowledge", language="id")
        for j, model in enumerate(arena["models"]):
            services.answer_upsert(
                prompt=prompt,
                model=model,
                text=f"Jawaban gaya {j}: ini penjelasan singkat dan jelas untuk pertanyaan itu.",
            )
    return arena


def english_left(page, names) -> list[str]:
    """English words in the page's interface text (what a voter reads around the content)."""
    text = page.evaluate(
        """(selector) => {
          const body = document.body.cloneNode(true);
          body.querySelectorAll(selector).forEach((n) => n.remove());
          body.querySelectorAll('.hidden, [hidden]').forEach((n) => n.remove());
          const labelled = document.querySelectorAll('[title],[placeholder],[aria-label]');
          return body.innerText + ' ' + Array.from(labelled)
            .map((n) => [n.title, n.placeholder, n.getAttribute('aria-label')].join(' '))
            .join(' ');
        }""",
        NOT_INTERFACE,
    )
    for name in names:
        text = text.replace(name, " ")
    # A one-word gloss of the usual English term, as in "dompet (wallet)", is Indonesian style.
    text = re.sub(r"\([A-Za-z]+\)", " ", text)
    words = re.findall(r"[A-Za-z]+", text)
    return sorted({w for w in words if w.lower() in ENGLISH})


def _shoot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def indonesian_page(page):
    """The same headless Chromium, its browser set to Indonesian (Accept-Language: id-ID)."""
    browser = page.context.browser
    context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    indonesian = context.new_page()
    indonesian.set_default_timeout(30_000)
    yield indonesian
    context.close()


def test_an_indonesian_voter_reads_every_page_in_indonesian_and_can_switch_to_english(
    asgi_server, indonesian_page, settings
):
    page = indonesian_page
    # A script votes within milliseconds; the speed rule would leave no points to list.
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0
    arena = _arena_with_indonesian()
    names = [m.name for m in arena["models"]] + [o.name for o in arena["orgs"].values()]
    # The standard's name (EIP-4361) stays as it is.
    names += ["sari", "datafi", "Sign-In With Ethereum"]

    page.goto(f"{asgi_server}/accounts/signup/")
    assert page.get_attribute("html", "lang") == "id"
    # The languages the voter reads are preset from the browser: Indonesian only.
    assert page.is_checked("input[name=languages][value=id]")
    assert not page.is_checked("input[name=languages][value=en]")
    assert english_left(page, names) == []
    _shoot(page, "id-signup")
    page.fill("input[name=username]", "sari")
    page.fill("input[name=password1]", "kuda benar baterai staples 42")
    page.fill("input[name=password2]", "kuda benar baterai staples 42")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{asgi_server}/arena/")

    served = []
    for i in range(len(INDONESIAN_PROMPTS) + 2):
        page.wait_for_selector("#arena[data-state=open]")
        served.append(page.text_content(".prompt-meta .tag >> nth=1"))
        assert english_left(page, names) == [], f"battle {i}"
        if i == 0:
            _shoot(page, "id-arena")
        page.keyboard.press("1")
        page.wait_for_selector("#arena[data-state=revealed]")
        wait_until(page, "document.querySelector('#reveal-points').textContent.trim() !== ''")
        assert english_left(page, names) == [], f"reveal {i}"
        if i == 0:
            _shoot(page, "id-reveal")
        page.keyboard.press("n")
    # Only Indonesian prompts, also once each has been judged (never the English or
    # French ones the arena also holds).
    assert served == ["id"] * (len(INDONESIAN_PROMPTS) + 2)

    for path, ready, shot in [
        ("/votes/", ".my-votes", "id-my-votes"),
        ("/rewards/", "#rewards[data-live=open]", "id-rewards"),
        ("/arena/languages/", "fieldset.languages", "id-languages"),
        ("/leaderboard/", "#lb", "id-leaderboard"),
    ]:
        page.goto(f"{asgi_server}{path}")
        page.wait_for_selector(ready)
        if path == "/rewards/":
            wait_until(page, "document.querySelectorAll('#history tbody tr').length > 0")
        assert english_left(page, names) == [], path
        _shoot(page, shot)

    # The header's switcher: English from then on, whatever the browser says.
    with page.expect_navigation():
        page.select_option("#lang-select", "en")  # submits on change, back to this page
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#site-nav a[href='/leaderboard/']") == "Leaderboard"
    page.goto(f"{asgi_server}/arena/")
    assert page.get_attribute("html", "lang") == "en"
    assert "A is better" in page.inner_text("#vote-form")
    _shoot(page, "id-switched-to-english")
