"""The public catalogue (issue #14, item 3): /market/, /market/<slug>/ and
/api/v1/market/datasets[/<slug>]. Only published versions appear, with a few
scrubbed sample rows each; nothing names a model in pre-release testing."""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from django.utils.html import strip_tags

from datafi.errors import ApiError
from datafi.flows import market as market_flow
from datafi.market import canonical, presentation
from datafi.market import services as market
from datafi.market.catalogue_views import PII_KINDS
from datafi.market.models import DatasetVersion, VersionRow
from evals.models import EvalModel
from tests.market.conftest import TERMS, approve


@pytest.fixture(autouse=True)
def _fresh_throttles(fresh_cache):
    # The public endpoints' throttle counts live in the cache, which outlives a test:
    # a namespace of its own.
    return fresh_cache


def publish(product, operator):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    approve(version, operator)
    return market_flow.version_publish(version_id=version.pk)


@pytest.fixture
def published(product, operator, evm):
    return publish(product, operator)


def other_product(operator, slug, **fields):
    return market.product_create(
        operator=operator,
        slug=slug,
        title=fields.pop("title", f"Dataset {slug}"),
        card=fields.pop("card", f"The {slug} dataset."),
        licence="CC-BY-NC-4.0",
        model_terms=dict(TERMS),
        price_amount=fields.pop("price_amount", 1250),
        price_currency=fields.pop("price_currency", "USD"),
        **fields,
    )


@pytest.fixture
def unpublished(published, operator):
    """v2 of the published product frozen, and three products whose versions are frozen,
    approved but not sent, or discarded: none of these may appear."""
    frozen_v2 = market.version_freeze(product_id=published.product_id, operator=operator)
    states = {}
    for slug, step in (("still-frozen", None), ("approved-only", True), ("discarded", False)):
        product = other_product(operator, slug)
        version = market.version_freeze(product_id=product.pk, operator=operator)
        if step is not None:
            market.version_review(version_id=version.pk, operator=operator, approve=step)
        states[slug] = DatasetVersion.objects.get(pk=version.pk).status
    assert states == {
        "still-frozen": "frozen",
        "approved-only": "approved",
        "discarded": "discarded",
    }
    return frozen_v2


def api_json(client, url, status=200, **extra):
    response = client.get(url, **extra)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


# --- only what is published ---------------------------------------------------------


def test_the_catalogue_shows_a_published_dataset_to_anyone(client, published, product):
    html = client.get("/market/").content.decode()
    assert product.title in html and 'href="/market/arena-prefs/"' in html
    assert "Human preference votes from the datafi arena." in html  # the card's summary
    assert "Creative Commons Attribution 4.0" in html
    assert "$2,500.00" in html  # 250,000 cents
    assert published.root in html and published.tx_hash in html
    assert f">{published.row_count}<" in html

    [item] = api_json(client, "/api/v1/market/datasets")["results"]
    assert item["slug"] == "arena-prefs" and item["title"] == "Arena preferences"
    assert item["summary"] == "Human preference votes from the datafi arena."
    assert item["licence"] == {"id": "CC-BY-4.0", "name": "Creative Commons Attribution 4.0"}
    assert item["price"] == {"amount": 250_000, "currency": "USD", "decimal": "2500.00"}
    assert item["url"] == "http://testserver/market/arena-prefs/"
    [version] = item["versions"]
    assert version["number"] == 1 and version["rows"] == published.row_count
    assert version["root"] == published.root and version["tx_hash"] == published.tx_hash
    assert version["block_number"] == published.block_number
    assert version["network"] == published.network and version["row_format"] == "datafi-row-v1"


def test_versions_not_published_never_appear(client, unpublished, published):
    html = client.get("/market/").content.decode()
    for slug in ("still-frozen", "approved-only", "discarded"):
        assert slug not in html
        assert client.get(f"/market/{slug}/").status_code == 404
        body = api_json(client, f"/api/v1/market/datasets/{slug}", status=404)
        assert body["code"] == "not_found" and slug in body["detail"]
    listed = api_json(client, "/api/v1/market/datasets")["results"]
    assert [d["slug"] for d in listed] == ["arena-prefs"]
    assert [v["number"] for v in listed[0]["versions"]] == [1]

    # v2 of the published product is frozen: neither the page nor the API shows it.
    assert unpublished.number == 2 and unpublished.status == "frozen"
    detail = api_json(client, "/api/v1/market/datasets/arena-prefs")
    assert [v["number"] for v in detail["versions"]] == [1]
    page = client.get("/market/arena-prefs/").content.decode()
    assert 'id="version-1"' in page and 'id="version-2"' not in page
    # Same rows as v1, so the same root; its metadata (its number) differs.
    assert unpublished.metadata_hash != published.metadata_hash
    assert unpublished.metadata_hash not in page + json.dumps(detail)


def test_a_second_published_version_is_listed_newest_first(client, published, product, operator):
    second = publish(product, operator)
    assert second.number == 2 and second.status == "published"
    [item] = api_json(client, "/api/v1/market/datasets")["results"]
    assert [v["number"] for v in item["versions"]] == [2, 1]
    page = client.get("/market/arena-prefs/").content.decode()
    assert page.index('id="version-2"') < page.index('id="version-1"')


def test_datasets_are_listed_by_their_latest_publication(client, published, operator):
    newer = other_product(operator, "newer-one")
    publish(newer, operator)
    listed = api_json(client, "/api/v1/market/datasets")["results"]
    assert [d["slug"] for d in listed] == ["newer-one", "arena-prefs"]
    html = client.get("/market/").content.decode()
    assert html.index('id="dataset-newer-one"') < html.index('id="dataset-arena-prefs"')


def test_an_empty_catalogue_says_so(client, db):
    assert "No dataset has been published yet." in client.get("/market/").content.decode()
    assert api_json(client, "/api/v1/market/datasets") == {"results": []}


def test_an_unknown_dataset_is_a_404_page_and_a_404_in_json(client, db):
    response = client.get("/market/no-such-thing/")
    assert response.status_code == 404
    assert "No published dataset is called “no-such-thing”." in response.content.decode()
    body = api_json(client, "/api/v1/market/datasets/no-such-thing", status=404)
    assert body == {
        "code": "not_found",
        "detail": "No published dataset is called “no-such-thing”.",
    }
    # A path that is no slug does not reach the view at all.
    assert client.get("/api/v1/market/datasets/a.b").status_code == 404


def test_writes_are_refused(client, published):
    assert client.post("/market/arena-prefs/").status_code == 405
    response = client.post(
        "/api/v1/market/datasets/arena-prefs", {}, content_type="application/json"
    )
    assert response.status_code in (403, 405)
    assert client.delete("/api/v1/market/datasets").status_code in (403, 405)
    assert DatasetVersion.objects.get(pk=published.pk).status == "published"


def test_a_bad_key_is_refused_not_ignored(client, published):
    body = api_json(
        client, "/api/v1/market/datasets", status=401, HTTP_AUTHORIZATION="Bearer dfk_nope_nope"
    )
    assert body["code"] in ("invalid_key", "authentication_failed")


def test_the_slug_consent_is_kept_for_the_consent_page(operator, db):
    with pytest.raises(ApiError) as exc:
        other_product(operator, "consent")
    assert exc.value.code == "bad_product" and "slug" in exc.value.detail


# --- the product page ---------------------------------------------------------------


def test_the_product_page_shows_the_card_terms_counts_and_chain_record(client, published):
    html = client.get("/market/arena-prefs/").content.decode()
    assert "<p>Human preference votes from the datafi arena.</p>" in html
    for slug, terms in TERMS.items():
        assert f"<dt>{slug}</dt><dd>{terms}</dd>" in html
    assert published.root in html and published.tx_hash in html
    assert published.metadata_hash in html
    dedup = published.dedup
    assert dedup["exact"] + dedup["normalised"] >= 2  # the fixture's two duplicate prompts
    assert f"Duplicates: {dedup['exact']} exact, {dedup['normalised']} equal once case" in html
    masked = sum(published.scrub_counts.values())
    assert masked >= 3  # the e-mail, the phone number, the IBAN
    assert f'Personal data masked</dt><dd class="num">{masked}</dd>' in html
    for kind, n in published.scrub_counts.items():
        assert f"{PII_KINDS[kind]} {n}" in html
    assert 'id="buy"' in html  # the place the purchase flow goes
    # The version's card as registered, with its "This version" section.
    assert "<h2>This version</h2>" in html


def test_a_card_is_markdown_but_never_raw_html(client, operator, evm, market_arena):
    product = other_product(
        operator,
        "markdown-card",
        card=(
            "# About\n\nVotes on **coding** prompts, [read more](https://example.org).\n\n"
            '<script>alert("x")</script>\n\n![chart](https://example.org/c.png)'
        ),
    )
    publish(product, operator)
    html = client.get("/market/markdown-card/").content.decode()
    assert "<strong>coding</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow ugc"' in html
    assert '<script>alert("x")' not in html and "<img" not in html
    [item] = [
        d
        for d in api_json(client, "/api/v1/market/datasets")["results"]
        if d["slug"] == "markdown-card"
    ]
    assert item["summary"] == "Votes on coding prompts, read more."
    assert "Votes on coding prompts, read more." in client.get("/market/").content.decode()


def test_prices_are_written_as_the_reader_s_language_writes_them(
    client, operator, evm, market_arena
):
    publish(other_product(operator, "yen", price_amount=125_000, price_currency="JPY"), operator)
    publish(other_product(operator, "euro", price_amount=1_234_56, price_currency="EUR"), operator)
    english = client.get("/market/").content.decode()
    assert "¥125,000" in english and "€1,234.56" in english
    indonesian = client.get("/market/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "JP¥125.000" in indonesian and "€1.234,56" in indonesian
    prices = {d["slug"]: d["price"] for d in api_json(client, "/api/v1/market/datasets")["results"]}
    assert prices["yen"] == {"amount": 125_000, "currency": "JPY", "decimal": "125000"}
    assert prices["euro"] == {"amount": 123_456, "currency": "EUR", "decimal": "1234.56"}


# --- sample rows ----------------------------------------------------------------------


def first_rows(version, n=3):
    rows = VersionRow.objects.filter(version=version).order_by("position")[:n]
    return [json.loads(r.canonical) for r in rows]


def test_a_version_shows_its_first_rows_scrubbed_and_whole_in_the_api(client, published):
    detail = api_json(client, "/api/v1/market/datasets/arena-prefs")
    [version] = detail["versions"]
    assert version["sample_rows"] == first_rows(published)
    leaves = set(VersionRow.objects.filter(version=published).values_list("leaf", flat=True))
    for row in version["sample_rows"]:
        assert canonical.leaf(row) in leaves  # exactly the rows of the version
    assert version["pii_masked"] == published.scrub_counts
    assert version["dedup"] == published.dedup
    assert version["model_terms"] == {
        slug: TERMS[slug] for slug in published.metadata["licence"]["model_outputs"]
    }
    assert version["card"] == published.metadata["card"]
    assert version["left_out"] == published.metadata["left_out"]
    assert detail["card"] == "Human preference votes from the datafi arena."


def test_sample_rows_are_readable_on_the_page(client, published):
    html = client.get("/market/arena-prefs/").content.decode()
    for row in first_rows(published):
        assert f'data-battle="{row["battle_id"]}"' in html
        assert f"<strong>A</strong> · {row['model_a']}" in html
    assert html.count('class="sample"') == 3
    # Prompts and answers are Markdown, rendered as in the arena ("explain **topic 1**").
    assert any("**topic" in row["prompt"] for row in first_rows(published))
    assert "<strong>topic" in html and "**topic" not in html


def test_an_excerpt_is_cut_then_rendered_safely():
    answer = "Use this:\n\n```python\n" + "x = 1\n" * 200 + "```\n\n<img src=x onerror=alert(1)>"
    html = presentation.excerpt_html(answer, 120)
    assert strip_tags(html).count("x = 1") < 25 and "…" in html
    assert "<pre>" in html and "<img" not in html
    assert (
        presentation.excerpt_html("Explain **this**.", 400)
        == "<p>Explain <strong>this</strong>.</p>\n"
    )


def test_samples_pass_over_contributors_who_withdrew_their_consent(client, published, alice):
    before = api_json(client, "/api/v1/market/datasets/arena-prefs")["versions"][0]["sample_rows"]
    voters = dict(VersionRow.objects.filter(version=published).values_list("battle_id", "voter_id"))
    assert alice.pk in {voters[_uuid(r["battle_id"])] for r in before}
    market.consent_set(user=alice, agreed=False)

    after = api_json(client, "/api/v1/market/datasets/arena-prefs")["versions"][0]["sample_rows"]
    assert len(after) == 3
    assert alice.pk not in {voters[_uuid(r["battle_id"])] for r in after}
    # The version itself is unchanged: frozen rows stay, and so does its root.
    published.refresh_from_db()
    assert published.row_count == VersionRow.objects.filter(version=published).count()
    assert api_json(client, "/api/v1/market/datasets")["results"][0]["versions"][0]["root"] == (
        published.root
    )


def _uuid(hex32):
    import uuid

    return uuid.UUID(hex32)


def test_nothing_names_a_model_in_pre_release_testing(client, published):
    # A frozen version holds no battle of a model then in testing and services never
    # put a model back into testing; force it, to check the last guard.
    samples = api_json(client, "/api/v1/market/datasets/arena-prefs")["versions"][0]["sample_rows"]
    slug = samples[0]["model_a"]
    EvalModel.objects.filter(slug=slug).update(
        prerelease=EvalModel.Prerelease.TESTING, codename=slug, testing_started_at=timezone.now()
    )

    detail = api_json(client, "/api/v1/market/datasets/arena-prefs")
    page = client.get("/market/arena-prefs/").content.decode()
    catalogue = client.get("/market/").content.decode() + json.dumps(
        api_json(client, "/api/v1/market/datasets")
    )
    for text in (json.dumps(detail), page, catalogue):
        assert slug not in text
    assert detail["versions"][0]["model_terms"] == {
        s: t
        for s, t in TERMS.items()
        if s != slug and s in published.metadata["licence"]["model_outputs"]
    }


# --- cost ---------------------------------------------------------------------------


def test_the_catalogue_costs_two_queries_however_many_versions(
    client, published, product, operator, django_assert_num_queries
):
    publish(product, operator)
    publish(other_product(operator, "another"), operator)
    client.get("/market/")  # warm the cache of the content types and the like
    with django_assert_num_queries(2):
        assert client.get("/market/").status_code == 200
    with django_assert_num_queries(2):
        assert client.get("/api/v1/market/datasets").status_code == 200


def test_a_product_page_costs_three_queries_and_one_per_version(
    client, published, product, operator, django_assert_num_queries
):
    publish(product, operator)
    client.get("/market/arena-prefs/")
    # The product, its published versions, the models in testing, each version's samples.
    with django_assert_num_queries(3 + 2):
        assert client.get("/market/arena-prefs/").status_code == 200
    with django_assert_num_queries(3 + 2):
        assert client.get("/api/v1/market/datasets/arena-prefs").status_code == 200


# --- the schema ---------------------------------------------------------------------


@pytest.fixture
def wsgi_schema():
    # As tests/provider/test_schemathesis.py: the real WSGI handler would close the
    # test's connection (and end its transaction) after each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_the_answers_match_the_documented_schema(published, wsgi_schema):
    for path, params, status in (
        ("/api/v1/market/datasets", {}, 200),
        ("/api/v1/market/datasets/{slug}", {"slug": "arena-prefs"}, 200),
        ("/api/v1/market/datasets/{slug}", {"slug": "nothing-here"}, 404),
    ):
        case = wsgi_schema[path]["GET"].Case(path_parameters=params)
        response = case.call()  # no key: the catalogue is public
        assert response.status_code == status
        case.validate_response(response)
