"""static/vendor/redoc/ is drf-spectacular-sidecar's Redoc bundle without the logo
it fetches from cdn.redoc.ly (datafi.vendor_redoc), and stays so across upgrades."""

import pytest

from datafi import vendor_redoc


def test_the_vendored_bundle_is_the_sidecars_without_the_logo():
    sidecar = (vendor_redoc.SIDECAR / "bundles/redoc.standalone.js").read_text(encoding="utf-8")
    vendored = (vendor_redoc.TARGET / "redoc.standalone.js").read_text(encoding="utf-8")
    # After an upgrade of drf-spectacular-sidecar: `make vendor-redoc`.
    assert vendored == vendor_redoc.without_logo(sidecar)
    assert "cdn.redoc.ly" not in vendored
    assert '"API docs by Redocly"' in vendored


def test_a_bundle_whose_logo_it_cannot_find_is_refused():
    with pytest.raises(ValueError, match="logo element"):
        vendor_redoc.without_logo('e.createElement("a",{},"API docs by Redocly")')
