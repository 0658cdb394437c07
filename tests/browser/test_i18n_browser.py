"""The page scripts in another language: numbers follow <html lang>, plain values stay plain.

The scripts format what people read with Intl in the page's language (Indonesian
groups thousands with a dot) and keep attributes that code reads back as plain
integers. Every page script runs with the language's JavaScript catalogue loaded,
without an error.
"""

import pytest

from tests.browser.conftest import login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_url(settings, asgi_server):
    from rewards import chain

    settings.CHAIN_RPC_URL = ""
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_ID = 0
    settings.REWARD_WORKER_ON_DEMAND = True
    # Enough points per vote that the balance needs a thousands separator.
    settings.REWARD_POINTS_PER_VOTE = 1234
    settings.REWARD_DAILY_CAP = 5000
    chain.reset()
    yield asgi_server
    chain.reset()


def _vote_once(page, base, language, settings):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
    )
    login(page, base)
    assert page.get_attribute("html", "lang") == language
    page.wait_for_selector("#arena[data-state=open]")
    page.wait_for_timeout(1500)  # a person's pause: a sub-second vote earns nothing
    page.keyboard.press("1")
    page.wait_for_selector("#reveal-points strong")


def _balance(user) -> int:
    from rewards.services.ledger import balances_for

    return balances_for(user).available


def test_an_indonesian_page_groups_thousands_with_a_dot_and_keeps_data_plain(
    asgi_url, page, alice, settings
):
    build_arena(prompts=4)
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    _vote_once(page, asgi_url, "id", settings)
    points = _balance(alice)
    assert points >= 1000, "the vote should have earned a four-digit amount"
    shown = f"{points:,}".replace(",", ".")
    assert f"+{shown}" in page.inner_text("#reveal-points strong")

    # The header badge: the number people read is grouped, the attribute stays an integer.
    page.wait_for_selector(f"#header-balance[data-available='{points}']")
    assert page.inner_text("#header-points") == shown
    assert shown in page.get_attribute("#header-balance", "title")

    page.goto(f"{asgi_url}/rewards/")
    page.wait_for_selector("#rewards[data-live=open]")
    assert page.inner_text("#bal-available") == shown
    assert page.inner_text("#history tbody td.num") == f"+{shown}"
    assert not errors, errors


def test_the_same_page_in_english_groups_thousands_with_a_comma(asgi_url, page, alice, settings):
    build_arena(prompts=4)
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    _vote_once(page, asgi_url, "en", settings)
    shown = f"{_balance(alice):,}"
    assert page.inner_text("#reveal-points strong") == f"+{shown} points"
    page.wait_for_selector(f"#header-points:text-is('{shown}')")
    assert f"{shown} points available" in page.get_attribute("#header-balance", "title")
    assert not errors, errors
