"""Accounts as a new user meets them (issue #11), in headless Chromium.

Wallet-only sign-in from the "Sign in with your wallet" button, with an EIP-1193
provider injected before the page loads that signs in Python with a known key
(the page's own code runs unchanged); password reset whose mail lands in Django's
file backend and whose link sets a password that then logs in. Screenshots of
each page on desktop and phone go to artifacts/.
"""

import re

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_rewards_browser import FAKE_PROVIDER, WALLET, _sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def shots(page, name):
    """The page as it is now, on desktop and on a phone."""
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)


@pytest.fixture
def asgi_url(settings, asgi_server):
    settings.SIWE_DOMAIN = ""
    return asgi_server


def test_a_wallet_only_user_signs_in_from_the_button(asgi_url, page):
    from rewards.models import Wallet

    page.context.expose_function("__testWalletSign", _sign)
    page.context.add_init_script(FAKE_PROVIDER)
    page.goto(f"{asgi_url}/accounts/login/?next=/rewards/")
    page.wait_for_selector("#wallet-login-box[data-wallet=present]")
    shots(page, "login")
    page.click("#wallet-login")
    page.wait_for_url(f"{asgi_url}/rewards/")
    wallet = Wallet.objects.select_related("user").get(address=WALLET.address)
    assert not wallet.user.has_usable_password()
    assert wallet.user.username in page.inner_text("header")

    # Signing in again with the same wallet is the same account.
    page.click("header button:text('Log out')")
    page.goto(f"{asgi_url}/accounts/signup/")
    page.click("#wallet-login")
    page.wait_for_url(f"{asgi_url}/arena/")
    assert Wallet.objects.count() == 1
    assert wallet.user.username in page.inner_text("header")


def test_without_a_wallet_the_button_says_so_in_plain_words(asgi_url, page):
    page.goto(f"{asgi_url}/accounts/signup/")
    page.wait_for_selector("#wallet-login-box[data-wallet=absent]")
    assert page.is_hidden("#no-wallet-login")
    assert page.is_visible("#password-rules")
    shots(page, "signup")
    page.click("#wallet-login")
    assert page.is_visible("#no-wallet-login")
    assert "No browser wallet found" in page.inner_text("#no-wallet-login")
    assert page.url == f"{asgi_url}/accounts/signup/"
    shots(page, "signup-no-wallet")


def test_a_declined_signature_is_explained_and_signs_nobody_in(asgi_url, page):
    from datafi.accounts.models import User

    declining = FAKE_PROVIDER.replace(
        "return await window.__testWalletSign(params[0], params[1]);",
        'throw Object.assign(new Error("User rejected"), { code: 4001 });',
    )
    page.context.add_init_script(declining)
    page.goto(f"{asgi_url}/accounts/login/")
    page.click("#wallet-login")
    page.wait_for_selector("#wallet-login-error:not(.hidden)")
    assert "You declined the request in your wallet." in page.inner_text("#wallet-login-error")
    assert not User.objects.filter(username__startswith="wallet-").exists()


def test_a_reset_mail_lands_in_the_file_backend_and_its_link_sets_a_new_password(
    asgi_url, page, settings, tmp_path
):
    from datafi.accounts.services import user_create

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    user_create(username="dora", password="a quite long passphrase 42", email="dora@x.org")

    page.goto(f"{asgi_url}/accounts/login/")
    page.click("#forgot-password")
    page.wait_for_url(f"{asgi_url}/accounts/password_reset/")
    shots(page, "password-reset-form")
    page.fill("input[name=email]", "dora@x.org")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{asgi_url}/accounts/password_reset/done/")
    assert "Check your e-mail" in page.inner_text("main")
    shots(page, "password-reset-done")

    [mail_file] = list((tmp_path / "mail").iterdir())
    text = mail_file.read_text()
    assert "To: dora@x.org" in text
    link = re.search(r"(/accounts/reset/\S+/)", text).group(1)

    page.goto(f"{asgi_url}{link}")
    page.wait_for_selector("input[name=new_password1]")
    shots(page, "password-reset-confirm")
    page.fill("input[name=new_password1]", "a brand new passphrase 77")
    page.fill("input[name=new_password2]", "a brand new passphrase 77")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{asgi_url}/accounts/reset/done/")
    shots(page, "password-reset-complete")

    page.click("main a:text('Log in')")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password]", "a brand new passphrase 77")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{asgi_url}/arena/")
    assert "dora" in page.inner_text("header")
