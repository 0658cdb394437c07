"""GETs of the rewards page and summary only read (issue #12: GET with side effects).

The payout worker's step sends chain transactions; with REWARD_WORKER_ON_DEMAND
(the embedded demo) it runs in the POSTs that act, which still take a
redemption through to settlement on their own.
"""

import json

import pytest

from rewards.models import ChainTx, Epoch, LedgerTransaction, NonceCursor, Redemption
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_redemption(alice, evm, settings):
    from rewards.services import redemptions

    settings.REWARD_WORKER_ON_DEMAND = True
    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    evm.deployment()
    redemptions.redemption_request(user=alice, points=20, idempotency_key="k")
    return alice


def _state(evm):
    c = evm.get()
    return (
        c.w3.eth.block_number,
        c.w3.eth.get_transaction_count(c.address),
        list(ChainTx.objects.values_list("tx_hash", "status").order_by("id")),
        list(Epoch.objects.values_list("number", "status")),
        list(Redemption.objects.values_list("id", "status")),
        list(NonceCursor.objects.values_list("next_nonce", flat=True)),
        LedgerTransaction.objects.count(),
    )


def test_a_get_of_the_rewards_page_or_summary_sends_no_transaction_and_changes_nothing(
    client, evm, waiting_redemption
):
    client.force_login(waiting_redemption)
    before = _state(evm)
    assert client.get("/rewards/").status_code == 200
    assert client.get("/api/rewards/summary").status_code == 200
    assert client.get("/api/rewards/summary").json()["redemptions"][0]["status"] == "pending"
    assert _state(evm) == before


def test_on_the_embedded_chain_the_posts_that_act_take_a_redemption_to_settlement(
    client, evm, alice, settings
):
    settings.REWARD_WORKER_ON_DEMAND = True
    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    client.force_login(alice)
    redeemed = client.post(
        "/api/rewards/redemptions",
        data=json.dumps({"points": 20}),
        content_type="application/json",
        headers={"Idempotency-Key": "k"},
    )
    assert redeemed.status_code == 201
    assert redeemed.json()["redemption"]["status"] == "claimable"
    claimed = client.post("/api/rewards/claim", data="{}", content_type="application/json")
    assert claimed.status_code == 202
    assert Redemption.objects.get().status == Redemption.Status.SETTLED
    assert client.get("/api/rewards/summary").json()["balance"] == {
        "available": 10,
        "escrow": 0,
        "redeemed": 20,
    }
    assert_ledger_sound()


def test_the_claim_call_of_a_payout_on_another_chain_is_refused_and_deploys_nothing(
    client, evm, alice
):
    from rewards.services import payouts, redemptions

    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=20, idempotency_key="k")
    payouts.worker_tick()
    client.force_login(alice)
    assert client.get("/api/rewards/claim-call").status_code == 200

    evm.reset()  # a server restart: the in-process chain starts anew, empty
    before = _state(evm)
    resp = client.get("/api/rewards/claim-call")
    assert resp.status_code == 409 and resp.json()["code"] == "other_chain"
    assert _state(evm) == before
    assert len(client.get("/api/transparency/epochs").json()["contracts"]) == 1
