"""Schemathesis over every operation of the project's own OpenAPI schema.

Runs in CI with the rest of the suite (no marker needed: it uses the WSGI app
in-process). Each operation is called with a key of an organisation that has
models, answers, battles and votes, so that the generated requests reach the
real code paths; every response must be documented and match its schema, and
none may be a server error.
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.provider.helpers import auth

MAX_EXAMPLES = 50


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def _ndjson(ctx, value):
    # The schema describes the upload's lines as an array (OpenAPI has no JSON
    # lines type): write one JSON document per line, as .ci/schemathesis.sh does.
    # A serializer returns the body's bytes.
    if isinstance(value, bytes):
        return value
    if isinstance(value, list):
        lines = [json.dumps(item) for item in value]
        return "\n".join(lines).encode("utf-8", "surrogatepass")
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@pytest.fixture
def api_schema(votes):
    # The real WSGI handler closes "old" connections after each request, which
    # would end the test's transaction; Django's test client avoids that the
    # same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def key_header(bob_key):
    return {"Authorization": auth(bob_key)["HTTP_AUTHORIZATION"]}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_honours_its_schema(case, key_header):
    # positive_data_acceptance expects every schema-valid request to succeed,
    # but a schema cannot say "an existing model's slug" or "a name nobody
    # has taken": those are clear 4xx by design. Every other check runs:
    # no server error, documented status codes and content types, response
    # bodies and headers that match the schema, schema-violating input refused.
    response = case.call(headers=key_header)
    if response.status_code == 413:
        # Too large (more lines or bytes than an upload may hold) is a refusal,
        # as .ci/schemathesis.toml accepts for the server-process run.
        return
    case.validate_response(
        response,
        headers=key_header,
        excluded_checks=[positive_data_acceptance],
        transport_kwargs={"headers": dict(key_header)},
    )
