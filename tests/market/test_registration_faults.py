"""A node that is down while a version is published loses nothing and sends nothing twice:
the pending registration is stored first and followed until it is confirmed."""

import pytest
from django.core.management import call_command

from datafi.flows import market as market_flow
from datafi.market import services as market
from rewards.models import ChainTx
from rewards.services import registry
from tests.market.conftest import approve
from tests.rewards.test_faults import NodeDown


@pytest.fixture
def approved(product, operator, evm):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    registry.registry_address()  # the registry is deployed while the node is up
    return approve(version, operator)


def test_a_node_down_before_signing_leaves_the_version_pending_then_it_is_sent(
    approved, evm, monkeypatch
):
    node = NodeDown(evm, monkeypatch)
    node.down = True
    version = market_flow.version_publish(version_id=approved.pk)
    assert (version.status, version.tx_hash) == ("registering", "")
    assert not ChainTx.objects.filter(purpose="register").exists()
    market_flow.registrations_follow()  # still down: nothing happens
    node.down = False
    call_command("follow_dataset_registrations")
    version.refresh_from_db()
    assert version.status == "published"
    assert ChainTx.objects.filter(purpose="register").count() == 1
    assert registry.registration_onchain(dataset=version.product_id, version=1).root == version.root


def test_a_signed_registration_that_never_reached_the_node_is_sent_once_later(
    approved, evm, monkeypatch
):
    node = NodeDown(evm, monkeypatch)
    link = market.version_registration_link

    def link_then_fail(**kwargs):
        link(**kwargs)
        node.down = True  # the node goes away between storing and broadcasting

    monkeypatch.setattr(market, "version_registration_link", link_then_fail)
    version = market_flow.version_publish(version_id=approved.pk)
    assert version.status == "registering" and version.tx_hash
    tx = ChainTx.objects.get(tx_hash=version.tx_hash)
    assert tx.status == "signed"
    node.down = False
    for _ in range(3):
        market_flow.registrations_follow()
    version.refresh_from_db()
    assert version.status == "published"
    assert list(ChainTx.objects.filter(purpose="register").values_list("tx_hash", flat=True)) == [
        version.tx_hash
    ]


def test_two_publishers_at_once_send_one_registration(approved, evm):
    first = market_flow.version_publish(version_id=approved.pk)
    with pytest.raises(Exception) as exc:
        market.version_registration_start(version_id=approved.pk, network="elsewhere")
    assert getattr(exc.value, "code", "") == "wrong_state"
    assert first.status == "published"
    assert ChainTx.objects.filter(purpose="register").count() == 1
