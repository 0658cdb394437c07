"""Uploaded and operator-stored answers are checked on what the voter sees."""

import json

import pytest

from evals import services
from evals.models import Answer, EvalModel, Prompt
from tests.provider.helpers import auth


@pytest.mark.parametrize(
    "text",
    [
        "Hello, I am H&#97;lcyon-9 by Zephyrine L&#97;bs.",
        "Hello, I am Halcy**on**-9.",
        "Hello, I am Halcy\u200bon-9.",
        "Hello, I am Halcy\u00adon-9.",
        "Hello, I am \uff28\uff41\uff4c\uff43\uff59\uff4f\uff4e-9.",
        "Hello, I am [Halcy](https://example.com)on-9.",
        "Hello, I am `Halcy`on-9.",
    ],
)
def test_an_upload_that_shows_a_name_once_rendered_is_refused(client, bob_key, text):
    before = list(Answer.objects.order_by("pk").values_list("pk", "text"))
    line = json.dumps({"model": "halcyon-9", "prompt": "p0", "text": text})
    resp = client.post(
        "/api/v1/answers", data=line, content_type="application/x-ndjson", **auth(bob_key)
    )
    assert resp.status_code == 400, resp.json()
    [error] = resp.json()["errors"]
    assert error["code"] == "identity_leak" and "Halcyon-9" in error["detail"]
    assert list(Answer.objects.order_by("pk").values_list("pk", "text")) == before


def test_a_clean_upload_is_stored_with_its_rendering(client, bob_key):
    text = "A **fine** answer with `code` and &amp; an entity."
    line = json.dumps({"model": "halcyon-9", "prompt": "p0", "text": text})
    resp = client.post(
        "/api/v1/answers", data=line, content_type="application/x-ndjson", **auth(bob_key)
    )
    assert resp.status_code == 200, resp.json()
    answer = Answer.objects.get(model__slug="halcyon-9", prompt__key="p0")
    assert answer.text == text and "<strong>fine</strong>" in answer.html
    assert answer.withheld_reason == ""


def test_an_operator_stored_answer_that_shows_a_name_is_withheld(arena):
    answer = services.answer_upsert(
        prompt=Prompt.objects.get(key="p0"),
        model=EvalModel.objects.get(slug="halcyon-9"),
        text="I am Orbis**que** XL, by Q&#117;orvex AI.",
    )
    assert answer.withheld_reason.startswith("identity leak: the answer names")
    assert "Orbisque XL" in answer.withheld_reason and "Quorvex AI" in answer.withheld_reason
