import re

from django.core.management import call_command


def test_the_schema_is_valid_and_covers_every_operation(client, db, tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    resp = client.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    schema = resp.json()
    operations = {
        f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops
    }
    assert operations == {
        "GET /api/v1/leaderboard",
        "GET /api/v1/leaderboard/snapshots",
        "GET /api/v1/me",
        "GET /api/v1/models",
        "POST /api/v1/models",
        "GET /api/v1/models/{slug}",
        "PATCH /api/v1/models/{slug}",
        "POST /api/v1/models/{slug}/retire",
        "GET /api/v1/prompt-sets",
        "GET /api/v1/prompt-sets/{slug}/prompts",
        "POST /api/v1/answers",
        "GET /api/v1/battles",
        "GET /api/v1/votes",
        "GET /api/v1/fairness",
        "GET /api/v1/datasets/export",
        "GET /api/v1/market/orders",
        "POST /api/v1/market/orders",
        "GET /api/v1/market/orders/{order_id}",
        "POST /api/v1/market/orders/{order_id}",
        "POST /api/v1/market/test-dollars",
        "GET /api/v1/analytics/models/{slug}",
        "GET /api/v1/analytics/models/{slug}/battles",
        "GET /api/v1/analytics/models/{slug}/csv",
        "POST /api/v1/live-models",
        "GET /api/v1/models/{slug}/endpoint",
        "POST /api/v1/models/{slug}/endpoint/probe",
        "POST /api/v1/models/{slug}/endpoint/pause",
        "POST /api/v1/models/{slug}/endpoint/resume",
        "POST /api/v1/models/{slug}/endpoint/key",
        "GET /api/v1/models/{slug}/generation-jobs",
        "POST /api/v1/models/{slug}/generation-jobs",
        "GET /api/v1/generation-jobs/{job_id}",
        "POST /api/v1/testing-models",
        "GET /api/v1/models/{slug}/standing",
        "POST /api/v1/models/{slug}/release",
        "POST /api/v1/models/{slug}/withdraw",
        "GET /api/v1/market/datasets",
        "GET /api/v1/market/datasets/{slug}",
    }
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_the_docs_page_is_served_without_any_cdn(client, db, settings):
    settings.WHITENOISE_USE_FINDERS = True
    resp = client.get("/api/docs/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in a for a in assets), assets
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    assert "cdn" not in html.lower()
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset
    assert client.get("/api/redoc/").status_code == 200
