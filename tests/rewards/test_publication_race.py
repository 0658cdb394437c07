"""Two payout workers on one epoch: the publication must be sent once and never refunded
while its root is on chain. The interleavings are forced, so these run on SQLite too."""

import pytest

from rewards import chain
from rewards.models import ChainTx, Epoch, Redemption
from rewards.services import ledger, payouts, redemptions
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet, wallet_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(alice, evm, settings):
    for _ in range(5):
        award(alice, 10)
    link_wallet(alice)
    evm.deployment()
    # Two confirmations: a publication is mined (root on chain) a block before the
    # worker that sent it may flip the epoch to published.
    settings.CHAIN_CONFIRMATIONS = 2
    return evm


def in_the_window_after_the_tx_check(monkeypatch, run):
    """Run ``run()`` once, right after the next ``submit`` looked for an existing tx.

    ``submit`` reads the pending nonce right after that check, before its gas
    estimate and its send: the window the suspected race needs.
    """
    eth = chain.get().w3.eth
    real = eth.get_transaction_count
    state = {"ran": False}

    def hooked(*args, **kwargs):
        if not state["ran"]:
            state["ran"] = True
            run()
        return real(*args, **kwargs)

    monkeypatch.setattr(eth, "get_transaction_count", hooked)
    return state


def finish_and_claim(alice):
    chain.mine(1)
    payouts.worker_tick()
    payouts.worker_tick()
    epoch = Epoch.objects.get(number=1)
    assert epoch.status == Epoch.Status.PUBLISHED
    assert Redemption.objects.get().status == Redemption.Status.CLAIMABLE
    payouts.claim_request(user=alice)
    chain.mine(1)
    payouts.worker_tick()
    assert Redemption.objects.get().status == Redemption.Status.SETTLED
    assert chain.token_balance(wallet_of("alice").address) == 30 * 10**18
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 0, "redeemed": 30}
    assert_ledger_sound()


def test_a_worker_publishing_inside_another_workers_send_window_never_refunds(
    alice, ready, monkeypatch
):
    redemptions.redemption_request(user=alice, points=30, idempotency_key="a")
    epoch_b = payouts.epoch_build()
    epoch_a = Epoch.objects.get(pk=epoch_b.pk)  # worker A's own copy of the in-flight epoch

    # Worker B has found no publication tx; worker A now publishes the whole epoch
    # (signs, stores, sends, mined) before B estimates gas and sends.
    state = in_the_window_after_the_tx_check(monkeypatch, lambda: payouts.epoch_publish(epoch_a))
    payouts.epoch_publish(epoch_b)
    assert state["ran"]
    monkeypatch.undo()

    epoch = Epoch.objects.get()
    assert chain.onchain_root() == (epoch.root, 1)
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    # The root is on chain, so the redemption must not have been cancelled and refunded.
    assert epoch.status != Epoch.Status.FAILED
    assert Redemption.objects.get().status != Redemption.Status.CANCELLED
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 30, "redeemed": 0}
    finish_and_claim(alice)


def test_a_publication_that_reverts_because_its_root_is_already_on_chain_is_not_refunded(
    alice, ready, monkeypatch
):
    # The same race one level down: the tx lands through ``submit`` itself (say a
    # worker whose claim on the epoch ran out), so only the revert path can tell.
    redemptions.redemption_request(user=alice, points=30, idempotency_key="a")
    epoch = payouts.epoch_build()
    to, data = chain.publish_call(root=epoch.root, epoch=epoch.number)
    state = in_the_window_after_the_tx_check(
        monkeypatch,
        lambda: chain.submit(label=f"publish:{epoch.number}", purpose="publish", to=to, data=data),
    )
    payouts.epoch_publish(epoch)
    assert state["ran"]
    monkeypatch.undo()
    assert chain.onchain_root() == (epoch.root, 1)
    assert Epoch.objects.get().status != Epoch.Status.FAILED
    assert Redemption.objects.get().status != Redemption.Status.CANCELLED
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    finish_and_claim(alice)


def test_a_root_already_on_chain_from_an_unrecorded_send_is_not_refunded(alice, ready):
    # The publisher key sent publishRoot outside ``submit`` (no ChainTx of ours knows it):
    # the chain alone says the root is live, and that is enough to keep the escrow.
    redemptions.redemption_request(user=alice, points=30, idempotency_key="a")
    epoch = payouts.epoch_build()
    c = chain.get()
    to, data = chain.publish_call(root=epoch.root, epoch=epoch.number)
    fields = {"from": c.address, "to": to, "data": data, "value": 0}
    signed = c.account.sign_transaction(
        {
            **{k: v for k, v in fields.items() if k != "from"},
            "gas": c.w3.eth.estimate_gas(fields) * 2,
            "gasPrice": c.w3.eth.gas_price * 2,
            "nonce": c.w3.eth.get_transaction_count(c.address, "pending"),
            "chainId": c.chain_id,
        }
    )
    c.w3.eth.send_raw_transaction(signed.raw_transaction)
    payouts.worker_tick()
    assert Redemption.objects.get().status != Redemption.Status.CANCELLED
    assert Epoch.objects.get().status != Epoch.Status.FAILED
    finish_and_claim(alice)
    assert Epoch.objects.get().chain_tx.tx_hash == chain.hexstr(signed.hash)


def test_a_publication_reverting_for_another_reason_still_returns_the_points(
    alice, ready, monkeypatch
):
    # The chain check must not keep escrow that no root on chain pays.
    redemptions.redemption_request(user=alice, points=30, idempotency_key="a")
    monkeypatch.setattr(
        chain,
        "publish_call",
        lambda root, epoch: (
            chain.distributor().address,
            chain.distributor().encode_abi("publishRoot", args=["0x" + "00" * 32, epoch]),
        ),
    )
    payouts.worker_tick()
    assert Epoch.objects.get().status == Epoch.Status.FAILED
    assert Redemption.objects.get().status == Redemption.Status.CANCELLED
    assert ledger.balances_for(alice).available == 50
    assert_ledger_sound()


def test_only_one_worker_owns_an_epochs_publication(alice, ready, monkeypatch):
    redemptions.redemption_request(user=alice, points=30, idempotency_key="a")
    epoch_b = payouts.epoch_build()
    epoch_a = Epoch.objects.get(pk=epoch_b.pk)
    seen = {}

    def worker_a():
        seen["a"] = payouts.epoch_publish(epoch_a)
        seen["a_sent"] = ChainTx.objects.filter(purpose="publish").count()

    in_the_window_after_the_tx_check(monkeypatch, worker_a)
    payouts.epoch_publish(epoch_b)
    monkeypatch.undo()
    # A found B's claim on the epoch and sent nothing; B's one transaction published it.
    assert seen["a_sent"] == 0
    assert seen["a"].status == Epoch.Status.PUBLISHING
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    assert Epoch.objects.get().chain_tx is not None


def test_a_relayed_claim_beaten_by_the_wallets_own_claim_settles_from_the_event(
    alice, ready, monkeypatch
):
    redemptions.redemption_request(user=alice, points=30, idempotency_key="a")
    payouts.worker_tick()
    chain.mine(1)
    payouts.worker_tick()
    proof = payouts.proof_for(wallet_of("alice").address)
    c = chain.get()

    def alice_claims_herself():
        call = chain.distributor().functions.claim(
            wallet_of("alice").address, 30 * 10**18, proof["proof"]
        )
        c.w3.eth.wait_for_transaction_receipt(call.transact({"from": c.w3.eth.accounts[3]}))

    # The relayer's claim finds no tx for the label, then the wallet's own claim lands.
    in_the_window_after_the_tx_check(monkeypatch, alice_claims_herself)
    payouts.claim_request(user=alice)  # NothingToClaim: not an error, nothing refunded
    monkeypatch.undo()
    assert ChainTx.objects.filter(purpose="claim").count() == 0
    chain.mine(1)
    payouts.worker_tick()
    assert Redemption.objects.get().status == Redemption.Status.SETTLED
    assert chain.token_balance(wallet_of("alice").address) == 30 * 10**18
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 0, "redeemed": 30}
    assert_ledger_sound()
