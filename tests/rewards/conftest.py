"""Rewards fixtures: a fresh in-process EVM per test, wallets with known keys, helpers."""

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

    from rewards.services import ledger

    with transaction.atomic():
        got = ledger.points_award_for_vote(user=user, battle_id=uuid.uuid4())
    assert got == points, f"expected a vote worth {points}, got {got}"


@pytest.fixture
def evm(settings):
    """A fresh in-process EVM (and no CHAIN_RPC_URL) for this test."""
    from rewards import chain

    settings.CHAIN_RPC_URL = ""
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_ID = 0
    settings.CHAIN_CONFIRMATIONS = 1
    settings.REWARD_WORKER_ON_DEMAND = False
    chain.reset()
    yield chain
    chain.reset()


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
