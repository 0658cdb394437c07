"""A node that comes back behind the database (issue #12, D9).

The node is rolled back after a claim was settled: the settlement is reopened,
what the chain lost is sent again and paid once, and later payouts still go
out (no nonce left ahead of the node's). On the in-process EVM and on anvil.
"""

import pytest
from eth_account import Account as EthAccount

from rewards.merkle import UNITS_PER_POINT
from rewards.models import ChainTx, Epoch, NonceCursor, Redemption
from rewards.services import ledger, payouts, redemptions
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet, wallet_key, wallet_of

pytestmark = pytest.mark.django_db


def _ticks(n: int = 3):
    for _ in range(n):
        report = payouts.worker_tick()
        assert report.errors == []


def _paid(name: str) -> int:
    from rewards import chain

    return chain.token_balance(wallet_of(name).address) // UNITS_PER_POINT


def _tick_until(done, n: int = 5):
    # One pass normally suffices; on a loaded machine a node may answer a
    # receipt a moment after the send, and the next pass picks it up (as the
    # worker's loop does).
    for _ in range(n):
        payouts.worker_tick()
        if done():
            return
    raise AssertionError(f"not done after {n} worker passes")


def _redeem_and_claim(user, points: int, key: str):
    redemption, _created = redemptions.redemption_request(
        user=user, points=points, idempotency_key=key
    )
    row = Redemption.objects.filter(pk=redemption.pk)
    _tick_until(lambda: row.get().status == Redemption.Status.CLAIMABLE)
    payouts.claim_request(user=user)
    _tick_until(lambda: row.get().status == Redemption.Status.SETTLED)


# --- in-process EVM ----------------------------------------------------------------


def test_a_settled_claim_the_chain_lost_is_reopened_sent_again_and_paid_once(evm, alice):
    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    evm.deployment()
    w3 = evm.get().w3
    snapshot = w3.testing.snapshot()
    _redeem_and_claim(alice, 10, "k1")  # one block publishes, one block claims
    redemption = Redemption.objects.get()
    assert redemption.status == Redemption.Status.SETTLED and _paid("alice") == 10

    w3.testing.revert(snapshot)  # the node comes back two blocks behind the database
    assert _paid("alice") == 0 and evm.onchain_root()[1] == 0

    _ticks()
    assert _paid("alice") == 10
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.SETTLED
    assert redemption.reopened == 1
    assert evm.onchain_root() == (Epoch.objects.get().root, 1)
    # The same signed transactions went out again: nothing was signed twice.
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    assert ChainTx.objects.filter(purpose="claim").count() == 1
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 0, "redeemed": 10}
    assert_ledger_sound()

    # And the next payout is signed at the node's nonce, so it goes through.
    _redeem_and_claim(alice, 10, "k2")
    assert _paid("alice") == 20
    assert set(Redemption.objects.values_list("status", flat=True)) == {"settled"}
    assert ledger.balances_for(alice).as_dict() == {"available": 10, "escrow": 0, "redeemed": 20}
    assert_ledger_sound()


def test_a_settlement_still_on_chain_is_left_alone(evm, alice):
    for _ in range(2):
        award(alice, 10)
    link_wallet(alice)
    _redeem_and_claim(alice, 10, "k1")
    _ticks()
    redemption = Redemption.objects.get()
    assert redemption.status == Redemption.Status.SETTLED and redemption.reopened == 0
    assert redemption.claim_block is not None
    assert ledger.balances_for(alice).redeemed == 10
    assert_ledger_sound()


# --- anvil --------------------------------------------------------------------------


def rpc(method, params=()):
    from rewards import chain

    return chain.get().w3.provider.make_request(method, list(params))


@pytest.mark.anvil
def test_on_anvil_a_rollback_of_two_blocks_is_reconciled_and_payouts_go_on(anvil_node, alice):
    from rewards import chain

    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    chain.deployment()
    snapshot = rpc("evm_snapshot")["result"]
    w3 = chain.get().w3
    head = w3.eth.block_number
    _redeem_and_claim(alice, 10, "k1")
    assert w3.eth.block_number == head + 2
    assert Redemption.objects.get().status == Redemption.Status.SETTLED and _paid("alice") == 10

    assert rpc("evm_revert", [snapshot])["result"] is True
    assert w3.eth.block_number == head and _paid("alice") == 0

    _ticks()
    assert _paid("alice") == 10 and chain.claimed_points(wallet_of("alice").address) == 10
    redemption = Redemption.objects.get()
    assert redemption.status == Redemption.Status.SETTLED and redemption.reopened == 1
    cursor = NonceCursor.objects.get()
    assert cursor.next_nonce == chain.get().w3.eth.get_transaction_count(cursor.address)

    _redeem_and_claim(alice, 10, "k2")
    assert _paid("alice") == 20
    assert list(Epoch.objects.order_by("number").values_list("status", flat=True)) == [
        "published",
        "published",
    ]
    assert set(Redemption.objects.values_list("status", flat=True)) == {"settled"}
    assert ledger.balances_for(alice).as_dict() == {"available": 10, "escrow": 0, "redeemed": 20}
    assert_ledger_sound()


@pytest.mark.anvil
def test_on_anvil_a_nonce_gap_the_node_does_not_hold_is_closed_from_its_count(anvil_node, alice):
    """The relayer's claim reverts (the wallet claimed itself in the same block), then
    the node rolls back: the reverted claim cannot be sent again, and the nonce it
    took must not stay a gap in front of every later transaction."""
    from rewards import chain

    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="k1")
    # The epoch's root is published and confirmed: one pass when the node mines at
    # once, a second when the receipt came after the pass looked (a loaded CI run).
    for _ in range(3):
        _ticks(1)
        if Redemption.objects.get().status == Redemption.Status.CLAIMABLE:
            break
    assert Redemption.objects.get().status == Redemption.Status.CLAIMABLE
    snapshot = rpc("evm_snapshot")["result"]

    w3 = chain.get().w3
    own = EthAccount.from_key(wallet_key("alice"))
    rpc("anvil_setBalance", [own.address, hex(10**18)])
    rpc("evm_setAutomine", [False])
    payouts.claim_request(user=alice)  # the relayer's claim waits in the pool
    proof = payouts.proof_for(own.address)
    to, data = chain.claim_call(
        account=own.address, cumulative_points=proof["cumulative_points"], proof=proof["proof"]
    )
    signed = own.sign_transaction(
        {
            "to": to,
            "data": data,
            "value": 0,
            "gas": 300_000,
            "gasPrice": w3.eth.gas_price * 50,
            "nonce": 0,
            "chainId": chain.chain_id(),
        }
    )
    w3.eth.send_raw_transaction(signed.raw_transaction)  # outbids the relayer
    rpc("evm_mine")
    rpc("evm_setAutomine", [True])
    _ticks(2)
    relayed = ChainTx.objects.get(purpose="claim")
    assert relayed.status == ChainTx.Status.REVERTED
    assert Redemption.objects.get().status == Redemption.Status.SETTLED and _paid("alice") == 10

    assert rpc("evm_revert", [snapshot])["result"] is True
    assert _paid("alice") == 0
    _ticks()
    assert _paid("alice") == 10
    relayed.refresh_from_db()
    assert relayed.status == ChainTx.Status.DROPPED
    redemption = Redemption.objects.get()
    assert redemption.status == Redemption.Status.SETTLED and redemption.reopened == 1
    cursor = NonceCursor.objects.get()
    assert cursor.next_nonce == w3.eth.get_transaction_count(cursor.address)

    _redeem_and_claim(alice, 10, "k2")
    assert _paid("alice") == 20
    assert set(Redemption.objects.values_list("status", flat=True)) == {"settled"}
    assert_ledger_sound()
