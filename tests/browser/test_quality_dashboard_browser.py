"""The operator dashboard renders real flags in Chromium (and leaves a screenshot)."""

import pytest

from tests.browser.conftest import ARTIFACTS, quality_demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_sees_the_flagged_ring_on_the_dashboard(live_server, page):
    from datafi.accounts.services import user_create

    quality_demo_load()
    staff = user_create(username="olga", password="correct horse battery staple")
    staff.is_staff = True
    staff.save()
    page.goto(f"{live_server.url}/accounts/login/?next=/quality/")
    page.fill("input[name=username]", "olga")
    page.fill("input[name=password]", "correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/quality/")
    page.wait_for_selector("svg.q-svg")
    text = page.inner_text("main")
    assert "demo-ring-00" in text and "too_fast" in text
    # The histogram has bars with a height and the threshold line.
    heights = page.eval_on_selector_all(
        "svg.q-svg rect.bar", "els => els.map(e => e.getBBox().height)"
    )
    assert len(heights) == 10 and max(heights) > 50
    assert page.locator("svg.q-svg line.threshold").count() == 1
    page.screenshot(path=str(ARTIFACTS / "quality-dashboard.png"), full_page=True)
    page.goto(f"{live_server.url}/quality/fairness/")
    assert "Sampling fairness" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "quality-fairness.png"), full_page=True)
