"""Pages with long commands, addresses and wide tables fit a 390 px phone: what
is too wide wraps or scrolls in its own box, never the whole page sideways."""

import pytest

from tests.browser.conftest import ARTIFACTS, quality_demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_the_payouts_page_fits_a_phone(live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/transparency/")
    assert "verify_commitment" in page.inner_text("main")  # the longest command is there
    scroll, inner = page.evaluate(PAGE_WIDTH)
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px phone"
    page.screenshot(path=str(ARTIFACTS / "transparency-phone.png"), full_page=True)


def test_the_quality_dashboard_fits_a_phone(live_server, page):
    from django.contrib.auth import get_user_model

    from datafi.accounts.services import user_create
    from evals.services import appeal_create

    quality_demo_load()
    appeal_create(
        user=get_user_model().objects.get(username="demo-ring-00"),
        message="I read fast, and I did read every answer; please look again.",
    )
    staff = user_create(username="olga", password="correct horse battery staple")
    staff.is_staff = True
    staff.save()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/?next=/quality/")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", "correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/quality/")
    assert "demo-ring-00" in page.inner_text("#appeals")
    scroll, inner = page.evaluate(PAGE_WIDTH)
    assert scroll <= inner, f"the page is {scroll} px wide on a {inner} px phone"
    page.screenshot(path=str(ARTIFACTS / "quality-phone.png"), full_page=True)
