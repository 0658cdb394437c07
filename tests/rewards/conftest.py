"""Rewards fixtures: a fresh in-process EVM per test, wallets with known keys, helpers."""

import os
import socket
import uuid

import pytest
from eth_account import Account as EthAccount
from eth_account.messages import encode_defunct
from eth_utils import keccak

DOMAIN = "testserver"


def wallet_key(name: str) -> bytes:
    """A deterministic private key per character (never use such keys for real funds)."""
    return keccak(text=f"datafi test wallet {name}")


def wallet_of(name: str):
    return EthAccount.from_key(wallet_key(name))


def sign(message: str, name: str) -> str:
    signed = EthAccount.sign_message(encode_defunct(text=message), private_key=wallet_key(name))
    return "0x" + signed.signature.hex().removeprefix("0x")


def link_wallet(user, name: str | None = None):
    """Link the wallet of ``name`` (default: the user's own name) through SIWE."""
    from rewards.services import wallets

    name = name or user.username
    account = wallet_of(name)
    challenge = wallets.siwe_challenge(address=account.address, domain=DOMAIN, scheme="http")
    return wallets.wallet_link(
        user=user,
        message=challenge["message"],
        signature=sign(challenge["message"], name),
        domain=DOMAIN,
    )


def award(user, points: int):
    """Credit ``points`` through the vote rule (as if for votes), one vote per call."""
    from django.db import transaction

    with transaction.atomic():
        got = award_one_vote(user=user, battle_id=uuid.uuid4())
    assert got == points, f"expected a vote worth {points}, got {got}"


@pytest.fixture(autouse=True)
def _rewards_defaults(settings):
    settings.REWARD_POINTS_PER_VOTE = 10
    settings.REWARD_DAILY_CAP = 500
    settings.REDEMPTION_MINIMUM = 10
    settings.REWARD_EPOCH_INTERVAL = 0
    settings.SIWE_DOMAIN = ""
    settings.REWARD_WORKER_ON_DEMAND = False


def assert_ledger_sound():
    from rewards.models import Account
    from rewards.services import ledger

    assert ledger.ledger_sum() == 0
    assert ledger.unbalanced_transactions() == []
    assert ledger.balance_mismatches() == []
    assert not Account.objects.filter(balance__lt=0).exclude(kind="issuance").exists()


def _port_in_range() -> int:
    # A range of its own, apart from the ports other suites' servers take, and six
    # ports per xdist worker: two workers setting up at once (or one restarting its
    # node) never pick the same free port, whose second anvil would exit silently
    # and leave its test talking to the other worker's chain.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    first = 18450 + (int(worker.removeprefix("gw") or 0) % 8) * 6
    for port in range(first, first + 6):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}-{first + 5}")


@pytest.fixture
def anvil_node(tmp_path, settings):
    """An anvil node of its own (ports 18450-18499), counting one confirmation."""
    from rewards import chain
    from tests.rewards.test_anvil import ANVIL_KEY, Anvil

    node = Anvil(tmp_path / "anvil-state.json")
    node.port = _port_in_range()
    node.start()
    settings.CHAIN_RPC_URL = node.url
    settings.CHAIN_PRIVATE_KEY = ANVIL_KEY
    settings.CHAIN_ID = 0
    settings.CHAIN_CONFIRMATIONS = 1
    settings.CHAIN_TIMEOUT = 3.0
    settings.REWARD_WORKER_ON_DEMAND = False
    chain.reset()
    yield node
    node.stop()
    chain.reset()


def award_one_vote(*, user, battle_id, multiplier: float = 1.0) -> int:
    """Credit one vote through the fold's own entry point; the points booked."""
    from django.utils import timezone

    from rewards.services import VoteCredit, points_award_for_votes

    credit = VoteCredit(
        user_id=getattr(user, "id", user), battle_id=battle_id, at=timezone.now(),
        multiplier=multiplier,
    )  # fmt: skip
    return points_award_for_votes(credits=[credit])[battle_id]
