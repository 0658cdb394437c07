"""The log-in and sign-up pages offer "Sign in with your wallet" (issue #11)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_the_page_offers_a_wallet_sign_in_and_explains_a_missing_wallet(client, path):
    html = client.get(path).content.decode()
    assert 'id="wallet-login"' in html and "Sign in with your wallet" in html
    assert "/static/js/wallet_login.js" in html
    assert "No browser wallet found." in html  # shown by the script when there is none


def test_the_wallet_button_keeps_where_the_user_was_going(client):
    html = client.get("/accounts/login/?next=/rewards/").content.decode()
    assert 'data-next="/rewards/"' in html
