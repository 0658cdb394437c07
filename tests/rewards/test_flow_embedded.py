"""The whole payout path on the in-process EVM: award, redeem, publish, claim, settle."""

import pytest

from datafi.api import ApiError
from rewards import selectors as rewards_selectors
from rewards.merkle import UNITS_PER_POINT
from rewards.models import ChainTx, Epoch, Redemption
from rewards.services import ledger, payouts, redemptions
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet, wallet_of

pytestmark = pytest.mark.django_db


def test_a_redemption_is_published_claimed_gaslessly_and_settled(evm, alice):
    for _ in range(5):
        award(alice, 10)
    link_wallet(alice)
    redemption, created = redemptions.redemption_request(
        user=alice, points=30, idempotency_key="k1"
    )
    assert created
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 30, "redeemed": 0}

    report = payouts.worker_tick()
    assert report.errors == []
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.CLAIMABLE
    epoch = Epoch.objects.get()
    assert epoch.status == Epoch.Status.PUBLISHED
    assert evm.onchain_root() == (epoch.root, 1)

    claim = payouts.claim_request(user=alice)
    assert claim.chain_tx.status in (ChainTx.Status.SENT, ChainTx.Status.MINED, "confirmed")
    payouts.worker_tick()
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.SETTLED
    assert redemption.claim_tx_hash == claim.chain_tx.tx_hash
    address = wallet_of("alice").address
    assert evm.token_balance(address) == 30 * UNITS_PER_POINT
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 0, "redeemed": 30}
    assert_ledger_sound()


# The worker drops stale connections before each pass (close_old_connections), which
# closes a PostgreSQL connection held inside a test-case transaction: run it outside one.
@pytest.mark.django_db(transaction=True)
def test_the_worker_command_publishes_pending_redemptions(evm, alice, capsys):
    from django.core.management import call_command

    for _ in range(2):
        award(alice, 10)
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=20, idempotency_key="w")
    call_command("rewards_worker", "--once")
    assert "epoch=1 (published)" in capsys.readouterr().out
    assert Redemption.objects.get().status == Redemption.Status.CLAIMABLE


def test_a_claim_settles_what_it_covers_and_a_newer_epoch_stays_claimable(evm, alice):
    # Hypothesis' shrunk state-machine example: the tick after a claim also publishes
    # redemptions that were pending when the user claimed.
    evm.deployment()
    link_wallet(alice)
    address = wallet_of("alice").address
    for _ in range(4):
        award(alice, 10)
    first, _ = redemptions.redemption_request(user=alice, points=10, idempotency_key="r1")
    payouts.worker_tick()
    first.refresh_from_db()
    assert (first.status, first.leaf_cumulative_points) == ("claimable", 10)
    later = [
        redemptions.redemption_request(user=alice, points=10, idempotency_key=key)[0]
        for key in ("r2", "r3")
    ]

    claim = payouts.claim_request(user=alice)
    assert claim.cumulative_points == 10  # what was published when the user asked
    report = payouts.worker_tick()
    assert report.errors == []
    assert (report.epoch, report.epoch_status, report.settled) == (2, "published", 1)

    # The claim paid exactly what it covered, once.
    first.refresh_from_db()
    assert first.status == "settled"
    assert first.claim_tx_hash == claim.chain_tx.tx_hash
    assert evm.claimed_points(address) == 10
    # The newer redemptions are in the latest published root, above the claimed amount.
    latest = Epoch.objects.get(number=2)
    assert dict(latest.leaves.values_list("address", "cumulative_points")) == {address: 30}
    for redemption in later:
        redemption.refresh_from_db()
        assert (redemption.status, redemption.epoch_id) == ("claimable", latest.pk)
        assert redemption.leaf_cumulative_points == 30
    assert ledger.balances_for(alice).as_dict() == {"available": 10, "escrow": 20, "redeemed": 10}

    # Claiming again pays the difference and settles the rest; nothing settles twice.
    second = payouts.claim_request(user=alice)
    assert second.cumulative_points == 30
    assert payouts.worker_tick().settled == 2
    assert payouts.worker_tick().settled == 0
    statuses = Redemption.objects.filter(user=alice).values_list("status", "claim_tx_hash")
    assert sorted(statuses) == sorted(
        [("settled", claim.chain_tx.tx_hash)] + [("settled", second.chain_tx.tx_hash)] * 2
    )
    assert evm.token_balance(address) == 30 * UNITS_PER_POINT
    assert ledger.balances_for(alice).as_dict() == {"available": 10, "escrow": 0, "redeemed": 30}
    assert_ledger_sound()


def _with_points(user, points):
    """``user`` with a linked wallet and ``points`` awarded, 10 at a time."""
    link_wallet(user)
    for _ in range(points // 10):
        award(user, 10)


def _redeem_and_claim(user, points, key):
    """Redeem, publish, claim gaslessly and settle: two worker passes."""
    redemptions.redemption_request(user=user, points=points, idempotency_key=key)
    payouts.worker_tick()
    payouts.claim_request(user=user)
    payouts.worker_tick()


def test_a_new_network_pays_only_what_was_redeemed_for_it(evm, alice):
    # The distributor pays cumulative amounts, and each network has its own
    # distributor with its own record of what was claimed. The first epoch on a
    # new network used to start from the previous network's published amounts:
    # its distributor (which had paid nothing) paid them again.
    _with_points(alice, 40)
    address = wallet_of("alice").address
    _redeem_and_claim(alice, 30, "old")
    assert evm.token_balance(address) == 30 * UNITS_PER_POINT
    old_network = evm.network()

    evm.reset()  # the operator moves payouts to another chain
    assert evm.network() != old_network
    later, _ = redemptions.redemption_request(user=alice, points=10, idempotency_key="new")
    report = payouts.worker_tick()
    assert report.errors == []
    epoch = Epoch.objects.get(number=2)
    assert epoch.network == evm.network()
    assert dict(epoch.leaves.values_list("address", "cumulative_points")) == {address: 10}
    later.refresh_from_db()
    assert (later.status, later.leaf_cumulative_points) == ("claimable", 10)

    payouts.claim_request(user=alice)
    payouts.worker_tick()
    later.refresh_from_db()
    assert later.status == Redemption.Status.SETTLED
    assert evm.token_balance(address) == 10 * UNITS_PER_POINT  # on the new chain: once
    assert ledger.balances_for(alice).as_dict() == {"available": 0, "escrow": 0, "redeemed": 40}
    assert_ledger_sound()


def test_a_root_built_for_one_network_is_never_published_on_another(evm, alice):
    _with_points(alice, 20)
    address = wallet_of("alice").address
    redemption, _ = redemptions.redemption_request(user=alice, points=20, idempotency_key="r")
    evm.deployment()
    epoch = payouts.epoch_build()
    assert epoch.status == Epoch.Status.PUBLISHING

    evm.reset()  # moved to another chain before the root was sent
    payouts.worker_tick()
    epoch.refresh_from_db()
    assert (epoch.status, epoch.chain_tx_id) == (Epoch.Status.FAILED, None)
    assert evm.onchain_root()[1] == 0  # the new distributor holds nothing of it
    redemption.refresh_from_db()
    assert redemption.status == Redemption.Status.CANCELLED
    assert "payouts moved to" in redemption.cancel_reason
    # Its owner reads what happened and what to do, not the operators' record.
    [row] = rewards_selectors.rewards_summary(user=alice)["redemptions"]
    assert "could not be published" in row["cancel_explained"]
    assert "Redeem them again" in row["cancel_explained"]
    history = rewards_selectors.rewards_summary(user=alice)["history"]
    assert history[0]["memo"] == row["cancel_explained"]
    assert not any("payouts moved to" in line["memo"] for line in history)
    assert ledger.balances_for(alice).as_dict() == {"available": 20, "escrow": 0, "redeemed": 0}

    # Redeemed again, on the new network, it is paid there once.
    _redeem_and_claim(alice, 20, "again")
    assert evm.token_balance(address) == 20 * UNITS_PER_POINT
    assert ledger.balances_for(alice).as_dict() == {"available": 0, "escrow": 0, "redeemed": 20}
    assert_ledger_sound()


def test_a_root_sent_on_the_old_network_keeps_new_epochs_waiting(evm, alice, settings):
    settings.CHAIN_CONFIRMATIONS = 5  # sent and mined, not yet confirmed
    _with_points(alice, 30)
    redemptions.redemption_request(user=alice, points=20, idempotency_key="r")
    payouts.worker_tick()
    epoch = Epoch.objects.get()
    assert epoch.status == Epoch.Status.PUBLISHING and epoch.chain_tx_id is not None

    evm.reset()
    redemptions.redemption_request(user=alice, points=10, idempotency_key="new")
    report = payouts.worker_tick()
    assert any("not read" in error for error in report.errors), report.errors
    epoch.refresh_from_db()
    assert epoch.status == Epoch.Status.PUBLISHING  # it may be mined there: not refunded
    assert Epoch.objects.count() == 1
    assert ledger.balances_for(alice).as_dict() == {"available": 0, "escrow": 30, "redeemed": 0}


def test_a_claim_for_a_payout_on_another_network_is_refused_in_plain_words(evm, alice):
    _with_points(alice, 20)
    redemptions.redemption_request(user=alice, points=20, idempotency_key="r")
    payouts.worker_tick()
    evm.reset()
    with pytest.raises(ApiError) as refused:
        payouts.claim_request(user=alice)
    assert refused.value.code == "other_chain"
    assert "no longer reads" in str(refused.value.detail)


def test_a_payout_on_the_old_network_stays_findable_after_the_new_one_publishes(evm, alice, bob):
    # The newest published epoch was looked up on any network, then the address's
    # leaf in it: once the new network published bob's payout, alice's payout on
    # the old one had no proof (the public endpoint said 404) and her claim read
    # "nothing to claim" instead of where it is.
    for user in (alice, bob):
        _with_points(user, 20)
    redemptions.redemption_request(user=alice, points=20, idempotency_key="a")
    payouts.worker_tick()
    old_network = evm.network()
    address = wallet_of("alice").address

    evm.reset()
    redemptions.redemption_request(user=bob, points=20, idempotency_key="b")
    payouts.worker_tick()
    assert sorted(Epoch.objects.values_list("network", "status")) == sorted(
        [(old_network, "published"), (evm.network(), "published")]
    )
    proof = payouts.proof_for(address)
    assert (proof["network"], proof["cumulative_points"]) == (old_network, 20)
    with pytest.raises(ApiError) as refused:
        payouts.claim_call_for(address=address)
    assert refused.value.code == "other_chain"
    with pytest.raises(ApiError) as refused:
        payouts.claim_request(user=alice)
    assert refused.value.code == "other_chain"


def test_a_claim_asks_for_the_wallet_whose_payout_waits_on_this_network(evm, alice):
    # Wallet one (first by address) has a payout waiting on the old network and one
    # claimed on the new; wallet two's payout waits on the new network. The claim
    # took the first address with a leaf here, asked again for the amount already
    # claimed, and wallet two was never claimed for.
    one, two = sorted(["alice", "alice-two"], key=lambda name: wallet_of(name).address)
    link_wallet(alice, one)
    for _ in range(4):
        award(alice, 10)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="old")
    payouts.worker_tick()  # published on the old network, never claimed there
    evm.reset()
    _redeem_and_claim(alice, 10, "new")
    assert evm.token_balance(wallet_of(one).address) == 10 * UNITS_PER_POINT
    link_wallet(alice, two)
    waiting, _ = redemptions.redemption_request(user=alice, points=10, idempotency_key="two")
    payouts.worker_tick()
    waiting.refresh_from_db()
    assert waiting.status == Redemption.Status.CLAIMABLE
    assert waiting.address == wallet_of(two).address
    assert payouts.claim_request(user=alice).address == waiting.address
    payouts.worker_tick()
    waiting.refresh_from_db()
    assert waiting.status == Redemption.Status.SETTLED
    assert evm.token_balance(waiting.address) == 10 * UNITS_PER_POINT
