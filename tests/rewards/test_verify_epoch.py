"""Anyone can recompute a published root from its leaves."""

import json

import pytest
from django.core.management import CommandError, call_command

from rewards.models import Epoch
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


def _chain_rows():
    from rewards.models import ChainDeployment, ChainTx, NonceCursor

    return (
        list(ChainDeployment.objects.values_list("network", "distributor_address").order_by("id")),
        list(ChainTx.objects.values_list("tx_hash", "status").order_by("id")),
        list(NonceCursor.objects.values_list("network", "next_nonce").order_by("id")),
    )


def test_verify_epoch_onchain_refuses_another_in_process_chain_and_writes_nothing(
    epoch_json, evm, client
):
    # As under `make run`: the command's own process starts its own, empty
    # in-process EVM, not the server's that published the epoch.
    evm.reset()
    before = _chain_rows()
    with pytest.raises(CommandError, match="NOT VERIFIED on chain: this process runs its own"):
        call_command("verify_epoch", "1", "--onchain")
    assert _chain_rows() == before
    contracts = client.get("/api/transparency/epochs").json()["contracts"]
    assert len(contracts) == 1


def test_verify_epoch_onchain_needs_the_epochs_network(epoch_json):
    path, data = epoch_json
    path.write_text(json.dumps(data["dump"]))
    with pytest.raises(CommandError, match="needs the epoch's number and network"):
        call_command("verify_epoch", "--file", str(path), "--onchain")


@pytest.mark.anvil
def test_verify_epoch_onchain_refuses_a_reset_node_with_no_contract_and_writes_nothing(
    anvil_node, alice, tmp_path, capsys
):
    from rewards import chain

    for _ in range(2):
        award(alice, 10)
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=20, idempotency_key="k")
    # One pass deploys, builds and publishes; a node slow under load (CI) may need more.
    for _ in range(10):
        report = payouts.worker_tick()
        if Epoch.objects.filter(number=1, status=Epoch.Status.PUBLISHED).exists():
            break
    else:
        raise AssertionError(f"epoch 1 not published: {report}")
    call_command("verify_epoch", "1", "--onchain")
    out = capsys.readouterr().out
    assert "on-chain root (epoch 1)" in out and "OK" in out

    # The same chain id on a node started afresh: nothing lives at the recorded address.
    anvil_node.stop()
    anvil_node.state = tmp_path / "fresh-state.json"
    anvil_node.start()
    chain.reset()
    before = _chain_rows()
    with pytest.raises(CommandError, match="no contract at the distributor address"):
        call_command("verify_epoch", "1", "--onchain")
    assert _chain_rows() == before
