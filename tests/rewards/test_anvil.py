"""The real-node path on anvil: deploy, publish, claim, settle, with the node
stopped and restarted in the middle of a claim."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from rewards.merkle import UNITS_PER_POINT
from rewards.models import ChainTx, Epoch, Redemption
from rewards.services import ledger, payouts, redemptions
from tests.rewards.conftest import assert_ledger_sound, award, link_wallet, wallet_of
from tests.services import ROOT, anvil_binary

pytestmark = [pytest.mark.anvil, pytest.mark.django_db]

# anvil's first well-known development account (public knowledge: never for real funds).
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary() -> str:
    # The npm wrapper forwards signals, but the platform binary is one process to kill.
    native = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    return str(native) if native.exists() else anvil_binary()


class Anvil:
    def __init__(self, state: Path):
        self.port = _free_port()
        self.state = state
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [
                _binary(),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--silent",
                "--state",
                str(self.state),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:  # e.g. the port was taken: say so
                raise RuntimeError(f"anvil exited ({self.proc.returncode}) on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("anvil did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # anvil writes --state on exit
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


@pytest.fixture
def anvil(tmp_path, settings):
    from rewards import chain

    node = Anvil(tmp_path / "anvil-state.json")
    node.start()
    settings.CHAIN_RPC_URL = node.url
    settings.CHAIN_PRIVATE_KEY = ANVIL_KEY
    settings.CHAIN_ID = 0
    settings.CHAIN_CONFIRMATIONS = 2
    settings.CHAIN_TIMEOUT = 3.0
    settings.REWARD_WORKER_ON_DEMAND = False
    chain.reset()
    yield node
    node.stop()
    chain.reset()


def rpc(method, params=()):
    from rewards import chain

    return chain.get().w3.provider.make_request(method, list(params))


def test_a_payout_survives_an_anvil_restart_in_the_middle_of_a_claim(anvil, alice):
    from rewards import chain

    for _ in range(5):
        award(alice, 10)
    link_wallet(alice)
    assert chain.chain_id() == 31337
    redemptions.redemption_request(user=alice, points=30, idempotency_key="k")

    payouts.worker_tick()  # deploys, builds epoch 1, publishes (1 confirmation of 2)
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHING
    chain.mine(1)
    payouts.worker_tick()
    assert Epoch.objects.get().status == Epoch.Status.PUBLISHED
    assert chain.onchain_root() == (Epoch.objects.get().root, 1)

    # The claim goes out while the node is not mining, then the node goes down.
    rpc("evm_setAutomine", [False])
    payouts.claim_request(user=alice)
    claim_tx = ChainTx.objects.get(purpose="claim")
    assert claim_tx.status == ChainTx.Status.SENT
    anvil.stop()

    report = payouts.worker_tick()
    assert report.errors and "unavailable" in report.errors[0]
    assert Redemption.objects.get().status == Redemption.Status.CLAIMABLE
    assert ledger.balances_for(alice).escrow == 30

    anvil.start()  # same state file: the contracts are back, the pending claim is not
    from web3.exceptions import TransactionNotFound

    with pytest.raises(TransactionNotFound):
        chain.get().w3.eth.get_transaction(claim_tx.tx_hash)
    payouts.worker_tick()  # looks the claim up, re-broadcasts the same signed bytes
    claim_tx.refresh_from_db()
    assert claim_tx.attempts >= 2
    chain.mine(2)
    payouts.worker_tick()
    assert Redemption.objects.get().status == Redemption.Status.SETTLED
    assert ChainTx.objects.filter(purpose="claim").count() == 1
    assert chain.token_balance(wallet_of("alice").address) == 30 * UNITS_PER_POINT
    assert chain.claimed_points(wallet_of("alice").address) == 30
    assert_ledger_sound()


def test_anvil_down_during_publication_completes_when_back(anvil, alice):
    from rewards import chain

    for _ in range(3):
        award(alice, 10)
    link_wallet(alice)
    chain.deployment()
    redemptions.redemption_request(user=alice, points=20, idempotency_key="k")
    anvil.stop()
    report = payouts.worker_tick()
    assert report.errors
    assert Redemption.objects.get().status in ("pending", "publishing")
    anvil.start()
    payouts.worker_tick()
    chain.mine(2)
    payouts.worker_tick()
    assert Redemption.objects.get().status == "claimable"
    payouts.claim_request(user=alice)
    chain.mine(2)
    payouts.worker_tick()
    assert Redemption.objects.get().status == "settled"
    assert ChainTx.objects.filter(purpose="publish").count() == 1
    assert_ledger_sound()
