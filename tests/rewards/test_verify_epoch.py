"""Anyone can recompute a published root from its leaves."""

import json

import pytest
from django.core.management import CommandError, call_command

from rewards.services import payouts, redemptions
from tests.rewards.conftest import award, link_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def epoch_json(client, alice, bob, evm, tmp_path):
    for user in (alice, bob):
        for _ in range(3):
            award(user, 10)
        link_wallet(user)
        redemptions.redemption_request(user=user, points=20, idempotency_key="k")
    payouts.worker_tick()
    data = client.get("/api/transparency/epochs/1").json()
    path = tmp_path / "epoch.json"
    path.write_text(json.dumps(data))
    return path, data


def test_verify_epoch_recomputes_the_published_root(epoch_json, capsys):
    path, data = epoch_json
    call_command("verify_epoch", "--file", str(path))
    out = capsys.readouterr().out
    assert f"recomputed root: {data['root']}" in out and "OK" in out
    call_command("verify_epoch", "1", "--onchain")
    assert "on-chain root (epoch 1)" in capsys.readouterr().out


def test_verify_epoch_catches_a_tampered_leaf(epoch_json):
    path, data = epoch_json
    data["dump"]["values"][0]["value"][1] = str(int(data["dump"]["values"][0]["value"][1]) + 1)
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="MISMATCH"):
        call_command("verify_epoch", "--file", str(path))


def test_verify_epoch_needs_exactly_one_source():
    with pytest.raises(CommandError):
        call_command("verify_epoch")
    with pytest.raises(CommandError):
        call_command("verify_epoch", "--url", "file:///etc/passwd")
