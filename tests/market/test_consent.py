"""Consent to selling one's data: asked at sign-up in plain words with the share,
changed at any time on the consent page, and only agreed votes go into versions."""

import pytest

from datafi.accounts.models import User
from datafi.market import selectors as market_selectors
from datafi.market.models import DataSaleConsent

pytestmark = pytest.mark.django_db

PASSWORD = "a quite long passphrase 42"


def sign_up(client, username, **extra):
    data = {"username": username, "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post("/accounts/signup/", data, REMOTE_ADDR="10.0.0.9")


def test_sign_up_asks_in_plain_words_with_the_share(client, settings):
    settings.MARKET_PLATFORM_FEE_PERCENT = 25
    page = client.get("/accounts/signup/").content.decode()
    assert "Selling your data" in page
    assert 'name="sell_data"' in page and "checked" not in page.split('name="sell_data"')[1][:40]
    assert "75% of each sale is shared among the people whose votes are in it" in page
    assert "You can change this at any time in your settings" in page


def test_a_ticked_box_records_a_yes_and_an_unticked_one_a_no(client):
    assert sign_up(client, "yes_voter", sell_data="on").status_code == 302
    client.logout()
    assert sign_up(client, "no_voter").status_code == 302
    yes = DataSaleConsent.objects.get(user=User.objects.get(username="yes_voter"))
    no = DataSaleConsent.objects.get(user=User.objects.get(username="no_voter"))
    assert (yes.agreed, yes.source) == (True, "signup")
    assert (no.agreed, no.source) == (False, "signup")


def test_a_failed_sign_up_records_no_consent(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "x", "password1": PASSWORD, "password2": "different", "sell_data": "on"},
    )
    assert response.status_code == 400
    assert not DataSaleConsent.objects.exists()


def test_the_consent_page_shows_and_changes_the_setting(client, alice, settings):
    settings.MARKET_PLATFORM_FEE_PERCENT = 30
    client.force_login(alice)
    page = client.get("/market/consent/").content.decode()
    assert "you have not said, so your votes are not included" in page
    assert "70% of each sale is shared among the contributors" in page
    assert "applies to versions published after it" in page
    assert client.post("/market/consent/", {"consent": "yes"}).status_code == 302
    assert market_selectors.consent_of(user=alice) is True
    assert "your votes may be included" in client.get("/market/consent/").content.decode()
    client.post("/market/consent/", {"consent": "no"})
    assert market_selectors.consent_of(user=alice) is False
    assert DataSaleConsent.objects.get(user=alice).source == "settings"


def test_the_consent_page_needs_a_login(client):
    response = client.get("/market/consent/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.post("/market/consent/", {"consent": "yes"})
    assert not DataSaleConsent.objects.exists()


def test_anything_but_yes_gives_no_consent(client, mallory):
    client.force_login(mallory)
    assert client.post("/market/consent/", {"consent": "YES please"}).status_code == 400
    assert market_selectors.consent_of(user=mallory) is not True
    assert client.put("/market/consent/").status_code == 405


@pytest.mark.parametrize(
    "data",
    [{"consent": "YES"}, {}, {"consent": "maybe"}, {"consent": ""}],
    ids=["capital", "missing", "other", "empty"],
)
def test_only_yes_or_no_changes_the_consent_page(client, data):
    """Red-team finding: any value but exactly "yes" (a missing field, "YES")
    withdrew consent, and the voter's votes left the next versions."""
    assert sign_up(client, "careful", sell_data="on").status_code == 302
    user = User.objects.get(username="careful")
    assert market_selectors.consent_of(user=user) is True
    before = DataSaleConsent.objects.count()
    answer = client.post("/market/consent/", data)
    assert answer.status_code == 400
    assert "Choose yes or no: nothing was changed." in answer.content.decode()
    assert market_selectors.consent_of(user=user) is True
    assert DataSaleConsent.objects.count() == before
    assert client.post("/market/consent/", {"consent": "no"}).status_code == 302
    assert market_selectors.consent_of(user=user) is False
