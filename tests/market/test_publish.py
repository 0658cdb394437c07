"""Publishing a version: reviewed first, its root and metadata recorded on the in-process EVM,
and from then on nothing about it changes."""

import pytest
from django.db import IntegrityError, transaction

from datafi.errors import ApiError
from datafi.flows import market as market_flow
from datafi.market import canonical
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from datafi.market.models import DatasetVersion, ScrubFinding, VersionRow
from rewards.models import ChainTx
from rewards.services import registry
from tests.market.conftest import approve


@pytest.fixture
def published(product, operator, evm):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    approve(version, operator)
    return market_flow.version_publish(version_id=version.pk)


def test_a_published_version_has_its_root_metadata_and_rows_on_chain(published, product):
    assert published.status == "published"
    assert published.block_number and published.tx_hash and published.published_at
    onchain = registry.registration_onchain(dataset=product.pk, version=published.number)
    assert onchain.root == published.root
    assert onchain.metadata_hash == published.metadata_hash
    assert onchain.rows == published.row_count >= 6
    assert canonical.metadata_hash(published.metadata) == published.metadata_hash
    tx = ChainTx.objects.get(tx_hash=published.tx_hash)
    assert (tx.purpose, tx.status) == ("register", "confirmed")


def test_publishing_again_sends_nothing(published):
    with pytest.raises(ApiError) as exc:
        market_flow.version_publish(version_id=published.pk)
    assert exc.value.code == "wrong_state"
    assert ChainTx.objects.filter(purpose="register").count() == 1


def test_a_version_not_reviewed_is_not_sent(product, operator, evm):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    with pytest.raises(ApiError) as exc:
        market_flow.version_publish(version_id=version.pk)
    assert exc.value.code == "wrong_state"
    assert not ChainTx.objects.filter(purpose="register").exists()


def test_only_an_operator_reviews_a_version(product, operator, alice):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    with pytest.raises(ApiError) as exc:
        market.version_review(version_id=version.pk, operator=alice, approve=True)
    assert exc.value.status_code == 403
    version.refresh_from_db()
    assert version.status == "frozen"


def test_a_discarded_version_is_never_published(product, operator, evm):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    market.version_review(version_id=version.pk, operator=operator, approve=False, note="PII left")
    with pytest.raises(ApiError):
        market_flow.version_publish(version_id=version.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        DatasetVersion.objects.filter(pk=version.pk).update(status="approved")


def test_the_registry_refuses_to_overwrite_a_registered_version(published, product):
    with pytest.raises(registry.ChainReverted) as exc:
        registry.registration_send(
            dataset=product.pk,
            version=published.number + 100,
            root="0x" + "00" * 32,
            metadata_hash=published.metadata_hash,
            rows=1,
            record=lambda tx_hash: None,
        )
    assert exc.value.error == "ZeroRoot"
    with pytest.raises(registry.ChainReverted) as exc:
        from rewards import chain

        to, data = chain.register_call(
            dataset=product.pk,
            version=published.number,
            root="0x" + "11" * 32,
            metadata_hash=published.metadata_hash,
            rows=1,
        )
        chain.submit(label="overwrite-attempt", purpose="register", to=to, data=data)
    assert exc.value.error == "AlreadyRegistered", repr(exc.value.__cause__)
    onchain = registry.registration_onchain(dataset=product.pk, version=published.number)
    assert onchain.root == published.root


def test_a_publish_racing_another_one_follows_its_transaction_instead_of_failing(
    product, operator, evm, monkeypatch
):
    """An operator's Publish and the worker's pass both found the version unsent;
    the other one's registration was signed, sent and mined while this one was
    still estimating gas, so the registry says AlreadyRegistered. Before, the
    version went back to approved with "the registry refused it"; now it follows
    the other one's transaction and is published, with one registration."""
    from rewards import chain

    version = market.version_freeze(product_id=product.pk, operator=operator)
    approve(version, operator)
    version = market.version_registration_start(
        version_id=version.pk, network=registry.chain_network()
    )
    label = registry.registration_label(dataset=product.pk, version=version.number)
    to, data = chain.register_call(
        dataset=product.pk,
        version=version.number,
        root=version.root,
        metadata_hash=version.metadata_hash,
        rows=version.row_count,
    )
    other = chain.submit(label=label, purpose="register", to=to, data=data)  # the other process
    real, looks = chain.live_tx, []

    def read_before_the_other_committed(lbl):
        looks.append(lbl)
        return None if len(looks) == 1 else real(lbl)

    monkeypatch.setattr(chain, "live_tx", read_before_the_other_committed)
    published = market_flow.version_publish(version_id=version.pk)
    assert len(looks) == 2  # it looked again after the node refused
    assert (published.status, published.tx_hash, published.last_error) == (
        "published",
        other.tx_hash,
        "",
    )
    assert ChainTx.objects.filter(purpose="register").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"root": "0x" + "ab" * 32},
        {"row_count": 1},
        {"metadata": {"title": "something else"}},
        {"metadata_hash": "0x" + "cd" * 32},
        {"review_note": "edited after publication"},
        {"status": "approved"},
    ],
)
def test_the_database_refuses_to_edit_a_published_version(published, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        DatasetVersion.objects.filter(pk=published.pk).update(**change)
    published.refresh_from_db()
    assert published.status == "published"


def test_the_database_refuses_to_edit_a_frozen_row_or_finding(product, operator):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    row = VersionRow.objects.filter(version=version).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        VersionRow.objects.filter(pk=row.pk).update(canonical=row.canonical.replace("a", "b"))
    with pytest.raises(IntegrityError), transaction.atomic():
        DatasetVersion.objects.filter(pk=version.pk).update(root="0x" + "ab" * 32)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScrubFinding.objects.filter(version=version).update(kind="email")
    root, _rows = canonical.root_of_lines(market_selectors.version_lines(version=version))
    assert root == version.root
