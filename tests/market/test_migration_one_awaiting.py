"""Migration market 0010 adds the one-awaiting-order constraint to a database that
already holds two awaiting orders of one version for one organisation: it keeps the
newest of each such group waiting and marks the older ones expired first."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("market", "0009_product_price_at_least_one")]
AFTER = [("market", "0010_one_awaiting_order")]
T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # A fresh loader: the executor's graph state is stale after a migration.
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def at_0009(transactional_db):
    apps = _migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _versions(apps):
    Organization = apps.get_model("accounts", "Organization")
    Product = apps.get_model("market", "DatasetProduct")
    Version = apps.get_model("market", "DatasetVersion")
    orgs = [
        Organization.objects.create(name=name, slug=name.lower().replace(" ", "-"))
        for name in ("Zephyrine Labs", "Quorvex AI")
    ]
    product = Product.objects.create(
        slug="arena-prefs", title="Arena preferences", card="Votes.", price_amount=250_000
    )
    versions = [
        Version.objects.create(
            product=product,
            number=n,
            row_format="datafi-row-v1",
            root="0x" + f"{n:02x}" * 32,
            row_count=3,
            metadata={},
            metadata_hash="0x" + "ab" * 32,
            frozen_at=T0,
        )
        for n in (1, 2)
    ]
    return orgs, versions


def _order(apps, org, version, n: int, *, status="awaiting", minutes=0):
    Purchase = apps.get_model("market", "Purchase")
    fields = {}
    if status == "paid":
        fields = dict(
            tx_hash="0x" + f"{n:02x}" * 32,
            log_index=0,
            block_number=10 + n,
            paid_at=T0,
            sale_points=1,
            fee_points=0,
        )
    return Purchase.objects.create(
        version_id=version.pk,
        organization_id=org.pk,
        method="chain",
        status=status,
        amount=2_500_000_000,
        decimals=6,
        currency="USD",
        order_id="0x" + f"{n:064x}",
        buyer_address="0x" + "12" * 20,
        network="embedded-test",
        market_address="0x" + "34" * 20,
        token_address="0x" + "56" * 20,
        deadline=1_800_000_000 + n,
        quote="0x" + "78" * 65,
        created_at=T0 + timedelta(minutes=minutes),
        **fields,
    ).pk


def test_migration_0010_expires_the_older_of_two_awaiting_orders_and_adds_the_constraint(
    at_0009,
):
    apps = at_0009
    (zephyrine, quorvex), (v1, v2) = _versions(apps)
    # Three orders of v1 by one organisation waiting at once (created out of id order).
    newest = _order(apps, zephyrine, v1, 1, minutes=30)
    older = [_order(apps, zephyrine, v1, 2, minutes=10), _order(apps, zephyrine, v1, 3)]
    # Two of v2 created in the same instant: the later id is the newer.
    tied = [_order(apps, zephyrine, v2, 4, minutes=5), _order(apps, zephyrine, v2, 5, minutes=5)]
    # Not duplicates: another organisation's order, a paid purchase, an expired order.
    alone = _order(apps, quorvex, v1, 6)
    paid = _order(apps, quorvex, v2, 7, status="paid")
    waiting_beside_paid = _order(apps, quorvex, v2, 8)
    expired = _order(apps, zephyrine, v1, 9, status="expired", minutes=60)

    apps = _migrate(AFTER)
    Purchase = apps.get_model("market", "Purchase")
    assert dict(Purchase.objects.values_list("pk", "status")) == {
        newest: "awaiting",
        older[0]: "expired",
        older[1]: "expired",
        tied[0]: "expired",
        tied[1]: "awaiting",
        alone: "awaiting",
        paid: "paid",
        waiting_beside_paid: "awaiting",
        expired: "expired",
    }
    # The constraint is there: a second awaiting order of v1 is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        _order(apps, zephyrine, v1, 10)


def test_migration_0010_changes_nothing_where_no_two_orders_wait(at_0009):
    apps = at_0009
    (zephyrine, quorvex), (v1, _v2) = _versions(apps)
    orders = {_order(apps, zephyrine, v1, 1): "awaiting", _order(apps, quorvex, v1, 2): "awaiting"}
    orders[_order(apps, zephyrine, v1, 3, status="expired")] = "expired"
    apps = _migrate(AFTER)
    Purchase = apps.get_model("market", "Purchase")
    assert dict(Purchase.objects.values_list("pk", "status")) == orders
