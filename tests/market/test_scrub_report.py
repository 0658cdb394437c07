"""A version's PII report: what was masked where, shown to the operator without the data."""

import json

from datafi.market import selectors as market_selectors
from datafi.market import services as market
from datafi.market.models import ScrubFinding, VersionRow
from tests.market.conftest import PII_PROMPT


def test_a_version_masks_personal_data_and_reports_it(product, operator):
    version = market.version_freeze(product_id=product.pk, operator=operator)
    texts = "\n".join(
        VersionRow.objects.filter(version=version).values_list("canonical", flat=True)
    )
    for secret in ("jean.dupont@gmail.com", "7946 0958", "DE89 3704 0044 0532 0130 00"):
        assert secret not in texts
    rows = [json.loads(line) for line in market_selectors.version_lines(version=version)]
    pii_rows = [r for r in rows if r["prompt"].startswith("Please email me at [EMAIL] or call")]
    assert pii_rows, "the prompt with personal data is in the version, masked"
    assert PII_PROMPT.split(" or ")[1] not in texts
    assert all("[PHONE]" in r["prompt"] for r in pii_rows)
    iban_rows = [r for r in rows if "[IBAN]" in r["response_a"] + r["response_b"]]

    report = market_selectors.version_scrub_report(version=version)
    assert report["by_kind"]["email"] == report["by_kind"]["phone"] == len(pii_rows)
    assert report["by_kind"].get("iban", 0) == len(iban_rows)
    assert version.scrub_counts == report["by_kind"]
    assert report["rows_with_findings"] == len(pii_rows)
    assert f"email {len(pii_rows)}" in version.metadata["card"]
    for item in report["items"]:
        assert "jean.dupont" not in item["excerpt"] and "7946" not in item["excerpt"]
        assert "[" + item["kind"].upper() + "]" in item["excerpt"]
    assert ScrubFinding.objects.filter(version=version, field="prompt").count() == 2 * len(pii_rows)
