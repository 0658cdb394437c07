"""Vote, watch the balance grow live, link a wallet, redeem, and see the claim settle.

Served by uvicorn (HTTP + websockets) in a thread of this process, so the page,
the websocket and the in-process EVM share one process as under `make run`.
There is no browser wallet here: an EIP-1193 provider injected before the page
loads answers `eth_requestAccounts` and `personal_sign`, signing in Python with
a known key, so the page's own linking code runs unchanged.
"""

import re

import pytest
from eth_account import Account as EthAccount
from eth_account.messages import encode_defunct
from eth_utils import keccak

from tests.browser.conftest import ARTIFACTS, login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY = keccak(text="datafi browser test wallet")
WALLET = EthAccount.from_key(KEY)

FAKE_PROVIDER = """
window.ethereum = {
  isFakeTestWallet: true,
  async request({ method, params }) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "personal_sign") return await window.__testWalletSign(params[0], params[1]);
    throw Object.assign(new Error("unsupported in the test wallet: " + method), { code: 4200 });
  },
};
""".replace("ADDRESS", repr(WALLET.address))


@pytest.fixture
def asgi_url(settings, asgi_server):
    from rewards import chain

    settings.CHAIN_RPC_URL = ""
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_ID = 0
    settings.CHAIN_CONFIRMATIONS = 1
    settings.REWARD_WORKER_ON_DEMAND = True
    settings.REWARD_POINTS_PER_VOTE = 10
    settings.REDEMPTION_MINIMUM = 10
    settings.SIWE_DOMAIN = ""
    chain.reset()
    yield asgi_server
    chain.reset()


def _sign(hex_message: str, address: str) -> str:
    assert address.lower() == WALLET.address.lower()
    text = bytes.fromhex(hex_message.removeprefix("0x")).decode("utf-8")
    signed = EthAccount.sign_message(encode_defunct(text=text), private_key=KEY)
    return "0x" + signed.signature.hex().removeprefix("0x")


def test_vote_watch_the_balance_link_a_wallet_redeem_and_see_the_claim_settle(
    asgi_url, page, alice
):
    from rewards.models import Redemption

    build_arena(prompts=6)
    page.context.expose_function("__testWalletSign", _sign)
    page.context.add_init_script(FAKE_PROVIDER)
    login(page, asgi_url)

    rewards = page.context.new_page()
    rewards.goto(f"{asgi_url}/rewards/")
    rewards.wait_for_selector("#rewards[data-live=open]")
    assert rewards.inner_text("#bal-available") == "0"
    assert rewards.is_hidden("#no-wallet"), "the injected wallet should be detected"

    for expected in ("10", "20", "30"):
        page.wait_for_selector("#arena[data-state=open]")
        page.wait_for_timeout(1500)  # a person's pause: a sub-second vote earns nothing
        page.keyboard.press("1")
        page.wait_for_selector("#reveal:not(.hidden)")
        # Pushed over the websocket to the other tab: no reload there.
        rewards.wait_for_selector(f"#bal-available:text-is('{expected}')")
        with page.expect_navigation():  # "n" navigates; "load" alone returned at once
            page.keyboard.press("n")

    rewards.click("#link-wallet")
    rewards.wait_for_selector(f"#wallet-address:text('{WALLET.address}')")

    rewards.fill("#redeem-points", "20")
    rewards.click("#redeem")
    rewards.wait_for_selector("#redemptions tr[data-status=claimable]")
    assert rewards.inner_text("#bal-available") == "10"
    assert rewards.inner_text("#bal-escrow") == "20"

    rewards.click("#claim")
    rewards.wait_for_selector("#redemptions tr[data-status=settled]")
    rewards.wait_for_selector("#bal-redeemed:text-is('20')")
    claim_hash = rewards.get_attribute(
        "#redemptions tr[data-status=settled] .claim-tx code", "data-hash"
    )
    redemption = Redemption.objects.get(user=alice)
    assert redemption.status == "settled" and claim_hash == redemption.claim_tx_hash
    assert rewards.inner_text("#bal-escrow") == "0"
    rewards.screenshot(path=str(ARTIFACTS / "rewards-settled.png"), full_page=True)

    rewards.goto(f"{asgi_url}/transparency/")
    assert redemption.epoch.root in rewards.inner_text("body")
    rewards.screenshot(path=str(ARTIFACTS / "transparency.png"), full_page=True)


def test_without_a_browser_wallet_the_page_explains_what_to_do(asgi_url, page, alice):
    login(page, asgi_url)
    page.goto(f"{asgi_url}/rewards/")
    page.click("#link-wallet")
    assert page.is_visible("#no-wallet")
    assert "install a wallet extension" in page.inner_text("#no-wallet")
    page.screenshot(path=str(ARTIFACTS / "rewards-no-wallet.png"), full_page=True)


def test_the_header_badge_follows_each_vote_and_history_links_to_the_vote(
    asgi_url, page, alice, settings
):
    settings.REWARD_DAILY_CAP = 50
    build_arena(prompts=6)
    login(page, asgi_url)
    page.wait_for_selector("#header-balance[data-live=open]")
    # The balance is the socket's first message, just after it opens: wait for it.
    page.wait_for_selector("#header-points:text-is('0')")
    for expected in ("10", "20"):
        page.wait_for_selector("#arena[data-state=open]")
        page.wait_for_timeout(1500)  # a person's pause: a sub-second vote earns nothing
        page.keyboard.press("1")
        page.wait_for_selector("#reveal:not(.hidden)")
        # The same page's header, pushed over the websocket after the vote's credit.
        page.wait_for_selector(f"#header-points:text-is('{expected}')")
        assert f"today {expected}/50" in page.inner_text("#header-today")
        assert f"Today: {expected} of 50 points" in page.get_attribute("#header-balance", "title")
        with page.expect_navigation():  # "n" navigates; "load" alone returned at once
            page.keyboard.press("n")

    page.click("#header-balance")
    page.wait_for_url(f"{asgi_url}/rewards/")
    assert page.inner_text("#today-earned") == "20" and page.inner_text("#today-cap") == "50"
    links = page.locator("#history tbody a")
    assert links.count() == 2
    href = links.first.get_attribute("href")
    assert re.fullmatch(r"/votes/#battle-[0-9a-f-]{36}", href)
    assert "Question number" in links.first.inner_text()
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}", page.inner_text("#history"))
    page.screenshot(path=str(ARTIFACTS / "rewards-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "rewards-phone.png"), full_page=True)
    # On a phone the navigation folds into the menu, but the balance stays in the bar.
    assert not page.is_visible("#header-balance")
    assert page.is_visible("#header-balance-phone")
    assert page.inner_text("#header-points-phone") == "20"
    badge, menu = page.locator("#header-balance-phone"), page.locator("#menu-toggle")
    assert abs(badge.bounding_box()["y"] - menu.bounding_box()["y"]) < 20  # one row
