"""The database refuses to rewrite a sale, whatever code path tries (migration
market 0005): a paid purchase never changes, an order's terms never change,
nothing goes back to awaiting, a contributor's share is never edited; on
PostgreSQL a paid purchase and its shares cannot be deleted either."""

import pytest
from django.db import DatabaseError, connection, transaction

from datafi.flows import market as market_flow
from datafi.market.models import Purchase, SaleShare
from tests.market.buying import BUYER
from tests.market.test_buying import buyer_org, published  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def refused(query_set, **fields):
    with pytest.raises(DatabaseError), transaction.atomic():
        query_set.update(**fields)


@pytest.fixture
def sale(published, buyer_org, operator):  # noqa: F811
    market_flow.payment_record_offchain(
        operator=operator,
        version_id=published.pk,
        organization_id=buyer_org.pk,
        amount_cents=250_000,
        reference="INV-GUARD",
    )
    return Purchase.objects.get(reference="INV-GUARD")


def test_a_paid_purchase_and_its_shares_never_change(sale):
    # Recorded paid and complete in one insert: its sale and split are booked.
    assert sale.sale_points == 2_500_000 and sale.fee_points > 0
    shares = SaleShare.objects.filter(purchase=sale)
    assert shares.exists()
    before = list(shares.values_list("user_id", "points"))
    rows = Purchase.objects.filter(pk=sale.pk)
    refused(rows, amount=1)
    refused(rows, sale_points=0)
    refused(rows, status=Purchase.Status.EXPIRED)
    refused(rows, reference="INV-OTHER")
    refused(shares, points=0)
    assert list(shares.values_list("user_id", "points")) == before
    assert Purchase.objects.get(pk=sale.pk).amount == 250_000


@pytest.mark.postgres
def test_postgresql_refuses_to_delete_a_paid_purchase_or_a_share(sale):
    assert connection.vendor == "postgresql"
    with pytest.raises(DatabaseError), transaction.atomic():
        SaleShare.objects.filter(purchase=sale).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Purchase.objects.filter(pk=sale.pk)._raw_delete(connection.alias)
    assert Purchase.objects.filter(pk=sale.pk).exists()


def test_an_orders_terms_never_change_and_it_never_goes_back_to_awaiting(
    published,  # noqa: F811
    buyer_org,  # noqa: F811
    bob,
):
    order = market_flow.order_place(
        organization_id=buyer_org.pk,
        user=bob,
        product_slug=published.product.slug,
        number=published.number,
        buyer_address=BUYER.address,
    )
    rows = Purchase.objects.filter(pk=order.purchase.pk)
    assert rows.get().status == Purchase.Status.AWAITING
    refused(rows, amount=1)
    refused(rows, buyer_address="0x" + "1" * 40)
    refused(rows, deadline=1)
    # Expiry is the one change an unpaid order makes on its own; there is no way back.
    rows.update(status=Purchase.Status.EXPIRED)
    refused(rows, status=Purchase.Status.AWAITING)
