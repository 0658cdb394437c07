"""The whole payout path on the in-process EVM: award, redeem, publish, claim, settle."""

import pytest

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
