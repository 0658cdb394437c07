"""My data: the versions that hold my votes, their sales and my share of each, my consent,
proofs; /transparency/ lists every version with its sales and what contributors got."""

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from datafi.flows import market as market_flow
from datafi.market import services as market
from datafi.market.models import SaleShare, VersionRow
from rewards.services import ledger
from tests.market.conftest import approve


@pytest.fixture
def sold(product, operator, evm, market_arena):
    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    org = market_arena["orgs"]["quorvex-ai"]
    purchase = market_flow.payment_record_offchain(
        operator=operator,
        version_id=version.pk,
        organization_id=org.pk,
        amount_cents=120_000,
        reference="INV-1",
    )
    return version, purchase


def test_a_contributor_sees_the_version_the_sale_and_their_share(sold, alice):
    version, purchase = sold
    share = SaleShare.objects.get(purchase=purchase, user=alice)
    mine = VersionRow.objects.filter(version=version, voter=alice).count()
    client = Client()
    client.force_login(alice)
    page = client.get("/market/my-data/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-dataset="arena-prefs" data-version="{version.number}"' in html
    assert f"{mine} of your votes are in it." in html
    assert f'data-purchase="{purchase.pk}"' in html
    assert f"{share.points:,} points" in html
    # When it sold, written as My votes writes a time (not "2026-12-04 18:23").
    purchase.refresh_from_db()
    shown = date_format(timezone.localtime(purchase.paid_at), "SHORT_DATETIME_FORMAT")
    assert f'<time datetime="{purchase.paid_at.isoformat()}">{shown}</time>' in html
    assert "Your votes may be included in datasets that are sold." in html
    # One proof link per vote of mine, checked by the proof endpoint.
    battle = VersionRow.objects.filter(version=version, voter=alice).first().battle_id.hex
    link = f"/api/market/datasets/arena-prefs/versions/{version.number}/proof/{battle}"
    assert link in html
    proof = client.get(link).json()
    assert proof["root"] == version.root and proof["leaf"]
    # The share is in the balance, redeemable like any points.
    assert ledger.balances_for(alice).available >= share.points
    # The rewards history names the sale and links here.
    [line] = [
        h for h in client.get("/api/rewards/summary").json()["history"] if h["kind"] == "sale"
    ]
    assert line["amount"] == share.points and line["url"] == "/market/my-data/"
    assert line["memo"] == f"Your share of a sale of the dataset arena-prefs v{version.number}"


def test_a_voter_who_did_not_agree_sees_no_version_and_why(sold, mallory):
    client = Client()
    client.force_login(mallory)
    html = client.get("/market/my-data/").content.decode()
    assert "Your votes are left out of datasets that are sold." in html
    assert "None yet." in html


def test_my_data_needs_a_login():
    assert Client().get("/market/my-data/").status_code == 302


def test_transparency_lists_each_version_its_sales_and_what_contributors_got(sold):
    version, purchase = sold
    paid = sum(s.points for s in purchase.shares.all())
    html = Client().get("/transparency/").content.decode()
    assert version.root in html and version.tx_hash in html
    assert f'data-dataset="arena-prefs" data-version="{version.number}"' in html
    data = Client().get("/api/transparency/datasets").json()
    assert data["rule"]["platform_fee_percent"] == 30
    (row,) = data["versions"]
    assert (row["root"], row["rows"], row["sales"]) == (version.root, version.row_count, 1)
    assert row["paid_to_contributors_points"] == paid == purchase.sale_points - purchase.fee_points


def test_a_contributor_excluded_at_the_sale_reads_why_they_got_nothing(
    product, operator, evm, market_arena, alice, carol
):
    from django.utils import timezone

    from evals.quality.models import VoterReliability

    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    assert VersionRow.objects.filter(version=version, voter=carol).exists()
    # Between the freeze and the sale, the quality rules exclude carol.
    VoterReliability.objects.update_or_create(
        user=carol, defaults={"excluded": True, "excluded_at": timezone.now(), "score": 0.1}
    )
    carol_before = ledger.balances_for(carol).available
    purchase = market_flow.payment_record_offchain(
        operator=operator,
        version_id=version.pk,
        organization_id=market_arena["orgs"]["quorvex-ai"].pk,
        amount_cents=120_000,
        reference="INV-2",
    )
    share = SaleShare.objects.get(purchase=purchase, user=carol)
    assert (share.points, share.excluded, share.reliability) == (0, True, 0.0)
    assert SaleShare.objects.get(purchase=purchase, user=alice).points > 0
    assert ledger.balances_for(carol).available == carol_before
    assert ledger.unbalanced_transactions() == [] and ledger.balance_mismatches() == []
    client = Client()
    client.force_login(carol)
    html = client.get("/market/my-data/").content.decode()
    assert "at the sale the quality rules excluded your votes" in html
    assert 'href="/votes/#appeal"' in html
    assert "or the account was closed" not in html


def test_a_share_under_one_point_is_said_as_such(product, operator, evm, market_arena, carol):
    from evals.quality.models import VoterReliability

    version = approve(market.version_freeze(product_id=product.pk, operator=operator), operator)
    version = market_flow.version_publish(version_id=version.pk)
    VoterReliability.objects.update_or_create(user=carol, defaults={"score": 0.001})
    purchase = market_flow.payment_record_offchain(
        operator=operator,
        version_id=version.pk,
        organization_id=market_arena["orgs"]["quorvex-ai"].pk,
        amount_cents=1,  # 10 points, 7 of them to share
        reference="INV-3",
    )
    share = SaleShare.objects.get(purchase=purchase, user=carol)
    assert (share.points, share.excluded) == (0, False)
    client = Client()
    client.force_login(carol)
    html = client.get("/market/my-data/").content.decode()
    assert "your share of this sale came to less than one point (reliability 0.00" in html
