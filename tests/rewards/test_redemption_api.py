"""Redemption, claim, summary and transparency endpoints: the happy path and every refusal."""

import json

import pytest

from rewards.models import Epoch, LedgerTransaction, Redemption
from rewards.services import ledger, payouts
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet, wallet_of

pytestmark = pytest.mark.django_db


def post(client, url, body=None, **headers):
    return client.post(
        url,
        data=json.dumps(body if body is not None else {}),
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def funded_alice(alice, evm):
    for _ in range(5):
        award(alice, 10)
    link_wallet(alice)
    return alice


def snapshot():
    return (
        LedgerTransaction.objects.count(),
        list(Redemption.objects.values_list("id", "status").order_by("id")),
    )


def test_a_redemption_with_an_idempotency_key_happens_once(client, funded_alice):
    client.force_login(funded_alice)
    first = post(client, "/api/rewards/redemptions", {"points": 20}, **{"Idempotency-Key": "abc"})
    assert first.status_code == 201
    again = post(client, "/api/rewards/redemptions", {"points": 20}, **{"Idempotency-Key": "abc"})
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["redemption"]["id"] == first.json()["redemption"]["id"]
    assert ledger.balances_for(funded_alice).as_dict()["escrow"] == 20
    reused = post(client, "/api/rewards/redemptions", {"points": 30}, **{"Idempotency-Key": "abc"})
    assert reused.status_code == 422
    assert_ledger_sound()


@pytest.mark.parametrize(
    ("body", "key", "status", "code"),
    [
        ({"points": 5}, "k", 400, "below_minimum"),
        ({"points": "20"}, "k", 400, "invalid_points"),
        ({"points": 20.5}, "k", 400, "invalid_points"),
        ({"points": True}, "k", 400, "invalid_points"),
        ({}, "k", 400, "invalid_points"),
        ({"points": 20}, None, 400, "invalid_idempotency_key"),
        ({"points": 20}, "x" * 101, 400, "invalid_idempotency_key"),
        ({"points": 51}, "k", 409, "insufficient_points"),
        ({"points": 10**15}, "k", 400, "invalid_points"),
    ],
)
def test_bad_redemption_requests_are_refused_and_change_nothing(
    client, funded_alice, body, key, status, code
):
    client.force_login(funded_alice)
    before = snapshot()
    headers = {"Idempotency-Key": key} if key else {}
    resp = post(client, "/api/rewards/redemptions", body, **headers)
    assert resp.status_code == status, resp.json()
    assert resp.json()["code"] == code
    assert snapshot() == before


def test_redeeming_needs_a_login_a_wallet_and_json(client, alice, evm):
    before = snapshot()
    resp = post(client, "/api/rewards/redemptions", {"points": 20}, **{"Idempotency-Key": "a"})
    assert resp.status_code == 401
    client.force_login(alice)
    award(alice, 10)
    award(alice, 10)
    resp = post(client, "/api/rewards/redemptions", {"points": 20}, **{"Idempotency-Key": "a"})
    assert resp.status_code == 409 and resp.json()["code"] == "no_wallet"
    resp = client.post("/api/rewards/redemptions", data={"points": 20})
    assert resp.status_code == 415
    assert client.get("/api/rewards/redemptions").status_code == 405
    assert snapshot()[1] == before[1]


def test_a_pending_redemption_can_be_cancelled_by_its_owner_only(client, funded_alice, mallory):
    client.force_login(funded_alice)
    rid = post(
        client, "/api/rewards/redemptions", {"points": 20}, **{"Idempotency-Key": "c"}
    ).json()["redemption"]["id"]
    client.force_login(mallory)
    before = snapshot()
    resp = post(client, f"/api/rewards/redemptions/{rid}/cancel")
    assert resp.status_code == 404
    assert snapshot() == before
    client.logout()
    assert post(client, f"/api/rewards/redemptions/{rid}/cancel").status_code == 401
    client.force_login(funded_alice)
    resp = post(client, f"/api/rewards/redemptions/{rid}/cancel")
    assert resp.status_code == 200 and resp.json()["redemption"]["status"] == "cancelled"
    explained = resp.json()["redemption"]["cancel_explained"]
    assert explained.startswith("You cancelled")
    assert ledger.balances_for(funded_alice).as_dict() == {
        "available": 50,
        "escrow": 0,
        "redeemed": 0,
    }
    again = post(client, f"/api/rewards/redemptions/{rid}/cancel")
    assert again.status_code == 409
    resp = post(client, "/api/rewards/redemptions/00000000-0000-0000-0000-000000000000/cancel")
    assert resp.status_code == 404
    assert client.post("/api/rewards/redemptions/not-a-uuid/cancel").status_code == 404
    assert_ledger_sound()
    # The history says what happened in plain words, not the ledger's memos
    # ("redemption <uuid> to 0x..", "cancelled by the user").
    history = client.get("/api/rewards/summary").json()["history"]
    cancel, redeem = history[:2]
    address = Redemption.objects.get(pk=rid).address
    assert (redeem["amount"], redeem["memo"]) == (-20, f"Set aside for a redemption to {address}")
    assert (cancel["amount"], cancel["memo"]) == (20, explained)
    assert not any(
        rid in line["memo"] or "cancelled by the user" in line["memo"] for line in history
    )


def test_a_redemption_in_an_epoch_cannot_be_cancelled(client, funded_alice):
    client.force_login(funded_alice)
    rid = post(
        client, "/api/rewards/redemptions", {"points": 20}, **{"Idempotency-Key": "c"}
    ).json()["redemption"]["id"]
    payouts.worker_tick()
    resp = post(client, f"/api/rewards/redemptions/{rid}/cancel")
    assert resp.status_code == 409 and resp.json()["code"] == "not_cancellable"
    assert ledger.balances_for(funded_alice).escrow == 20


def test_the_gasless_claim_endpoint_pays_and_refuses_what_is_not_claimable(
    client, funded_alice, mallory, evm
):
    client.force_login(funded_alice)
    resp = post(client, "/api/rewards/claim")
    assert resp.status_code == 409 and resp.json()["code"] == "nothing_to_claim"
    post(client, "/api/rewards/redemptions", {"points": 30}, **{"Idempotency-Key": "c"})
    payouts.worker_tick()
    client.force_login(mallory)
    assert post(client, "/api/rewards/claim").status_code == 409
    client.logout()
    assert post(client, "/api/rewards/claim").status_code == 401
    client.force_login(funded_alice)
    resp = post(client, "/api/rewards/claim")
    assert resp.status_code == 202, resp.json()
    assert resp.json()["tx"]["hash"].startswith("0x")
    # Clicking again sends nothing new.
    again = post(client, "/api/rewards/claim")
    assert again.status_code == 202 and again.json()["tx"]["hash"] == resp.json()["tx"]["hash"]
    payouts.worker_tick()
    summary = client.get("/api/rewards/summary").json()
    assert summary["balance"] == {"available": 20, "escrow": 0, "redeemed": 30}
    assert summary["redemptions"][0]["status"] == "settled"
    assert summary["redemptions"][0]["claim_tx"] == resp.json()["tx"]["hash"]
    assert post(client, "/api/rewards/claim").status_code == 409
    assert_ledger_sound()


def test_the_claim_call_for_a_self_claim_is_a_real_transaction(client, funded_alice, evm):
    client.force_login(funded_alice)
    assert client.get("/api/rewards/claim-call").status_code == 409
    post(client, "/api/rewards/redemptions", {"points": 30}, **{"Idempotency-Key": "c"})
    payouts.worker_tick()
    call = client.get("/api/rewards/claim-call").json()
    w3 = evm.get().w3
    # Any funded account can send it, as a wallet would.
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction(
            {"from": w3.eth.accounts[3], "to": call["to"], "data": call["data"]}
        )
    )
    payouts.worker_tick()
    assert Redemption.objects.get().status == "settled"
    assert evm.token_balance(wallet_of("alice").address) == 30 * 10**18


def test_the_summary_needs_a_login(client):
    assert client.get("/api/rewards/summary").status_code == 401
    assert client.get("/rewards/").status_code == 302


def test_the_rewards_page_renders(client, funded_alice):
    client.force_login(funded_alice)
    resp = client.get("/rewards/")
    assert resp.status_code == 200
    assert b"bal-available" in resp.content and wallet_of("alice").address.encode() in resp.content


def test_the_transparency_api_lists_epochs_and_proofs(client, funded_alice, carol):
    client.force_login(funded_alice)
    post(client, "/api/rewards/redemptions", {"points": 30}, **{"Idempotency-Key": "c"})
    payouts.worker_tick()
    client.logout()
    data = client.get("/api/transparency/epochs").json()
    assert len(data["epochs"]) == 1
    epoch = data["epochs"][0]
    assert epoch["status"] == "published" and epoch["tx"]["status"] == "confirmed"
    assert epoch["leaves"] == [
        {"address": wallet_of("alice").address, "cumulative_amount": str(30 * 10**18)}
    ]
    assert client.get("/api/transparency/epochs/1").json()["root"] == epoch["root"]
    assert client.get("/api/transparency/epochs/9").status_code == 404
    proof = client.get(f"/api/transparency/proof/{wallet_of('alice').address.lower()}").json()
    assert proof["cumulative_points"] == 30 and proof["root"] == epoch["root"]
    assert client.get(f"/api/transparency/proof/{wallet_of('carol').address}").status_code == 404
    assert client.get("/api/transparency/proof/0xzz").status_code == 400
    page = client.get("/transparency/")
    assert page.status_code == 200 and epoch["root"].encode() in page.content
    assert Epoch.objects.count() == 1
