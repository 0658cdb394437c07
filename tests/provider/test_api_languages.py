"""API errors in the caller's language: the `code` is a stable English
identifier, only `detail` follows Accept-Language (issue #17)."""

import pytest

from tests.provider.helpers import auth


@pytest.mark.parametrize("query", ["excluded=maybe", "page_size=0", "since=yesterday"])
def test_a_refusal_keeps_its_code_and_translates_its_detail(client, bob_key, query):
    english = client.get(f"/api/v1/battles?{query}", HTTP_ACCEPT_LANGUAGE="en", **auth(bob_key))
    indonesian = client.get(f"/api/v1/battles?{query}", HTTP_ACCEPT_LANGUAGE="id", **auth(bob_key))
    assert english.status_code == indonesian.status_code == 400
    assert english.json()["code"] == indonesian.json()["code"] == "invalid"
    assert english.json()["detail"] != indonesian.json()["detail"]
    assert indonesian["Content-Language"] == "id"


def test_an_unknown_language_falls_back_to_english(client, bob_key):
    resp = client.get("/api/v1/battles?excluded=maybe", HTTP_ACCEPT_LANGUAGE="tlh", **auth(bob_key))
    english = client.get("/api/v1/battles?excluded=maybe", **auth(bob_key))
    assert resp.json() == english.json()
    assert resp["Content-Language"] == "en"
