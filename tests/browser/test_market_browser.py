"""The data market end to end in Chromium, as its users would use it, on the embedded
chain (served in this process, so the page, the chain and the test share it):

- an operator defines a dataset in the admin, freezes a version, reads its PII report,
  approves and publishes it (its root on chain);
- a provider's member buys it from the product page with test dollars (the wallet is an
  injected EIP-1193 provider that signs in Python with a known key, so the page's own
  code runs unchanged), then downloads it in every format; the verify command confirms
  the downloaded copy's root against the chain;
- a voter in it sees the sale's share on "My data" and in their balance, and redeems it;
- a voter who withdraws consent is in no later version.

Screenshots go to artifacts/.
"""

import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command
from eth_account import Account as EthAccount
from eth_account.messages import encode_defunct
from eth_utils import keccak

from tests.browser.conftest import ARTIFACTS, login
from tests.market.buying import BUYER, fund_gas
from tests.market.buying import send as wallet_send
from tests.market.conftest import TERMS, market_arena, operator  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYING_WALLET = """
window.ethereum = {
  isFakeTestWallet: true,
  async request({ method, params }) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "eth_sendTransaction") return await window.__testWalletSend(params[0]);
    if (method === "eth_getTransactionReceipt") return await window.__testWalletReceipt(params[0]);
    if (method === "personal_sign") return await window.__testWalletSign(params[0], params[1]);
    throw Object.assign(new Error("unsupported in the test wallet: " + method), { code: 4200 });
  },
};
"""

VOTER_KEY = keccak(text="datafi market browser voter")
VOTER = EthAccount.from_key(VOTER_KEY)


@pytest.fixture
def embedded(settings, asgi_server, evm):
    settings.REWARD_WORKER_ON_DEMAND = True
    settings.REWARD_POINTS_PER_VOTE = 10
    settings.REDEMPTION_MINIMUM = 10
    settings.SIWE_DOMAIN = ""
    settings.PROVIDER_API_THROTTLE_RATES = {"api_key": "100000/min", "export": "100000/min"}
    return asgi_server


def _wallet(page, address: str, key: bytes):
    from rewards import chain

    def send(tx):
        receipt = wallet_send({"to": tx["to"], "data": tx["data"]}, key=key)
        return "0x" + bytes(receipt["transactionHash"]).hex()

    def receipt(tx_hash):
        found = chain.get().w3.eth.get_transaction_receipt(tx_hash)
        return {"status": hex(found["status"]), "blockNumber": hex(found["blockNumber"])}

    def sign(hex_message, signer):
        assert signer.lower() == address.lower()
        text = bytes.fromhex(hex_message.removeprefix("0x")).decode("utf-8")
        signed = EthAccount.sign_message(encode_defunct(text=text), private_key=key)
        return "0x" + signed.signature.hex().removeprefix("0x")

    page.context.expose_function("__testWalletSend", send)
    page.context.expose_function("__testWalletReceipt", receipt)
    page.context.expose_function("__testWalletSign", sign)
    page.context.add_init_script(PAYING_WALLET.replace("ADDRESS", repr(address)))


def _admin_action(page, base, changelist: str, pk: int, action: str):
    page.goto(f"{base}/admin/market/{changelist}/")
    page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    return page.inner_text(".messagelist")


def _new_page(page):
    return page.context.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def test_define_publish_buy_download_verify_earn_redeem_and_withdraw(
    embedded,
    page,
    market_arena,  # noqa: F811
    operator,  # noqa: F811
    alice,
    bob,
    carol,
    tmp_path,  # noqa: F811
):
    from datafi.accounts import services as account_services
    from datafi.market import services as market
    from datafi.market.models import DatasetVersion, Purchase, SaleShare, VersionRow
    from rewards.models import Redemption
    from rewards.services import ledger

    base = embedded
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    org = market_arena["orgs"]["zephyrine-labs"]
    account_services.membership_add(organization=org, user=bob, role="owner")

    # --- the operator defines, freezes, reviews and publishes ---------------------
    login(page, base, "olga")
    page.goto(f"{base}/admin/market/datasetproduct/add/")
    page.fill("input[name=slug]", "arena-prefs")
    page.fill("input[name=title]", "Arena preferences")
    page.fill("textarea[name=card]", "Human preference votes from the datafi arena.")
    page.select_option("select[name=licence]", "CC-BY-4.0")
    page.fill("textarea[name=model_terms]", json.dumps(TERMS))
    page.fill("input[name=price_amount]", "250000")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    from datafi.market.models import DatasetProduct

    product = DatasetProduct.objects.get(slug="arena-prefs")
    said = _admin_action(page, base, "datasetproduct", product.pk, "freeze_version")
    assert "rows frozen" in said
    version = DatasetVersion.objects.get(product=product, number=1)
    page.goto(f"{base}/admin/market/datasetversion/{version.pk}/change/")
    report = page.inner_text("body")
    assert "Masked:" in report and "iban" in report and "email" in report
    page.screenshot(path=str(ARTIFACTS / "market-pii-report.png"), full_page=True)
    assert "approved" in _admin_action(page, base, "datasetversion", version.pk, "approve")
    _admin_action(page, base, "datasetversion", version.pk, "publish")
    version.refresh_from_db()
    assert version.status == "published" and version.tx_hash

    # --- a provider's member buys it with test dollars and downloads it ------------
    fund_gas()
    buyer = _new_page(page)
    buyer.set_default_timeout(30_000)
    _wallet(buyer, BUYER.address, bytes(keccak(text="datafi market test buyer")))
    login(buyer, base, "bob")
    buyer.goto(f"{base}/market/")
    buyer.click("#dataset-arena-prefs a[href='/market/arena-prefs/']")
    buyer.wait_for_selector("#market-buy[data-state=open]")
    assert buyer.is_hidden("#buy-downloads")
    buyer.click("#buy-connect")
    buyer.wait_for_selector(f"#buy-address:text('{BUYER.address}')")
    for _ in range(3):  # 3,000 test dollars for a 2,500-dollar version
        buyer.click("#buy-test-dollars")
        buyer.wait_for_selector("#buy-status:text('on their way')")
        buyer.evaluate("() => { document.getElementById('buy-status').textContent = ''; }")
    assert "$2,500.00" in buyer.inner_text("#buy-button")
    buyer.click("#buy-button")
    buyer.wait_for_selector("#market-buy[data-state=paid]", timeout=60_000)
    assert buyer.is_visible("#buy-downloads")
    assert "Bought" in buyer.inner_text("#buy-status")
    buyer.screenshot(path=str(ARTIFACTS / "market-bought.png"), full_page=True)
    purchase = Purchase.objects.get(status="paid")
    assert purchase.organization_id == org.pk and purchase.method == "chain"

    bodies = {}
    for link in buyer.query_selector_all("#buy-downloads a[data-format]"):
        answer = buyer.request.get(base + link.get_attribute("href"))
        assert answer.status == 200, link.get_attribute("data-format")
        bodies[link.get_attribute("data-format")] = answer.body()
    assert set(bodies) == {"hf", "parquet", "arena-jsonl", "kaggle-csv", "dpo-jsonl", "datafi-rows"}
    archive = zipfile.ZipFile(io.BytesIO(bodies["hf"]))
    names = archive.namelist()
    assert "README.md" in names and any(n.startswith("data/train-") for n in names)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(bodies["datafi-rows"])
    out = StringIO()
    call_command(
        "verify_dataset_version", str(copy), "--dataset", "arena-prefs", "--number", "1",
        "--onchain", stdout=out,
    )  # fmt: skip
    assert f"on-chain root:   {version.root}" in out.getvalue()

    # --- a voter in it sees the share, and redeems it ------------------------------
    share = SaleShare.objects.get(purchase=purchase, user=alice)
    voter = _new_page(page)
    voter.set_default_timeout(30_000)
    _wallet(voter, VOTER.address, bytes(VOTER_KEY))
    login(voter, base, "alice")
    voter.goto(f"{base}/market/my-data/")
    assert f"{share.points:,} points" in voter.inner_text(f"tr[data-purchase='{purchase.pk}']")
    voter.screenshot(path=str(ARTIFACTS / "market-my-data.png"), full_page=True)
    available = ledger.balances_for(alice).available
    voter.goto(f"{base}/rewards/")
    voter.wait_for_selector("#rewards[data-live=open]")
    voter.wait_for_selector(f"#bal-available:text-is('{available:,}')")
    voter.click("#link-wallet")
    voter.wait_for_selector(f"#wallet-address:text('{VOTER.address}')")
    voter.fill("#redeem-points", str(share.points))
    voter.click("#redeem")
    voter.wait_for_selector("#redemptions tr[data-status=claimable]")
    voter.click("#claim")
    voter.wait_for_selector("#redemptions tr[data-status=settled]")
    assert Redemption.objects.get(user=alice).points == share.points

    # --- a voter who withdraws consent is in no later version ----------------------
    withdrawing = _new_page(page)
    login(withdrawing, base, "carol")
    withdrawing.goto(f"{base}/market/consent/")
    withdrawing.check("input[name=consent][value=no]")
    withdrawing.click("form.stack button.primary")
    withdrawing.wait_for_selector("text=Now: your votes are not included")
    later = market.version_freeze(product_id=product.pk, operator=operator)
    assert not VersionRow.objects.filter(version=later, voter=carol).exists()
    assert VersionRow.objects.filter(version=version, voter=carol).exists()
    assert VersionRow.objects.filter(version=later, voter=alice).exists()
