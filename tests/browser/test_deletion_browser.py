"""Deleting one's account in headless Chromium (issue #14, item 2): from "My votes" to
the page that names the frozen version holding the person's votes, a wrong password
refused, then the deletion, after which they are logged out. Screenshots (phone and
desktop, light and dark) go to artifacts/."""

import pytest

from datafi.accounts.models import DeletionRequest, User
from datafi.market import services as market
from tests.browser.conftest import ARTIFACTS, login
from tests.market import conftest as market_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

market_arena = market_fixtures.market_arena
operator = market_fixtures.operator
product = market_fixtures.product


def shots(page, name):
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / f"{name}-phone-{scheme}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-desktop-{scheme}.png"), full_page=True)
    page.emulate_media(color_scheme="light")


def test_a_voter_reads_what_deletion_does_then_deletes_their_account(
    asgi_server, page, alice, product, operator
):
    market.version_freeze(product_id=product.pk, operator=operator)
    login(page, asgi_server)
    page.goto(f"{asgi_server}/votes/")
    page.click("text=Delete my account")
    page.wait_for_url(f"{asgi_server}/accounts/delete/")
    versions = page.inner_text("#deletion-versions")
    assert "Arena preferences, version 1" in versions
    assert "points will be lost" in page.inner_text("#deletion-form")
    # Nothing overflows sideways on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, "account-delete")

    page.fill("input[name=password]", "not my password")
    page.check("input[name=forfeit]")
    page.click("button:text('Delete my account')")
    assert "That is not your password. Nothing was deleted." in page.inner_text("#deletion-form")
    assert not DeletionRequest.objects.exists()

    page.fill("input[name=password]", "correct horse battery staple")
    page.check("input[name=forfeit]")
    page.click("button:text('Delete my account')")
    page.wait_for_url(f"{asgi_server}/accounts/deleted/")
    assert "Your account is deleted" in page.inner_text("main")
    assert "Log in" in page.inner_text("header")
    shots(page, "account-deleted")
    assert not User.objects.get(pk=alice.pk).is_active
