"""A dataset version published on anvil (a real JSON-RPC node): registry deployed on first
use, root recorded, checked again after the node restarts from its saved state."""

from io import StringIO

import pytest
from django.core.management import call_command

from datafi.flows import market as market_flow
from datafi.market import services as market
from rewards import chain
from rewards.services import registry
from tests.market.conftest import approve

pytestmark = [pytest.mark.anvil, pytest.mark.django_db]


def test_a_version_is_registered_on_anvil_and_survives_a_node_restart(
    product,
    operator,
    anvil_node,
    tmp_path,
):
    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    for _ in range(20):
        if version.status == "published":
            break
        chain.mine(1)
        version = market_flow.version_follow(version_id=version.pk)
    assert version.status == "published"
    assert version.network.startswith("chain-")

    anvil_node.stop()
    anvil_node.start()
    chain.reset()
    onchain = registry.registration_onchain(dataset=product.pk, version=version.number)
    assert (onchain.root, onchain.rows) == (version.root, version.row_count)

    copy = tmp_path / "copy.jsonl"
    call_command("export_dataset_version", product.slug, "1", "-o", str(copy), stderr=StringIO())
    out = StringIO()
    call_command(
        "verify_dataset_version", str(copy), "--dataset", product.slug, "--number", "1",
        "--onchain", stdout=out,
    )  # fmt: skip
    assert f"on-chain root:   {version.root}" in out.getvalue()
