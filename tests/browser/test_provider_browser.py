"""A new provider sets up an organisation, creates a key in the browser, uses
it, downloads its data from the page, and revokes the key."""

import json
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call(url, key):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_new_provider_creates_a_key_in_the_browser_and_revokes_it(live_server, page):
    from datafi.accounts.models import ApiKey

    page.goto(f"{live_server.url}/accounts/signup/?next=/provider/")
    page.fill("input[name=username]", "nadia")
    page.fill("input[name=password1]", "a long passphrase 42")
    page.fill("input[name=password2]", "a long passphrase 42")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/provider/")

    page.fill("form[action='/provider/organizations'] input[name=name]", "Nimbus Works")
    page.click("form[action='/provider/organizations'] button")
    page.wait_for_selector("#org-nimbus-works")

    page.fill("#org-nimbus-works input[name=name]", "upload bot")
    page.uncheck("#org-nimbus-works input[value='models:write']")
    page.click("#org-nimbus-works .key-form button")
    secret = page.inner_text("#new-key-secret").strip()
    assert secret.startswith("dfk_")
    # Shown once: a Copy button beside it puts it on the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("button[aria-label='Copy the key']")
    page.wait_for_selector("button[aria-label='Copy the key']:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()").strip() == secret
    page.screenshot(path=str(ARTIFACTS / "provider-new-key.png"), full_page=True)

    key = ApiKey.objects.get(name="upload bot")
    assert sorted(key.scopes) == ["answers:write", "data:read"]
    status, body = call(f"{live_server.url}/api/v1/me", secret)
    assert status == 200 and json.loads(body)["organizations"] == ["nimbus-works"]

    # The secret is gone once the page is reloaded; the prefix stays.
    page.goto(f"{live_server.url}/provider/")
    assert secret not in page.content()
    assert key.prefix in page.inner_text(f"tr[data-prefix='{key.prefix}']")

    # On a phone the key table scrolls inside its card: the page itself is no
    # wider than the screen (it was 606 px wide on a 390 px phone).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/provider/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})

    # The download links work with the browser session.
    with page.expect_download() as info:
        page.click("#org-nimbus-works .downloads a:has-text('kaggle-csv')")
    assert info.value.path().read_text().startswith("id,model_a,model_b,prompt")

    page.click(f"tr[data-prefix='{key.prefix}'] button:has-text('Revoke')")
    page.wait_for_selector(f"tr[data-prefix='{key.prefix}'].revoked")
    assert "revoked" in page.inner_text(f"tr[data-prefix='{key.prefix}'] .key-status")
    page.screenshot(path=str(ARTIFACTS / "provider-revoked.png"), full_page=True)
    status, body = call(f"{live_server.url}/api/v1/me", secret)
    assert status == 401 and json.loads(body)["code"] == "key_revoked"
