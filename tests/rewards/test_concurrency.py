"""Concurrent redemptions against PostgreSQL's row locks (skipped on SQLite)."""

import json
import threading

import pytest
from django.test import Client

from rewards.models import LedgerTransaction, Redemption
from rewards.services import ledger, payouts
from tests.concurrency import a_backend_waits_on_a_lock, in_thread, run_concurrently
from tests.rewards.conftest import assert_ledger_sound, award, award_one_vote, link_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_hundred_concurrent_redemptions_with_a_balance_for_one_pay_exactly_one(
    alice, evm, settings
):
    award(alice, 10)
    link_wallet(alice)

    def redeem(i):
        client = Client()
        client.force_login(alice)
        resp = client.post(
            "/api/rewards/redemptions",
            data=json.dumps({"points": 10}),
            content_type="application/json",
            headers={"Idempotency-Key": f"key-{i}"},
        )
        return resp.status_code

    codes = run_concurrently(100, redeem)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == 99, codes
    assert Redemption.objects.count() == 1
    assert ledger.balances_for(alice).as_dict() == {"available": 0, "escrow": 10, "redeemed": 0}
    assert LedgerTransaction.objects.filter(kind="redeem").count() == 1
    assert_ledger_sound()


def test_concurrent_retries_of_one_idempotency_key_escrow_once(alice, evm):
    for _ in range(5):
        award(alice, 10)
    link_wallet(alice)

    def redeem(i):
        client = Client()
        client.force_login(alice)
        return client.post(
            "/api/rewards/redemptions",
            data=json.dumps({"points": 20}),
            content_type="application/json",
            headers={"Idempotency-Key": "same"},
        ).status_code

    codes = run_concurrently(30, redeem)
    assert all(code in (200, 201, 409) for code in codes), codes
    assert codes.count(201) == 1
    assert ledger.balances_for(alice).as_dict() == {"available": 30, "escrow": 20, "redeemed": 0}
    assert_ledger_sound()


def test_concurrent_votes_respect_the_daily_cap(alice, settings):
    import uuid

    from django.db import transaction

    settings.REWARD_DAILY_CAP = 50

    def vote(i):
        with transaction.atomic():
            return award_one_vote(user=alice, battle_id=uuid.uuid4())

    run_concurrently(20, vote)
    assert ledger.balances_for(alice).available == 50
    assert_ledger_sound()


def test_concurrent_workers_publish_one_epoch_and_pay_one_claim(alice, evm):
    for _ in range(5):
        award(alice, 10)
    link_wallet(alice)
    from rewards.services import redemptions

    redemptions.redemption_request(user=alice, points=30, idempotency_key="k")
    evm.deployment()
    reports = run_concurrently(8, lambda i: payouts.worker_tick())
    assert all(not isinstance(r, Exception) for r in reports), reports
    from rewards.models import ChainTx, Epoch

    assert Epoch.objects.count() == 1
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    assert Redemption.objects.get().status == "claimable"
    payouts.claim_request(user=alice)
    run_concurrently(8, lambda i: payouts.worker_tick())
    assert ChainTx.objects.filter(purpose="claim").count() == 1
    assert Redemption.objects.get().status == "settled"
    assert_ledger_sound()


def test_concurrent_workers_over_several_epochs_publish_each_once_and_never_refund(
    alice, bob, carol, evm, settings, monkeypatch
):
    from rewards import chain
    from rewards.models import ChainTx, Epoch
    from rewards.services import redemptions

    settings.CHAIN_CONFIRMATIONS = 2  # mined a block before anyone may flip the epoch
    users = (alice, bob, carol)
    for user in users:
        for _ in range(10):
            award(user, 10)
        link_wallet(user)
    evm.deployment()
    # Widen the window between a worker's "no tx yet" check and its send.
    eth = chain.get().w3.eth
    real_estimate = eth.estimate_gas

    def slow_estimate(*args, **kwargs):
        import time

        time.sleep(0.02)
        return real_estimate(*args, **kwargs)

    monkeypatch.setattr(eth, "estimate_gas", slow_estimate)

    def staggered_tick(i):
        # Staggered starts: some workers pass their "no tx yet" check while another
        # is between its estimate and its mined send.
        import time

        time.sleep(i * 0.004)
        return payouts.worker_tick()

    for round_ in range(4):
        for user in users:
            redemptions.redemption_request(user=user, points=10, idempotency_key=f"r{round_}")
        for _ in range(3):
            reports = run_concurrently(8, staggered_tick)
            assert all(not isinstance(r, Exception) for r in reports), reports
            chain.mine(1)
        assert not Redemption.objects.filter(status__in=["pending", "publishing"]).exists()

    epochs = list(Epoch.objects.order_by("number"))
    assert [e.status for e in epochs] == ["published"] * 4
    for epoch in epochs:
        labelled = ChainTx.objects.filter(label=f"publish:{epoch.number}")
        assert labelled.count() == 1, epoch
        assert epoch.chain_tx == labelled.get()
    assert ChainTx.objects.filter(purpose="publish").count() == 4
    assert chain.onchain_root() == (epochs[-1].root, 4)
    assert not Redemption.objects.filter(status="cancelled").exists()
    for user in users:
        assert ledger.balances_for(user).as_dict() == {"available": 60, "escrow": 40, "redeemed": 0}
    assert_ledger_sound()


def test_two_builders_split_by_a_new_redemption_build_one_epoch(alice, bob, evm, monkeypatch):
    # Builder A locks the pending redemptions; a redemption lands; builder B's
    # SKIP LOCKED select finds only that one. Both used to take the same next
    # epoch number: B failed on the unique number with an IntegrityError, which
    # ended its worker's pass (and the rewards_worker process).
    import threading

    from rewards.models import Epoch
    from rewards.services import redemptions

    for user in (alice, bob):
        award(user, 10)
        link_wallet(user)
    evm.deployment()
    redemptions.redemption_request(user=alice, points=10, idempotency_key="a")
    real_tree = payouts.MerkleTree
    main = threading.current_thread()
    results = {}
    builder_b = None

    def tree_while_another_builds(*args, **kwargs):
        nonlocal builder_b
        if threading.current_thread() is main and builder_b is None:
            in_thread(
                results,
                "bob",
                lambda: redemptions.redemption_request(user=bob, points=10, idempotency_key="b"),
            ).join()
            builder_b = in_thread(results, "b", payouts.epoch_build)
            builder_b.join(timeout=1.0)  # B runs until it has to wait for A
        return real_tree(*args, **kwargs)

    monkeypatch.setattr(payouts, "MerkleTree", tree_while_another_builds)
    epoch_a = payouts.epoch_build()
    builder_b.join()
    assert not isinstance(results["bob"], Exception), results["bob"]
    assert not isinstance(results["b"], Exception), results["b"]
    assert results["b"].pk == epoch_a.pk  # B found A's epoch in flight
    assert Epoch.objects.count() == 1
    assert Redemption.objects.get(user=bob).status == "pending"  # for the next epoch

    monkeypatch.setattr(payouts, "MerkleTree", real_tree)
    for _ in range(2):
        payouts.worker_tick()
    assert sorted(Epoch.objects.values_list("number", "status")) == [
        (1, "published"),
        (2, "published"),
    ]
    assert_ledger_sound()


def test_settling_a_claim_does_not_wait_for_its_epochs_row(alice, evm):
    # The settle's row lock joined the epoch and locked its row too: a reopen, which
    # updates the epoch and then its redemptions, deadlocked with it. Here another
    # transaction holds the epoch's row; the settle must not need it.
    import threading

    from django.db import connection, transaction

    from rewards.models import ClaimRequest, Epoch
    from rewards.services import redemptions

    award(alice, 10)
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="r")
    payouts.worker_tick()
    payouts.claim_submit(payouts.claim_request(user=alice))  # mined, not yet settled
    assert ClaimRequest.objects.get().chain_tx_id is not None
    assert Redemption.objects.get().status == "claimable"
    holding, release = threading.Event(), threading.Event()

    def hold_the_epoch():
        try:
            with transaction.atomic():
                Epoch.objects.select_for_update().get()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_epoch)
    holder.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        assert payouts.claims_settle() == 1
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert Redemption.objects.get().status == "settled"
    assert_ledger_sound()


def _published_epoch_lost_and_one_pending(alice, bob):
    """Epoch 1 (alice's) published, its publication lost by the chain; bob's
    redemption pending for the next epoch."""
    from rewards.models import ChainTx, Epoch
    from rewards.services import redemptions

    for user in (alice, bob):
        award(user, 10)
        link_wallet(user)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="a")
    payouts.worker_tick()
    first = Epoch.objects.get()
    assert first.status == "published"
    ChainTx.objects.filter(pk=first.chain_tx_id).update(status=ChainTx.Status.DROPPED)  # lost
    redemptions.redemption_request(user=bob, points=10, idempotency_key="b")


def test_a_reopen_racing_a_builder_leaves_one_epoch_in_flight(alice, bob, evm, monkeypatch):
    # The reopen read the latest published epoch (its publication lost), then a
    # builder committed the next epoch, then the reopen flipped the old one back
    # to publishing: the one-in-flight constraint refused it, and the error ended
    # the worker's pass.
    import threading

    from django.db import connection

    from rewards.models import Epoch

    _published_epoch_lost_and_one_pending(alice, bob)

    real_transaction = payouts.transaction  # django.db.transaction
    built = {}

    def build_elsewhere():
        try:
            built["epoch"] = payouts.epoch_build()
        finally:
            connection.close()

    class RacingTransaction:
        """payouts' view of django.db.transaction: a builder commits just before
        the reopen's transaction opens."""

        def __getattr__(self, name):
            return getattr(real_transaction, name)

        def atomic(self, *args, **kwargs):
            if not built and threading.current_thread() is threading.main_thread():
                builder = threading.Thread(target=build_elsewhere)
                builder.start()
                builder.join(30)
            return real_transaction.atomic(*args, **kwargs)

    monkeypatch.setattr(payouts, "transaction", RacingTransaction())
    payouts._epochs_reopen()
    monkeypatch.setattr(payouts, "transaction", real_transaction)
    assert built["epoch"].number == 2
    assert sorted(Epoch.objects.values_list("number", "status")) == [
        (1, "published"),
        (2, "publishing"),
    ]
    payouts.worker_tick()
    assert sorted(Epoch.objects.values_list("number", "status")) == [
        (1, "published"),
        (2, "published"),
    ]
    assert_ledger_sound()


def test_a_reopen_while_a_builder_inserts_waits_for_it(alice, bob, evm, monkeypatch):
    # The builder has found no epoch in flight and is building the next one; a reopen
    # of the latest published epoch (its publication lost) comes in. Without the
    # builders' lock the reopen flipped it back to publishing first, and the
    # builder's insert then failed on the one-in-flight constraint.
    from rewards.models import Epoch

    _published_epoch_lost_and_one_pending(alice, bob)

    real_tree = payouts.MerkleTree
    building, release = threading.Event(), threading.Event()

    def tree_held(*args, **kwargs):
        building.set()
        release.wait(30)
        return real_tree(*args, **kwargs)

    monkeypatch.setattr(payouts, "MerkleTree", tree_held)
    outcome = {}
    builder = in_thread(outcome, "build", payouts.epoch_build)
    assert building.wait(30)
    reopener = in_thread(outcome, "reopen", payouts._epochs_reopen)
    try:
        assert a_backend_waits_on_a_lock(timeout=5), "the reopen did not wait for the builder"
    finally:
        release.set()
        builder.join(30)
        reopener.join(30)
    assert not isinstance(outcome["build"], Exception), outcome["build"]
    assert not isinstance(outcome["reopen"], Exception), outcome["reopen"]
    monkeypatch.setattr(payouts, "MerkleTree", real_tree)
    assert sorted(Epoch.objects.values_list("number", "status")) == [
        (1, "published"),
        (2, "publishing"),
    ]
