"""The schema states exactly what the server accepts (issue #12, D15).

Each test pairs what /api/v1/schema says with what the server does for the
same input; schemathesis (.ci/schemathesis.sh) checks the rest at random.
"""

import json

import pytest

from evals.models import Answer, EvalModel
from tests.provider.helpers import auth


@pytest.fixture
def schema(client, orgs):
    resp = client.get("/api/v1/schema?format=json")
    assert resp.status_code == 200
    return json.loads(resp.content)


def _param(schema, path, name):
    [param] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    return param["schema"]


@pytest.mark.parametrize("url", ["/api/v1/battles", "/api/v1/votes"])
def test_a_filter_naming_no_model_is_a_documented_404(client, bob_key, votes, url, schema):
    # "0" is a valid slug as far as the schema goes; no model has it.
    assert "404" in schema["paths"][url]["get"]["responses"]
    for query in ("model=0", "opponent=0"):
        resp = client.get(f"{url}?{query}", **auth(bob_key))
        assert resp.status_code == 404 and resp.json()["code"] == "unknown_model"


def test_an_empty_time_window_is_an_empty_page(client, bob_key, votes):
    at = "2026-01-01T00:00:00Z"
    for query in (f"since={at}&until={at}", f"since={at}&until=2025-01-01T00:00:00Z"):
        resp = client.get(f"/api/v1/battles?{query}", **auth(bob_key))
        assert resp.status_code == 200, resp.content
        assert resp.json()["results"] == []


def test_a_parquet_export_can_be_gzipped(client, bob_key, votes, schema):
    assert "gzip" in _param(schema, "/api/v1/datasets/export", "compression")["enum"]
    resp = client.get("/api/v1/datasets/export?format=parquet&compression=gzip", **auth(bob_key))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/gzip"
    import gzip

    assert gzip.decompress(b"".join(resp.streaming_content))[:4] == b"PAR1"


@pytest.mark.parametrize(
    "path,url",
    [
        ("/api/v1/leaderboard/snapshots", "/api/v1/leaderboard/snapshots"),
        ("/api/v1/prompt-sets/{slug}/prompts", "/api/v1/prompt-sets/core/prompts"),
    ],
)
def test_page_size_bounds_are_stated_and_enforced(client, bob_key, schema, path, url):
    bounds = _param(schema, path, "page_size")
    assert bounds["type"] == "integer" and bounds["minimum"] == 1
    for bad in ("0", "abc", str(bounds["maximum"] + 1), "1&page_size=2"):
        resp = client.get(f"{url}?page_size={bad}", **auth(bob_key))
        assert resp.status_code == 400, (bad, resp.content)
    assert client.get(f"{url}?page_size=1", **auth(bob_key)).status_code == 200


def test_an_empty_upload_is_refused_as_the_schema_says(client, bob_key, schema):
    assert schema["paths"]["/api/v1/answers"]["post"]["requestBody"]["required"] is True
    body = schema["paths"]["/api/v1/answers"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/x-ndjson", "application/jsonl"}
    assert body["application/x-ndjson"]["schema"]["minItems"] == 1
    resp = client.post(
        "/api/v1/answers", data=b"", content_type="application/x-ndjson", **auth(bob_key)
    )
    assert resp.status_code == 400 and resp.json()["code"] == "empty_upload"


def test_a_description_over_the_limit_is_refused_even_if_trimming_would_fit(
    client, bob_key, schema
):
    limit = schema["components"]["schemas"]["PatchedModelDetailInputRequest"]["properties"][
        "description"
    ]
    assert limit["maxLength"] == 5000
    resp = client.patch(
        "/api/v1/models/halcyon-9",
        data=json.dumps({"description": "\n" + "x" * 5000}),
        content_type="application/json",
        **auth(bob_key),
    )
    assert resp.status_code == 400, resp.content
    assert EvalModel.objects.get(slug="halcyon-9").description == "Halcyon-9 test model"


def test_a_model_name_needs_a_letter_or_digit_as_the_schema_says(client, bob_key, schema):
    pattern = schema["components"]["schemas"]["ModelListInputRequest"]["properties"]["name"][
        "pattern"
    ]
    assert pattern == "[A-Za-z0-9]"
    for name in ("é", "中文", "   "):
        resp = client.post(
            "/api/v1/models",
            data=json.dumps({"name": name}),
            content_type="application/json",
            **auth(bob_key),
        )
        assert resp.status_code == 400, (name, resp.content)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/battles?language=en&language=fr",
        "/api/v1/leaderboard?language=en&language=fr",
        "/api/v1/prompt-sets/core/prompts?unanswered_by=a&unanswered_by=b",
    ],
)
def test_a_repeated_parameter_is_a_400(client, bob_key, votes, url):
    resp = client.get(url, **auth(bob_key))
    assert resp.status_code == 400, resp.content


def test_a_json_line_may_hold_a_unicode_line_separator(client, bob_key):
    line = json.dumps(
        {"model": "halcyon-9", "prompt": "p0", "text": "one\u2028two"}, ensure_ascii=False
    )
    resp = client.post(
        "/api/v1/answers",
        data=line.encode(),
        content_type="application/x-ndjson",
        **auth(bob_key),
    )
    assert resp.status_code == 200, resp.content
    assert Answer.objects.get(model__slug="halcyon-9", prompt__key="p0").text == "one\u2028two"


def test_a_null_where_the_schema_wants_a_number_is_refused(client, bob_key):
    line = json.dumps({"model": "halcyon-9", "prompt": "p0", "text": "x", "latency_ms": None})
    resp = client.post(
        "/api/v1/answers", data=line, content_type="application/x-ndjson", **auth(bob_key)
    )
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "invalid_line"


def test_an_unknown_field_in_a_model_body_is_refused_as_the_schema_says(client, bob_key, schema):
    component = schema["components"]["schemas"]["ModelListInputRequest"]
    assert component["additionalProperties"] is False
    resp = client.post(
        "/api/v1/models",
        data=json.dumps({"name": "Typo Model", "descripton": "misspelt"}),
        content_type="application/json",
        **auth(bob_key),
    )
    assert resp.status_code == 400 and resp.json()["code"] == "unknown_fields"
    assert not EvalModel.objects.filter(slug="typo-model").exists()


def test_a_forged_snapshot_cursor_is_a_documented_404(client, schema):
    assert "404" in schema["paths"]["/api/v1/leaderboard/snapshots"]["get"]["responses"]
    resp = client.get("/api/v1/leaderboard/snapshots?cursor=garbage")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


@pytest.mark.parametrize("field", ["model", "prompt", "text"])
def test_an_upload_line_with_a_nul_character_is_a_400(client, bob_key, field):
    line = {"model": "halcyon-9", "prompt": "p0", "text": "fine"}
    line[field] = line[field] + "\x00"
    resp = client.post(
        "/api/v1/answers",
        data=json.dumps(line),
        content_type="application/x-ndjson",
        **auth(bob_key),
    )
    # Refused by the input layer or by the line parser, never stored nor a 500.
    assert resp.status_code == 400, resp.content
    assert not Answer.objects.filter(prompt__key="p0", text__startswith="fine").exists()


def test_a_whitespace_filter_or_cursor_is_not_trimmed_into_a_400(client, bob_key, votes):
    assert client.get("/api/v1/battles?language=%20", **auth(bob_key)).status_code == 200
    resp = client.get("/api/v1/battles?cursor=%1F", **auth(bob_key))
    # DRF reads this one as the first page; it must not be refused as a blank field.
    assert resp.status_code in (200, 404), resp.content


def test_an_answer_of_only_whitespace_is_refused_as_the_schema_says(client, bob_key, schema):
    import re

    lines = schema["paths"]["/api/v1/answers"]["post"]["requestBody"]["content"]
    pattern = lines["application/x-ndjson"]["schema"]["items"]["properties"]["text"]["pattern"]
    # U+001E is whitespace to str.strip() but not to JSON Schema's \s.
    for text in ("\x1e", " \x85 ", "\t"):
        assert re.search(pattern, text) is None
        body = json.dumps({"model": "halcyon-9", "prompt": "p0", "text": text})
        resp = client.post(
            "/api/v1/answers", data=body, content_type="application/x-ndjson", **auth(bob_key)
        )
        assert resp.status_code == 400
    assert re.search(pattern, "\x1eok")


def test_the_live_models_default_params_are_the_ones_the_server_takes(schema):
    from evals.endpoints import ALLOWED_PARAMS

    body = schema["components"]["schemas"]["LiveModelInputRequest"]
    params = body["properties"]["default_params"]
    assert params["additionalProperties"] is False
    assert set(params["properties"]) == ALLOWED_PARAMS
    assert body["additionalProperties"] is False
