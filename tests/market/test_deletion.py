"""A deleted contributor in the market: which versions hold their votes, a "no" that
nothing turns back, later versions without them, earlier ones untouched."""

import pytest
from django.db import IntegrityError, transaction

from datafi.errors import ApiError
from datafi.flows import deletion
from datafi.flows import market as market_flow
from datafi.market import canonical
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from datafi.market.models import DataSaleConsent, Purchase, SaleShare, VersionRow
from rewards.services import ledger
from tests.market.conftest import approve

pytestmark = pytest.mark.django_db


def test_versions_with_votes_of_counts_each_contributors_rows(
    product, operator, alice, carol, mallory
):
    first = market.version_freeze(product_id=product.pk, operator=operator)
    market.consent_set(user=carol, agreed=False)
    second = market.version_freeze(product_id=product.pk, operator=operator)
    mine = market_selectors.versions_with_votes_of(user=alice)
    assert [(v.version.pk, v.votes) for v in mine] == [
        (second.pk, VersionRow.objects.filter(version=second, voter=alice).count()),
        (first.pk, VersionRow.objects.filter(version=first, voter=alice).count()),
    ]
    assert all(v.votes > 0 for v in mine)
    assert [v.version.pk for v in market_selectors.versions_with_votes_of(user=carol)] == [first.pk]
    assert market_selectors.versions_with_votes_of(user=mallory) == []


def test_a_deleted_contributor_is_out_of_later_versions_and_in_earlier_ones(
    product, operator, alice, carol
):
    first = market.version_freeze(product_id=product.pk, operator=operator)
    before = list(VersionRow.objects.filter(version=first).values_list("leaf", "voter_id"))
    deletion.account_delete(user_id=alice.pk)

    second = market.version_freeze(product_id=product.pk, operator=operator)
    assert not VersionRow.objects.filter(version=second, voter=alice).exists()
    assert VersionRow.objects.filter(version=second, voter=carol).exists()
    first.refresh_from_db()
    assert list(VersionRow.objects.filter(version=first).values_list("leaf", "voter_id")) == before
    assert canonical.root_of_lines(market_selectors.version_lines(version=first)) == (
        first.root,
        first.row_count,
    )
    # The page that lists them before the deletion still finds version 1 by the row.
    assert [v.version.pk for v in market_selectors.versions_with_votes_of(user=alice)] == [first.pk]


def test_nothing_turns_a_deleted_contributors_no_back_into_a_yes(alice, market_arena):
    deletion.account_delete(user_id=alice.pk)
    with pytest.raises(ApiError) as refused:
        market.consent_set(user=alice, agreed=True, source="settings")
    assert (refused.value.code, refused.value.status_code) == ("account_deleted", 409)
    consent = DataSaleConsent.objects.get(user=alice)
    assert (consent.agreed, consent.source) == (False, "deletion")
    # Nor a write that goes around the service: the database refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        DataSaleConsent.objects.filter(user=alice).update(agreed=True)


def test_a_contributor_never_asked_is_recorded_as_a_final_no(bob, market_arena):
    assert market_selectors.consent_of(user=bob) is None
    deletion.account_delete(user_id=bob.pk)
    consent = DataSaleConsent.objects.get(user=bob)
    assert (consent.agreed, consent.source) == (False, "deletion")


def test_a_version_sold_before_stays_sold_and_later_sales_pass_the_deleted_contributor_by(
    client, product, operator, evm, market_arena, alice, carol
):
    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    orgs = market_arena["orgs"]

    def sell(reference, org):
        return market_flow.payment_record_offchain(
            operator=operator,
            version_id=version.pk,
            organization_id=org.pk,
            amount_cents=120_000,
            reference=reference,
        )

    first = sell("INV-1", orgs["quorvex-ai"])
    share = SaleShare.objects.get(purchase=first, user=alice)
    client.force_login(alice)
    page = client.get("/accounts/delete/").content.decode()
    assert "Arena preferences</strong>, version 1" in page and "sold once" in page
    assert "/market/my-data/" in page
    assert market_selectors.versions_with_votes_of(user=alice)[0].sales == 1

    deletion.account_delete(user_id=alice.pk)
    balance = ledger.balances_for(alice).available
    second = sell("INV-2", orgs["zephyrine-labs"])  # one sale per organisation

    first.refresh_from_db()
    assert first.status == Purchase.Status.PAID
    assert SaleShare.objects.get(purchase=first, user=alice).points == share.points
    assert not SaleShare.objects.filter(purchase=second, user=alice).exists()
    assert set(SaleShare.objects.filter(purchase=second).values_list("user_id", flat=True)) == {
        carol.pk
    }
    assert ledger.balances_for(alice).available == balance
    version.refresh_from_db()
    assert canonical.root_of_lines(market_selectors.version_lines(version=version)) == (
        version.root,
        version.row_count,
    )
