"""Faults the payout path must survive: a node that is down, a worker killed mid-send,
double claims and forged proofs."""

import pytest

from rewards.merkle import UNITS_PER_POINT, MerkleTree
from rewards.models import ChainTx, ClaimRequest, Epoch, Redemption
from rewards.services import ledger, payouts, redemptions
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet, wallet_of
from tests.rewards.contracts_fixtures import expect_revert

pytestmark = pytest.mark.django_db


class NodeDown:
    """Make the chain's provider fail like an unreachable node (connection refused)."""

    def __init__(self, chain, monkeypatch):
        from web3 import EthereumTesterProvider

        # web3 caches the provider's bound method; the embedded provider calls its
        # base class at request time, so that is where the outage goes.
        real = EthereumTesterProvider.make_request
        self.down = False

        def request(provider, method, params):
            if self.down:
                raise ConnectionRefusedError(f"node down ({method})")
            return real(provider, method, params)

        monkeypatch.setattr(EthereumTesterProvider, "make_request", request)


@pytest.fixture
def ready(alice, bob, evm):
    for user in (alice, bob):
        for _ in range(5):
            award(user, 10)
        link_wallet(user)
    evm.deployment()
    return evm


def redeem(user, points, key):
    return redemptions.redemption_request(user=user, points=points, idempotency_key=key)[0]


def test_the_node_down_during_publication_loses_nothing_and_completes_later(
    alice, ready, monkeypatch
):
    node = NodeDown(ready, monkeypatch)
    r = redeem(alice, 30, "a")
    node.down = True
    report = payouts.worker_tick()
    assert report.errors and "unavailable" in report.errors[0]
    r.refresh_from_db()
    assert r.status == Redemption.Status.PUBLISHING  # says what is pending
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHING
    report = payouts.worker_tick()  # still down: nothing changes, nothing is lost
    assert ledger.balances_for(alice).escrow == 30
    node.down = False
    payouts.worker_tick()
    r.refresh_from_db()
    assert r.status == Redemption.Status.CLAIMABLE
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    assert_ledger_sound()


def test_a_signed_publication_that_never_reached_the_node_is_sent_later(alice, ready, monkeypatch):
    node = NodeDown(ready, monkeypatch)
    from rewards import chain

    real_broadcast_send = ready.get().w3.eth.send_raw_transaction

    def down_at_broadcast(raw):
        node.down = True
        return real_broadcast_send(raw)

    monkeypatch.setattr(ready.get().w3.eth, "send_raw_transaction", down_at_broadcast)
    redeem(alice, 30, "a")
    payouts.worker_tick()
    tx = ChainTx.objects.get(purpose="publish")
    assert tx.status == ChainTx.Status.SIGNED and "unreachable" in tx.last_error
    node.down = False
    monkeypatch.setattr(ready.get().w3.eth, "send_raw_transaction", real_broadcast_send)
    payouts.worker_tick()
    tx.refresh_from_db()
    assert tx.status == ChainTx.Status.CONFIRMED
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHED
    assert chain.onchain_root()[1] == 1


def test_the_node_down_during_a_claim_loses_nothing(alice, ready, monkeypatch):
    node = NodeDown(ready, monkeypatch)
    redeem(alice, 30, "a")
    payouts.worker_tick()
    node.down = True
    from rewards import chain

    with pytest.raises(chain.ChainUnavailable):
        payouts.claim_request(user=alice)
    assert ClaimRequest.objects.count() == 1  # the intent is recorded
    assert Redemption.objects.get().status == Redemption.Status.CLAIMABLE
    node.down = False
    payouts.worker_tick()  # the worker submits the recorded claim
    payouts.worker_tick()
    assert Redemption.objects.get().status == Redemption.Status.SETTLED
    assert chain.token_balance(wallet_of("alice").address) == 30 * UNITS_PER_POINT
    assert_ledger_sound()


class Killed(BaseException):
    """Stands for the worker process dying (not an Exception: nothing catches it)."""


def test_a_worker_killed_between_broadcast_and_receipt_resumes_without_paying_twice(
    alice, ready, monkeypatch
):
    from rewards import chain

    redeem(alice, 30, "a")
    payouts.worker_tick()
    real = chain.broadcast

    def broadcast_then_die(tx):
        chain.get().w3.eth.send_raw_transaction(tx.raw)  # the node has it...
        raise Killed  # ...and the worker dies before recording anything more

    monkeypatch.setattr(chain, "broadcast", broadcast_then_die)
    with pytest.raises(Killed):
        payouts.claim_request(user=alice)
    tx = ChainTx.objects.get(purpose="claim")
    assert tx.status == ChainTx.Status.SIGNED  # the hash was stored before broadcast
    monkeypatch.setattr(chain, "broadcast", real)
    payouts.worker_tick()  # the restarted worker
    payouts.worker_tick()
    assert ChainTx.objects.filter(purpose="claim").count() == 1
    assert Redemption.objects.get().status == Redemption.Status.SETTLED
    assert chain.token_balance(wallet_of("alice").address) == 30 * UNITS_PER_POINT
    nonce = chain.get().w3.eth.get_transaction_count(chain.get().address)
    assert nonce == tx.nonce + 1  # no other transaction was signed for it
    assert_ledger_sound()


def test_a_worker_killed_after_publishing_does_not_publish_again(alice, ready, monkeypatch):
    from rewards import chain

    redeem(alice, 30, "a")

    def die(tx):
        chain.get().w3.eth.send_raw_transaction(tx.raw)
        raise Killed

    monkeypatch.setattr(chain, "broadcast", die)
    with pytest.raises(Killed):
        payouts.worker_tick()
    monkeypatch.undo()
    payouts.worker_tick()
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    assert chain.onchain_root() == (Epoch.objects.get().root, 1)


def test_epochs_accumulate_and_a_wallet_claims_everything_once(alice, bob, ready):
    from rewards import chain

    redeem(alice, 10, "a1")
    payouts.worker_tick()
    redeem(alice, 20, "a2")
    redeem(bob, 40, "b1")
    payouts.worker_tick()
    assert Epoch.objects.count() == 2
    leaves = dict(Epoch.objects.get(number=2).leaves.values_list("address", "cumulative_points"))
    assert leaves == {wallet_of("alice").address: 30, wallet_of("bob").address: 40}
    payouts.claim_request(user=alice)
    payouts.worker_tick()
    assert chain.token_balance(wallet_of("alice").address) == 30 * UNITS_PER_POINT
    assert set(Redemption.objects.filter(user=alice).values_list("status", flat=True)) == {
        "settled"
    }
    assert Redemption.objects.get(user=bob).status == "claimable"
    assert_ledger_sound()


def test_a_double_claim_and_a_forged_proof_revert(alice, mallory, ready):
    from rewards import chain

    redeem(alice, 30, "a")
    payouts.worker_tick()
    payouts.claim_request(user=alice)
    payouts.worker_tick()
    c = chain.get()
    dist = chain.distributor()
    sender = c.w3.eth.accounts[2]
    proof = payouts.proof_for(wallet_of("alice").address)
    again = dist.functions.claim(wallet_of("alice").address, 30 * UNITS_PER_POINT, proof["proof"])
    assert expect_revert(dist, again, sender=sender)[0] == "NothingToClaim"
    # mallory builds her own tree paying herself and submits its proof.
    fake = MerkleTree(
        [(wallet_of("mallory").address, 10**6 * UNITS_PER_POINT), (wallet_of("alice").address, 1)]
    )
    forged = dist.functions.claim(
        wallet_of("mallory").address,
        10**6 * UNITS_PER_POINT,
        fake.proof(wallet_of("mallory").address),
    )
    assert expect_revert(dist, forged, sender=sender)[0] == "InvalidProof"
    # Alice's proof with a bigger amount is refused as well.
    inflated = dist.functions.claim(
        wallet_of("alice").address, 31 * UNITS_PER_POINT, proof["proof"]
    )
    assert expect_revert(dist, inflated, sender=sender)[0] == "InvalidProof"
    assert chain.token_balance(wallet_of("mallory").address) == 0
    # The relayer refuses to send a claim that would revert.
    with pytest.raises(chain.ChainReverted):
        chain.submit(
            label="forged",
            purpose="claim",
            to=forged.address,
            data=forged._encode_transaction_data(),
        )


def test_a_reverted_publication_returns_the_points(alice, ready, monkeypatch):
    from rewards import chain

    redeem(alice, 30, "a")
    # Someone else's key took the distributor's epoch far ahead: our publish would revert.
    monkeypatch.setattr(
        chain,
        "publish_call",
        lambda root, epoch: (
            chain.distributor().address
            and (
                chain.distributor().address,
                chain.distributor().encode_abi("publishRoot", args=["0x" + "00" * 32, epoch]),
            )
        ),
    )
    payouts.worker_tick()
    r = Redemption.objects.get()
    assert r.status == Redemption.Status.CANCELLED and "ZeroRoot" in r.cancel_reason
    assert Epoch.objects.get().status == Epoch.Status.FAILED
    assert ledger.balances_for(alice).as_dict() == {"available": 50, "escrow": 0, "redeemed": 0}
    monkeypatch.undo()
    redeem(alice, 20, "b")
    payouts.worker_tick()
    assert Epoch.objects.get(number=2).status == Epoch.Status.PUBLISHED
    assert_ledger_sound()


def test_settlement_waits_for_the_configured_confirmations(alice, ready, settings):
    from rewards import chain

    settings.CHAIN_CONFIRMATIONS = 3
    redeem(alice, 30, "a")
    payouts.worker_tick()
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHING
    chain.mine(2)
    payouts.worker_tick()
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHED
    payouts.claim_request(user=alice)
    payouts.worker_tick()
    assert Redemption.objects.get().status == "claimable"  # mined, 1 confirmation of 3
    chain.mine(1)
    payouts.worker_tick()
    assert Redemption.objects.get().status == "claimable"
    chain.mine(1)
    payouts.worker_tick()
    assert Redemption.objects.get().status == "settled"


def test_a_relayed_claim_that_would_revert_does_not_stop_the_workers_pass(
    alice, bob, ready, settings
):
    # Between a new root being mined and its confirmations, the distributor holds the
    # new root while the last published epoch is the old one: a gasless claim of the
    # old one reverts (InvalidProof). Its request is retried by every pass, which used
    # to raise out of worker_tick: the pass ended before settling anything, and
    # manage.py rewards_worker died.
    from datafi.api import ApiError
    from rewards import chain

    settings.CHAIN_CONFIRMATIONS = 3
    redeem(alice, 30, "a")
    payouts.worker_tick()
    chain.mine(2)
    payouts.worker_tick()
    assert Epoch.objects.get(number=1).status == Epoch.Status.PUBLISHED
    redeem(bob, 40, "b")
    payouts.worker_tick()
    assert Epoch.objects.get(number=2).status == Epoch.Status.PUBLISHING
    with pytest.raises(ApiError) as refused:
        payouts.claim_request(user=alice)
    # In plain words, not the contract's error name.
    assert refused.value.status_code == 409 and "InvalidProof" not in refused.value.detail
    assert "newer list is being confirmed" in refused.value.detail
    assert "nothing is lost" in refused.value.detail
    assert ClaimRequest.objects.filter(chain_tx__isnull=True).count() == 1
    report = payouts.worker_tick()
    assert any("InvalidProof" in e for e in report.errors)
    chain.mine(2)
    payouts.worker_tick()
    chain.mine(3)
    payouts.worker_tick()
    assert Redemption.objects.get(user=alice).status == "settled"
    assert_ledger_sound()


def test_a_broadcast_racing_another_one_of_the_same_bytes_is_not_an_error(
    alice, ready, monkeypatch
):
    # Two workers find one stored transaction unknown to the node and both send its
    # bytes: the node mines the first, and refuses the second (its nonce is spent).
    # The in-process EVM refuses with eth_utils' ValidationError, which escaped
    # broadcast and ended the worker's pass (seen in CI as a failed worker tick).
    from rewards import chain

    redeem(alice, 30, "a")
    real_broadcast = chain.broadcast
    monkeypatch.setattr(chain, "broadcast", lambda tx: tx)  # stored, never sent
    payouts.worker_tick()
    tx = ChainTx.objects.get(purpose="publish")
    assert tx.status == ChainTx.Status.SIGNED
    monkeypatch.setattr(chain, "broadcast", real_broadcast)
    chain.get().w3.eth.send_raw_transaction(tx.raw)  # the other worker's send
    real_known = chain._known_to_node
    looks = []

    def known_to_node(c, t):
        looks.append(t.tx_hash)
        return False if len(looks) == 1 else real_known(c, t)  # looked before the other sent

    monkeypatch.setattr(chain, "_known_to_node", known_to_node)
    tx = chain.broadcast(tx)
    assert tx.status == ChainTx.Status.SENT
    payouts.worker_tick()
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHED
    assert ChainTx.objects.filter(purpose="publish").count() == 1


def test_a_sender_that_stalled_past_its_claim_sends_nothing_for_a_failed_epoch(
    alice, ready, monkeypatch
):
    # A worker claims the epoch's publication and stalls (here: in its gas estimate)
    # past PUBLISH_CLAIM. Another worker takes the claim over and fails the epoch
    # (e.g. payouts moved to another network), returning the points. The first
    # worker then linked its signed root to the failed epoch and sent it: the root
    # was live and the points back in the balance, paid twice.
    from datetime import timedelta

    from django.utils import timezone

    from rewards import chain

    redeem(alice, 30, "a")
    payouts.epoch_build()
    epoch = Epoch.objects.get()
    eth = chain.get().w3.eth
    real_estimate = eth.estimate_gas
    stalled = []

    def stall_then_estimate(*args, **kwargs):
        if not stalled:
            stalled.append(True)
            late = timezone.now() + payouts.PUBLISH_CLAIM + timedelta(seconds=1)
            other = payouts._epoch_claim_publication(epoch, now=late)
            assert other is not None  # the other worker's takeover
            payouts._epoch_failed(epoch, "taken over and failed", owner=other)
        return real_estimate(*args, **kwargs)

    monkeypatch.setattr(eth, "estimate_gas", stall_then_estimate)
    payouts.epoch_publish(epoch)
    epoch.refresh_from_db()
    assert (epoch.status, epoch.chain_tx_id) == (Epoch.Status.FAILED, None)
    assert not ChainTx.objects.filter(label=f"publish:{epoch.number}").exists()
    assert ready.onchain_root()[1] == 0  # nothing published
    assert Redemption.objects.get().status == Redemption.Status.CANCELLED
    assert ledger.balances_for(alice).as_dict() == {"available": 50, "escrow": 0, "redeemed": 0}
    assert_ledger_sound()
