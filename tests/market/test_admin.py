"""The operator's steps in the admin: define a dataset, freeze a version, read the PII
report on the version's page, approve it, publish it on the in-process EVM."""

import json

import pytest

from datafi.market.models import DatasetProduct, DatasetVersion
from tests.market.conftest import TERMS

# The admin's add form for a product, filled in (each test names its own).
PRODUCT_FORM = {
    "card": "Human preference votes.",
    "licence": "CC-BY-4.0",
    "model_terms": json.dumps(TERMS),
    "price_amount": "250000",
    "price_currency": "USD",
    "categories": "[]",
    "languages": "[]",
    "model_slugs": "[]",
    "min_reliability": "0.0",
    "include_stored": "on",
    "include_live": "on",
}


@pytest.fixture
def staff(operator):
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    return operator


def _action(client, model, action, ids):
    return client.post(
        f"/admin/market/{model}/",
        {"action": action, "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_an_operator_defines_freezes_reviews_and_publishes_in_the_admin(
    client, staff, market_arena, evm
):
    client.force_login(staff)
    data = {**PRODUCT_FORM, "slug": "arena-prefs", "title": "Arena preferences"}
    response = client.post("/admin/market/datasetproduct/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = DatasetProduct.objects.get(slug="arena-prefs")
    assert product.created_by == staff

    page = _action(client, "datasetproduct", "freeze_version", [product.pk]).content.decode()
    assert "rows frozen; read its PII report" in page
    version = DatasetVersion.objects.get(product=product)
    assert version.status == "frozen"

    detail = client.get(f"/admin/market/datasetversion/{version.pk}/change/").content.decode()
    assert "PII report" in detail
    assert "[EMAIL]" in detail and "[PHONE]" in detail
    assert "jean.dupont@gmail.com" not in detail
    assert "Duplicate prompts collapsed" in detail

    page = _action(client, "datasetversion", "publish", [version.pk]).content.decode()
    assert "nothing to publish." in page  # not reviewed yet
    _action(client, "datasetversion", "approve", [version.pk])
    version.refresh_from_db()
    assert (version.status, version.reviewed_by) == ("approved", staff)
    page = _action(client, "datasetversion", "publish", [version.pk]).content.decode()
    version.refresh_from_db()
    assert version.status == "published", page[:3000]
    assert version.tx_hash and version.block_number


def test_a_price_of_zero_is_refused_in_the_admin_form(client, staff, market_arena):
    # A purchase is for at least one unit: a product priced at 0 could be defined,
    # published and shown for sale, and then never ordered.
    client.force_login(staff)
    data = {**PRODUCT_FORM, "slug": "free-prefs", "title": "Free", "price_amount": "0"}
    response = client.post("/admin/market/datasetproduct/add/", data)
    assert response.status_code == 200
    assert "The price is at least one minor unit (one cent for USD)." in response.content.decode()
    assert not DatasetProduct.objects.filter(slug="free-prefs").exists()
    response = client.post("/admin/market/datasetproduct/add/", {**data, "price_amount": "1"})
    assert response.status_code == 302
    assert DatasetProduct.objects.get(slug="free-prefs").price_amount == 1


def test_the_version_admin_cannot_edit_or_delete(client, staff, product):
    from datafi.market import services as market

    version = market.version_freeze(product_id=product.pk, operator=staff)
    client.force_login(staff)
    response = client.post(
        f"/admin/market/datasetversion/{version.pk}/change/", {"review_note": "edited"}
    )
    assert response.status_code == 403
    response = client.post(f"/admin/market/datasetversion/{version.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert DatasetVersion.objects.filter(pk=version.pk, review_note="").exists()


def test_the_market_admin_is_for_operators_only(client, alice, product):
    client.force_login(alice)
    response = client.get("/admin/market/datasetversion/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_dataset_too_large_for_a_request_is_frozen_by_the_command_with_progress(
    client, staff, product, settings
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from datafi.market import services as market

    votes = market.product_votes_count(product_id=product.pk)
    assert votes >= 12
    settings.MARKET_ADMIN_FREEZE_MAX_VOTES = votes - 1
    client.force_login(staff)
    answer = _action(client, "datasetproduct", "freeze_version", [product.pk])
    text = answer.content.decode()
    assert f"matches {votes:,} votes" in text
    assert "manage.py freeze_dataset_version arena-prefs --operator olga" in text
    assert not DatasetVersion.objects.exists()

    out, err = StringIO(), StringIO()
    call_command(
        "freeze_dataset_version", "arena-prefs", "--operator", "olga", stdout=out, stderr=err
    )
    version = DatasetVersion.objects.get()
    assert f"{version.row_count:,} rows frozen, root {version.root}" in out.getvalue()
    assert f"{votes}/{votes}" in err.getvalue() and "votes read" in err.getvalue()
    assert version.frozen_by == staff and version.status == "frozen"
    with pytest.raises(CommandError, match="no operator"):
        call_command("freeze_dataset_version", "arena-prefs", "--operator", "alice")
    with pytest.raises(CommandError, match="no dataset"):
        call_command("freeze_dataset_version", "nope", "--operator", "olga")
