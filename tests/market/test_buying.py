"""Buying a version on the in-process EVM: an order quoted to the buyer's address and
stored before anything is paid, the payment confirmed from the chain's Purchased event,
the sale booked once in the ledger and split between the platform and the contributors
in the version; an operator's off-chain payment; bad orders refused."""

import pytest
from django.test import Client

from datafi.errors import ApiError
from datafi.flows import market as market_flow
from datafi.market import services as market
from datafi.market.models import Purchase, SaleShare
from rewards.models import LedgerTransaction
from rewards.services import ledger, market_payments
from tests.market.buying import BUYER, fund_gas, send
from tests.market.conftest import approve
from tests.provider.helpers import auth, make_key


@pytest.fixture
def published(product, operator, evm, settings):
    settings.PROVIDER_API_THROTTLE_RATES = {"api_key": "100000/min", "export": "100000/min"}
    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    return market_flow.version_publish(version_id=version.pk)


@pytest.fixture
def buyer_org(market_arena, bob):
    from datafi.accounts import services as account_services

    org = market_arena["orgs"]["zephyrine-labs"]
    account_services.membership_add(organization=org, user=bob, role="owner")
    return org


@pytest.fixture
def key(buyer_org, bob):
    return make_key(buyer_org, user=bob)


def _post(client, path, body, key):
    return client.post(path, body, content_type="application/json", **auth(key))


def _order(client, key, **overrides):
    body = {"dataset": "arena-prefs", "version": 1, "buyer_address": BUYER.address}
    body.update(overrides)
    return _post(client, "/api/v1/market/orders", body, key)


def test_an_organisation_buys_a_version_and_its_contributors_are_paid_once(
    published, key, buyer_org, alice, carol, mallory, settings
):
    client = Client()
    fund_gas()
    minted = _post(client, "/api/v1/market/test-dollars", {"address": BUYER.address}, key)
    assert minted.status_code == 201, minted.content
    assert market_payments.token_balance(BUYER.address) == 1000 * 10**6

    answer = _order(client, key)
    assert answer.status_code == 201, answer.content
    order = answer.json()
    # 2,500.00 USD in a six-decimal token; stored before anything was paid.
    assert (order["status"], order["amount"], order["decimals"]) == ("awaiting", "2500000000", 6)
    assert Purchase.objects.get(pk=order["id"]).status == "awaiting"
    approve_call, purchase_call = order["calls"]

    # Not enough test dollars yet (1,000 of 2,500): the purchase reverts, nothing is paid.
    send(approve_call)
    with pytest.raises(Exception, match="revert|ERC20InsufficientBalance|execution"):
        send(purchase_call)
    _post(client, "/api/v1/market/test-dollars", {"address": BUYER.address}, key)
    _post(client, "/api/v1/market/test-dollars", {"address": BUYER.address}, key)
    before = market_payments.payment_info()
    treasury_before = market_payments.token_balance(before.treasury)
    receipt = send(purchase_call)
    assert receipt["status"] == 1

    settings.REWARD_WORKER_ON_DEMAND = True
    checked = _post(client, f"/api/v1/market/orders/{order['id']}", {}, key)
    assert checked.status_code == 200, checked.content
    assert checked.json()["status"] == "paid"
    assert checked.json()["tx_hash"] == "0x" + bytes(receipt["transactionHash"]).hex()
    assert market_payments.token_balance(before.treasury) == treasury_before + 2500 * 10**6

    purchase = Purchase.objects.get(pk=order["id"])
    # 2,500 USD at 1,000 points per USD; 30% to the platform, the rest to alice and
    # carol (who agreed), nothing to mallory (who did not: her votes are not in it).
    assert purchase.sale_points == 2_500_000 and purchase.fee_points == 750_000
    shares = dict(SaleShare.objects.filter(purchase=purchase).values_list("user_id", "points"))
    assert set(shares) == {alice.pk, carol.pk}
    assert sum(shares.values()) == 1_750_000
    assert ledger.balances_for(alice).available >= shares[alice.pk]
    booked = LedgerTransaction.objects.filter(kind="sale")
    assert booked.count() == 1 and booked.get().source_key == f"market.sale.{purchase.pk}"
    assert ledger.unbalanced_transactions() == [] and ledger.balance_mismatches() == []

    # Every later pass reads the same event again (the reorg window): nothing twice.
    for _ in range(3):
        market_flow.market_tick()
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1
    assert SaleShare.objects.filter(purchase=purchase).count() == 2

    # The same quote cannot be paid twice.
    send(approve_call)
    with pytest.raises(Exception, match="OrderAlreadyPaid|revert|execution"):
        send(purchase_call)
    # Nor can the organisation order what it has bought (it could pay twice).
    again = _order(client, key)
    assert again.status_code == 409 and again.json()["code"] == "already_bought"
    assert "already bought version 1 of" in again.json()["detail"]
    assert Purchase.objects.count() == 1


def test_a_quote_is_for_its_buyer_only(published, key):
    from eth_utils import keccak

    other = keccak(text="someone else")
    from eth_account import Account

    fund_gas(Account.from_key(other).address)
    order = _order(Client(), key).json()
    with pytest.raises(Exception, match="BadQuote|revert|execution"):
        send(order["calls"][1], key=other)
    market_flow.market_tick()
    assert Purchase.objects.get(pk=order["id"]).status == "awaiting"


def test_a_second_order_waits_for_the_first_to_be_paid_or_expire(published, key):
    first = _order(Client(), key).json()
    second = _order(Client(), key)
    assert second.status_code == 409 and second.json()["code"] == "order_waiting"
    assert f"Order {first['id']} for version 1 of" in second.json()["detail"]
    assert "in about 60 minutes" in second.json()["detail"]
    assert Purchase.objects.count() == 1
    market.orders_expire(chain_now=first["deadline"] + 1)
    assert _order(Client(), key).status_code == 201


def test_two_orders_placed_at_once_leave_one_waiting(published, key, monkeypatch):
    # Two clicks at once both pass the check before either stores its order: the
    # database keeps one awaiting order per organisation and version.
    from datafi.market import selectors as market_selectors

    monkeypatch.setattr(market_selectors, "order_waiting", lambda **kwargs: None)
    first = _order(Client(), key)
    assert first.status_code == 201
    second = _order(Client(), key)
    assert second.status_code == 409 and second.json()["code"] == "order_waiting"
    assert f"Order {first.json()['id']} for version 1" in second.json()["detail"]
    assert Purchase.objects.count() == 1


def test_an_unpaid_quote_expires_on_the_chains_clock(published, key):
    order = _order(Client(), key).json()
    market.orders_expire(chain_now=order["deadline"])
    assert Purchase.objects.get(pk=order["id"]).status == "awaiting"
    market.orders_expire(chain_now=order["deadline"] + 1)
    assert Purchase.objects.get(pk=order["id"]).status == "expired"


def _get(client, path, key):
    return client.get(path, **auth(key))


def test_a_buyer_who_lost_the_calls_gets_them_again_from_the_order_and_pays_with_them(
    published, key, settings
):
    client = Client()
    placed = _order(client, key).json()
    path = f"/api/v1/market/orders/{placed['id']}"
    read = _get(client, path, key)
    assert read.status_code == 200, read.content
    assert read.json()["status"] == "awaiting"
    assert read.json()["calls"] == placed["calls"] and len(placed["calls"]) == 2
    # Asking the chain now answers the same while nothing is paid.
    checked = _post(client, path, {}, key)
    assert checked.status_code == 200 and checked.json()["calls"] == placed["calls"]

    # The calls read back pay the order.
    fund_gas()
    for _ in range(3):
        _post(client, "/api/v1/market/test-dollars", {"address": BUYER.address}, key)
    approve_call, purchase_call = read.json()["calls"]
    send(approve_call)
    assert send(purchase_call)["status"] == 1
    settings.REWARD_WORKER_ON_DEMAND = True
    paid = _post(client, path, {}, key)
    assert paid.json()["status"] == "paid" and paid.json()["calls"] == []
    assert _get(client, path, key).json()["calls"] == []


def test_an_order_gives_no_calls_once_its_quote_has_lapsed_or_expired(published, key, evm):
    client = Client()
    placed = _order(client, key).json()
    path = f"/api/v1/market/orders/{placed['id']}"
    tester = evm.get().w3.provider.ethereum_tester
    tester.time_travel(placed["deadline"])
    tester.mine_blocks(1)
    # Payable up to and including its deadline (the contract's rule).
    assert _get(client, path, key).json()["calls"] == placed["calls"]
    tester.time_travel(placed["deadline"] + 60)
    tester.mine_blocks(1)
    # Past its deadline on the chain's clock, before the market's pass marks it expired.
    lapsed = _get(client, path, key).json()
    assert (lapsed["status"], lapsed["calls"]) == ("awaiting", [])
    market.orders_expire(chain_now=placed["deadline"] + 1)
    expired = _get(client, path, key).json()
    assert (expired["status"], expired["calls"]) == ("expired", [])
    listed = _get(client, "/api/v1/market/orders", key).json()
    assert "calls" not in listed[0]


def test_an_awaiting_order_is_still_read_when_the_chain_cannot_be_reached(
    published, key, evm, settings
):
    client = Client()
    placed = _order(client, key).json()
    # A node that refuses connections (the discard port): the order answers, calls null.
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"
    settings.CHAIN_PRIVATE_KEY = "0x" + "11" * 32
    settings.CHAIN_TIMEOUT = 2
    evm.reset()
    read = _get(client, f"/api/v1/market/orders/{placed['id']}", key)
    assert read.status_code == 200, read.content
    assert (read.json()["status"], read.json()["calls"]) == ("awaiting", None)


def test_the_schema_documents_the_calls_of_an_order(published, key):
    schema = Client().get("/api/v1/schema?format=json").json()
    read = schema["paths"]["/api/v1/market/orders/{order_id}"]["get"]
    ref = read["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    calls = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]["calls"]
    assert calls["type"] == "array" and calls["items"]["$ref"].endswith("/Call")
    assert calls["nullable"] is True and "awaiting" in calls["description"]


@pytest.mark.parametrize(
    "overrides, status, code",
    [
        ({"buyer_address": "0x123"}, 400, None),
        ({"buyer_address": "0x" + "0" * 40}, 400, "bad_address"),
        ({"dataset": "no-such-set"}, 404, "not_found"),
        ({"version": 2}, 404, "not_found"),
        ({"extra": 1}, 400, "unknown_fields"),
        ({"version": "1"}, 400, None),
    ],
)
def test_a_bad_order_is_refused_and_stores_nothing(published, key, overrides, status, code):
    answer = _order(Client(), key, **overrides)
    assert answer.status_code == status, answer.content
    if code:
        assert answer.json()["code"] == code
    assert Purchase.objects.count() == 0


def test_a_key_without_the_buying_scope_cannot_order(published, buyer_org, bob):
    reader = make_key(buyer_org, scopes=["data:read"], user=bob)
    answer = _order(Client(), reader)
    assert answer.status_code == 403
    assert Purchase.objects.count() == 0


def test_a_version_not_yet_published_cannot_be_ordered(product, operator, key, evm):
    market.version_freeze(product_id=product.pk, operator=operator)
    answer = _order(Client(), key)
    assert answer.status_code == 404
    assert "No published version 1" in answer.json()["detail"]


def test_a_dataset_without_a_price_cannot_be_ordered_and_stores_nothing(published, key):
    # The admin accepts a price of 0; the order used to be signed, then its insert
    # broke the purchase's amount check: a 500.
    type(published.product).objects.filter(pk=published.product_id).update(price_amount=0)
    client = Client(raise_request_exception=False)
    answer = _order(client, key)
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "not_for_sale"
    assert Purchase.objects.count() == 0


def test_a_price_too_large_for_the_tokens_decimals_is_refused_before_signing(
    published, key, monkeypatch
):
    # 2,500 USD in an 18-decimal token (DAI) is 2.5e21 base units, more than a
    # purchase's 64-bit amount holds: the quote was signed, then the insert
    # failed with a 500. Now a 409 that says so, nothing signed or stored.
    import dataclasses

    real = market_payments.payment_info()
    monkeypatch.setattr(
        market_payments, "payment_info", lambda: dataclasses.replace(real, decimals=18)
    )
    signed = []
    monkeypatch.setattr(market_payments, "quote_sign", lambda **kw: signed.append(kw))
    client = Client(raise_request_exception=False)
    answer = _order(client, key)
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "price_too_large"
    assert "18 decimals" in answer.json()["detail"]
    assert signed == [] and Purchase.objects.count() == 0
    # A price that fits in those decimals (9 USD) is still priced.
    version = market.sellable_version(product_slug="arena-prefs", number=1)
    type(version.product).objects.filter(pk=version.product_id).update(price_amount=900)
    version = market.sellable_version(product_slug="arena-prefs", number=1)
    assert market.price_in_units(version=version, decimals=18) == 9 * 10**18


def test_an_operator_records_an_off_chain_payment_once(published, buyer_org, operator, alice):
    purchase = market_flow.payment_record_offchain(
        operator=operator,
        version_id=published.pk,
        organization_id=buyer_org.pk,
        amount_cents=100_000,
        reference="INV-2026-0042",
    )
    assert purchase.status == "paid" and purchase.sale_points == 1_000_000
    assert purchase.fee_points + sum(s.points for s in purchase.shares.all()) == 1_000_000
    with pytest.raises(ApiError) as again:
        market_flow.payment_record_offchain(
            operator=operator,
            version_id=published.pk,
            organization_id=buyer_org.pk,
            amount_cents=100_000,
            reference="INV-2026-0042",
        )
    assert again.value.status_code == 409
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1
    with pytest.raises(ApiError) as not_staff:
        market_flow.payment_record_offchain(
            operator=alice,
            version_id=published.pk,
            organization_id=buyer_org.pk,
            amount_cents=1,
            reference="X",
        )
    assert not_staff.value.status_code == 403


@pytest.mark.parametrize("again", [" inv-2026-0042", "Inv-2026-0042 ", "INV-2026-0042\t"])
def test_a_reference_typed_in_another_case_is_the_same_payment(
    published, buyer_org, operator, again
):
    """Red-team finding: " inv-4" booked the payment of "INV-4" a second time,
    every contributor paid twice."""

    def record(reference):
        return market_flow.payment_record_offchain(
            operator=operator,
            version_id=published.pk,
            organization_id=buyer_org.pk,
            amount_cents=250_000,
            reference=reference,
        )

    record("INV-2026-0042")
    with pytest.raises(ApiError) as twice:
        record(again)
    assert twice.value.status_code == 409 and twice.value.code == "duplicate_payment"
    assert Purchase.objects.filter(method="offchain").count() == 1
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1
    # And the database says so too, should two operators pass the check at once.
    from django.db import IntegrityError, transaction

    first = Purchase.objects.get(method="offchain")
    with pytest.raises(IntegrityError), transaction.atomic():
        Purchase.objects.create(
            version=first.version,
            organization_id=first.organization_id,
            method="offchain",
            status="paid",
            amount=1,
            decimals=first.decimals,
            currency="USD",
            reference="inv-2026-0042",
            created_by=operator,
            created_at=first.created_at,
            paid_at=first.paid_at,
            sale_points=0,
            fee_points=0,
        )


@pytest.mark.parametrize("cents", [0, market.OFFCHAIN_MAX_CENTS + 1, 2**63])
def test_an_off_chain_amount_out_of_bounds_is_refused_with_words(
    published, buyer_org, operator, cents
):
    with pytest.raises(ApiError) as bad:
        market_flow.payment_record_offchain(
            operator=operator,
            version_id=published.pk,
            organization_id=buyer_org.pk,
            amount_cents=cents,
            reference="INV-BIG",
        )
    assert bad.value.status_code == 400 and bad.value.code == "bad_amount"
    assert not Purchase.objects.exists()


def test_an_operator_records_an_off_chain_payment_in_the_admin(published, buyer_org, operator):
    client = Client()
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    client.force_login(operator)
    url = "/admin/market/purchase/record-offchain/"
    assert client.get(url).status_code == 200
    assert "Record an off-chain payment" in client.get("/admin/market/purchase/").content.decode()
    body = {
        "version": published.pk,
        "organization": buyer_org.pk,
        "amount_cents": "250000",
        "reference": "BANK-7781",
    }
    answer = client.post(url, body)
    assert answer.status_code == 302
    again = client.post(url, body)
    assert again.status_code == 200 and "already recorded" in again.content.decode()
    assert Purchase.objects.filter(method="offchain").count() == 1
    bad = client.post(url, {**body, "amount_cents": "0", "reference": "X"})
    assert bad.status_code == 200 and Purchase.objects.count() == 1


def test_the_admin_refuses_a_second_sale_of_a_version_the_organisation_bought(
    published, buyer_org, operator, market_arena
):
    client = Client()
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    client.force_login(operator)
    url = "/admin/market/purchase/record-offchain/"
    body = {
        "version": published.pk,
        "organization": buyer_org.pk,
        "amount_cents": "250000",
        "reference": "BANK-7781",
    }
    assert client.post(url, body).status_code == 302
    first = Purchase.objects.get()
    shares = list(SaleShare.objects.values_list("pk", "points"))

    # Another payment (another reference) for the same version and organisation.
    again = client.post(url, {**body, "reference": "BANK-7782"})
    assert again.status_code == 200
    page = again.content.decode()
    assert (
        f"Zephyrine Labs has already bought version 1 of Arena preferences (purchase "
        f"{first.pk}): a second sale would pay its contributors twice. Nothing was recorded."
    ) in page
    assert list(Purchase.objects.all()) == [first]
    assert list(SaleShare.objects.values_list("pk", "points")) == shares
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1

    # The flow says so with the order's code; another organisation can still buy.
    with pytest.raises(ApiError) as twice:
        market_flow.payment_record_offchain(
            operator=operator,
            version_id=published.pk,
            organization_id=buyer_org.pk,
            amount_cents=1,
            reference="BANK-7783",
        )
    assert (twice.value.status_code, twice.value.code) == (409, "already_bought")
    other = market_arena["orgs"]["quorvex-ai"]
    assert (
        client.post(url, {**body, "organization": other.pk, "reference": "Q-1"}).status_code == 302
    )
    assert Purchase.objects.count() == 2


def test_an_off_chain_sale_waits_while_an_order_of_the_version_can_be_paid_on_chain(
    published, buyer_org, operator, key
):
    # The buyer's wallet can still pay the order: a sale recorded now too would
    # pay the contributors twice.
    order = _order(Client(), key).json()

    def record(reference):
        return market_flow.payment_record_offchain(
            operator=operator,
            version_id=published.pk,
            organization_id=buyer_org.pk,
            amount_cents=250_000,
            reference=reference,
        )

    with pytest.raises(ApiError) as waiting:
        record("BANK-9001")
    assert (waiting.value.status_code, waiting.value.code) == (409, "order_waiting")
    assert f"Order {order['id']} of Zephyrine Labs for version 1 of" in waiting.value.detail
    assert "Nothing was recorded." in waiting.value.detail
    assert list(Purchase.objects.values_list("pk", "status")) == [(order["id"], "awaiting")]
    assert not LedgerTransaction.objects.filter(kind="sale").exists()

    market.orders_expire(chain_now=order["deadline"] + 1)
    assert record("BANK-9001").status == "paid"
    assert LedgerTransaction.objects.filter(kind="sale").count() == 1


def test_an_order_that_slips_past_an_off_chain_sale_is_refused_and_stores_nothing(
    published, buyer_org, operator, key, monkeypatch
):
    # The order's check ran before the operator's sale committed: the order,
    # inserted after it, sees the sale and is not kept.
    from datafi.market import selectors as market_selectors

    market_flow.payment_record_offchain(
        operator=operator,
        version_id=published.pk,
        organization_id=buyer_org.pk,
        amount_cents=250_000,
        reference="BANK-9002",
    )
    monkeypatch.setattr(market_selectors, "version_buyer", lambda **kwargs: None)
    late = _order(Client(), key)
    assert late.status_code == 409 and late.json()["code"] == "already_bought"
    assert list(Purchase.objects.values_list("method", "status")) == [("offchain", "paid")]


def _export(client, key, **params):
    query = "&".join(
        f"{k}={v}" for k, v in {"dataset": "arena-prefs", "version": 1, **params}.items()
    )
    return client.get(f"/api/v1/datasets/export?{query}", **auth(key))


def test_a_version_downloads_only_once_bought_in_every_format_and_is_logged(
    published, key, buyer_org, operator, market_arena, bob
):
    from datafi.accounts import services as account_services
    from datafi.market import selectors as market_selectors
    from datafi.market.models import DownloadLog

    client = Client()
    refused = _export(client, key, format="datafi-rows")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not_bought"
    # The price as the catalogue writes it (datafi.market.presentation.price_display).
    assert "costs $2,500.00." in refused.json()["detail"]

    market_flow.payment_record_offchain(
        operator=operator,
        version_id=published.pk,
        organization_id=buyer_org.pk,
        amount_cents=250_000,
        reference="INV-DL",
    )
    for fmt in ("datafi-rows", "arena-jsonl", "kaggle-csv", "dpo-jsonl", "parquet", "hf"):
        answer = _export(client, key, format=fmt)
        assert answer.status_code == 200, (fmt, answer.content[:200])
        body = b"".join(answer.streaming_content)
        assert body, fmt
        if fmt == "datafi-rows":
            lines = body.decode().splitlines()
            compared = market_selectors.copy_compare(version=published, lines=lines)
            assert compared["root"] == published.root and compared["rows"] == published.row_count
    assert DownloadLog.objects.filter(organization=buyer_org).count() == 6

    # Another organisation has not bought it; a missing half of the pair is refused.
    other = market_arena["orgs"]["quorvex-ai"]
    account_services.membership_add(organization=other, user=bob, role="owner")
    other_key = make_key(other, user=bob)
    assert _export(client, other_key, format="parquet").status_code == 403
    half = client.get("/api/v1/datasets/export?dataset=arena-prefs&format=parquet", **auth(key))
    assert half.status_code == 400
    rows_only = client.get("/api/v1/datasets/export?format=datafi-rows", **auth(key))
    assert rows_only.status_code == 400
    assert _export(client, key, format="hf", compression="gzip").status_code == 400
    assert _export(client, key, version=9, format="parquet").status_code == 404
    assert DownloadLog.objects.count() == 6


def test_test_dollars_to_a_bad_or_zero_address_are_refused_in_words(published, key):
    client = Client()
    zero = _post(client, "/api/v1/market/test-dollars", {"address": "0x" + "0" * 40}, key)
    assert zero.status_code == 400 and zero.json()["code"] == "bad_address"
    bad = _post(client, "/api/v1/market/test-dollars", {"address": "0xZZ"}, key)
    assert bad.status_code == 400


def test_an_event_that_does_not_match_its_order_is_logged_and_does_not_stop_the_scan(
    published, key, caplog
):
    from django.db import transaction

    order = _order(Client(), key).json()
    with transaction.atomic():
        booked = market.purchase_paid_onchain_locked(
            order_id=order["order_id"],
            buyer=BUYER.address,
            dataset=published.product_id,
            version=1,
            amount=1,  # not the order's amount
            network="test",
            tx_hash="0x" + "ab" * 32,
            log_index=0,
            block_number=1,
        )
    assert booked is None
    assert Purchase.objects.get(pk=order["id"]).status == "awaiting"
    assert "does not match the order" in caplog.text
