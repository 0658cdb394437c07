"""Freezing a dataset version: consenting contributors only, exact rows kept, root over them."""

import json

import pytest

from datafi.errors import ApiError
from datafi.market import canonical
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from datafi.market.models import DatasetVersion, VersionRow
from tests.market.conftest import TERMS, fold_all, vote_times


def test_it_freezes_only_the_votes_of_contributors_who_agreed(
    product, operator, alice, carol, mallory
):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    voters = set(VersionRow.objects.filter(version=version).values_list("voter_id", flat=True))
    assert voters == {alice.pk, carol.pk}
    assert version.metadata["left_out"]["no_consent"] == 6
    assert version.row_count + version.dedup["repeated_judgements"] == 12
    root, rows = canonical.root_of_lines(market_selectors.version_lines(version=version))
    assert (root, rows) == (version.root, version.row_count)


def _leaves(version):
    return list(VersionRow.objects.filter(version=version).order_by("position").values_list(
        "battle_id", "leaf", "canonical"
    ))  # fmt: skip


def test_frozen_rows_do_not_change_when_new_votes_arrive(
    product, operator, market_arena, alice, carol
):
    first = market.version_freeze(product_id=product.pk, operator=operator)
    before = _leaves(first)
    # New prompts and new votes from consenting contributors.
    from evals import services

    for k in range(2):
        prompt = services.prompt_upsert(
            key=f"late-{k}", text=f"A later question {k}?", category="other", language="en"
        )
        for j, model in enumerate(market_arena["models"]):
            services.answer_upsert(prompt=prompt, model=model, text=f"Answer {j} on {k}.")
    vote_times(alice, 2, market_arena["clock"])
    vote_times(carol, 2, market_arena["clock"])
    fold_all()

    first.refresh_from_db()
    assert _leaves(first) == before
    root, rows = canonical.root_of_lines(market_selectors.version_lines(version=first))
    assert (root, rows) == (first.root, first.row_count)

    second = market.version_freeze(product_id=product.pk, operator=operator)
    assert second.number == first.number + 1
    assert second.row_count == first.row_count + 4
    assert second.root != first.root
    assert {b for b, _l, _c in before} < {b for b, _l, _c in _leaves(second)}


def test_a_withdrawn_consent_applies_to_later_versions_only(product, operator, alice, carol):
    first = market.version_freeze(product_id=product.pk, operator=operator)
    market.consent_set(user=alice, agreed=False)
    second = market.version_freeze(product_id=product.pk, operator=operator)
    voters = lambda v: set(VersionRow.objects.filter(version=v).values_list("voter_id", flat=True))  # noqa: E731
    assert voters(first) == {alice.pk, carol.pk}
    assert voters(second) == {carol.pk}
    assert second.metadata["left_out"]["no_consent"] == 12


def test_a_voter_never_asked_counts_as_no(product, operator, market_arena, bob):
    vote_times(bob, 3, market_arena["clock"])
    fold_all()
    version = market.version_freeze(product_id=product.pk, operator=operator)
    assert not VersionRow.objects.filter(version=version, voter=bob).exists()
    assert market_selectors.consent_of(user=bob) is None


def _my_data(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get("/market/my-data/").content.decode()


def test_the_reliability_minimum_leaves_weaker_voters_out(product, operator, alice, carol):
    from evals.quality.models import VoterReliability

    VoterReliability.objects.filter(user=carol).update(score=0.4)
    product.min_reliability = 0.5
    product.save(update_fields=["min_reliability"])
    version = market.version_freeze(product_id=product.pk, operator=operator)
    voters = set(VersionRow.objects.filter(version=version).values_list("voter_id", flat=True))
    assert voters == {alice.pk}
    assert version.metadata["left_out"]["reliability"] == 6
    # Carol is told, in plain words, on My data.
    from datafi.market.models import VersionLeftOut

    record = VersionLeftOut.objects.get(version=version)
    assert (record.user_id, record.votes, record.reliability, record.excluded) == (
        carol.pk,
        6,
        0.4,
        False,
    )
    assert (
        f"6 of your votes were left out of {product.title} version {version.number}: when it "
        "was frozen, your reliability was 0.40, below this dataset's minimum of 0.50."
    ) in _my_data(carol)
    assert "left out of" not in _my_data(alice)


def test_a_voter_the_quality_rules_exclude_is_told_their_votes_were_left_out(
    product, operator, alice, carol
):
    from django.utils import timezone

    from evals.quality.models import VoterReliability

    VoterReliability.objects.filter(user=carol).update(excluded=True, excluded_at=timezone.now())
    version = market.version_freeze(product_id=product.pk, operator=operator)
    html = _my_data(carol)
    assert (
        f"6 of your votes were left out of {product.title} version {version.number}: when it "
        "was frozen, the quality rules had excluded your votes."
    ) in html
    assert "My votes says why, and you can appeal there." in html


def test_the_filter_picks_categories_languages_and_models(operator, market_arena, alice):
    product = market.product_create(
        operator=operator,
        slug="math-only",
        title="Math",
        card="Math votes.",
        licence="CC0-1.0",
        model_terms=dict(TERMS),
        price_amount=1,
        categories=["math"],
        languages=["en"],
        model_slugs=["halcyon-9", "marivolt-pro", "tessaract-mini"],
    )
    version = market.version_freeze(product_id=product.pk, operator=operator)
    rows = [json.loads(c) for c in VersionRow.objects.filter(version=version).values_list(
        "canonical", flat=True
    )]  # fmt: skip
    assert rows
    assert {r["category"] for r in rows} == {"math"}
    assert {r["language"] for r in rows} == {"en"}
    assert not ({r["model_a"] for r in rows} | {r["model_b"] for r in rows}) - {
        "halcyon-9", "marivolt-pro", "tessaract-mini"
    }  # fmt: skip
    assert version.metadata["licence"]["model_outputs"].keys() <= set(TERMS)


def test_duplicate_prompts_are_collapsed_and_counted_in_the_card(product, operator):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    rows = [json.loads(c) for c in VersionRow.objects.filter(version=version).values_list(
        "canonical", flat=True
    )]  # fmt: skip
    # p1, its exact copy and its normalised copy are one prompt, with one text.
    assert version.dedup["exact"] == 1
    assert version.dedup["normalised"] == 1
    assert version.metadata["prompts"] == 4
    assert len({r["prompt_key"] for r in rows}) == 4
    by_key = {}
    for r in rows:
        by_key.setdefault(r["prompt_key"], set()).add(r["prompt"])
    assert all(len(texts) == 1 for texts in by_key.values())
    card = version.metadata["card"]
    assert "Duplicate prompts collapsed: 2 (1 exact, 1 equal once normalised" in card
    repeated = version.dedup["repeated_judgements"]
    assert f"(the same voter, prompt and pair of models): {repeated}." in card
    # A voter judging the same pair on the collapsed prompt twice counts once.
    judgements = [
        (r["judge"], r["prompt_key"], frozenset((r["model_a"], r["model_b"]))) for r in rows
    ]
    assert len(judgements) == len(set(judgements))


def test_it_refuses_a_version_whose_models_have_no_stated_terms(product, operator):
    product.model_terms = {"halcyon-9": "terms"}
    product.save(update_fields=["model_terms"])
    with pytest.raises(ApiError) as exc:
        market.version_freeze(product_id=product.pk, operator=operator)
    assert exc.value.code == "model_terms_missing"
    assert "orbisque-xl" in exc.value.detail
    assert not DatasetVersion.objects.exists()


def test_it_refuses_an_empty_version(product, operator):
    product.languages = ["ja"]
    product.save(update_fields=["languages"])
    with pytest.raises(ApiError) as exc:
        market.version_freeze(product_id=product.pk, operator=operator)
    assert (exc.value.code, exc.value.status_code) == ("empty_version", 409)
    assert not DatasetVersion.objects.exists()


def test_a_product_with_a_bad_filter_is_refused(operator):
    with pytest.raises(ApiError) as exc:
        market.product_create(
            operator=operator, slug="bad", title="Bad", card="x", licence="WTFPL",
            price_amount=1, include_stored=False, include_live=False, min_reliability=3,
        )  # fmt: skip
    assert exc.value.code == "bad_product"
    assert "licence" in exc.value.detail
    assert "stored or live battles" in exc.value.detail
    assert "minimum reliability is between 0 and 1" in exc.value.detail
