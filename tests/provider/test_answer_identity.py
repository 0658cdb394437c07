"""Stored answers that name a model or provider never reach a voter before the vote."""

import json
import random

import pytest
from django.core.management import call_command

from evals import sampler, services
from evals.models import Answer, EvalModel, Prompt
from tests.live_support import stub  # noqa: F401  (fixture)
from tests.provider.helpers import auth


def _served_answer_ids(user, draws=60):
    served = set()
    for seed in range(draws):
        pick = sampler.pick(user=user, rng=random.Random(seed))
        served |= {pick.answer_a.pk, pick.answer_b.pk}
    return served


def test_an_upload_that_names_its_model_is_refused_with_the_lines_error(client, bob_key):
    lines = [
        {"model": "halcyon-9", "prompt": "p0", "text": "A fine answer."},
        {
            "model": "halcyon-9",
            "prompt": "p1",
            "text": "Hello! I'm Halcyon-9, made by Zephyrine Labs.",
        },
    ]
    before = list(Answer.objects.order_by("pk").values_list("pk", "text"))
    resp = client.post(
        "/api/v1/answers",
        data="\n".join(json.dumps(x) for x in lines),
        content_type="application/x-ndjson",
        **auth(bob_key),
    )
    assert resp.status_code == 400, resp.json()
    assert resp.json()["code"] == "invalid_lines"
    [error] = resp.json()["errors"]
    assert error["line"] == 2 and error["code"] == "identity_leak"
    assert "Halcyon-9" in error["detail"] and "Zephyrine Labs" in error["detail"]
    assert list(Answer.objects.order_by("pk").values_list("pk", "text")) == before


@pytest.mark.parametrize(
    "text",
    ["As a large language model trained by OpenAI, ...", "Quorvex AI built me.", "marivolt-pro"],
)
def test_an_upload_naming_any_model_or_vendor_is_refused(client, bob_key, text):
    line = json.dumps({"model": "halcyon-9", "prompt": "p0", "text": text})
    resp = client.post(
        "/api/v1/answers", data=line, content_type="application/x-ndjson", **auth(bob_key)
    )
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == "identity_leak"


def test_an_operator_stored_answer_that_names_a_model_is_withheld_with_the_reason(arena, alice):
    halcyon = EvalModel.objects.get(slug="halcyon-9")
    leaky = services.answer_upsert(
        prompt=Prompt.objects.get(key="p0"), model=halcyon, text="I am Halcyon-9. Hi!"
    )
    assert leaky.withheld_reason == "identity leak: the answer names Halcyon-9"
    assert leaky.pk not in _served_answer_ids(alice)
    # A clean rewrite puts it back.
    clean = services.answer_upsert(prompt=leaky.prompt, model=halcyon, text="Hi!")
    assert clean.pk == leaky.pk and clean.withheld_reason == ""
    assert leaky.pk in _served_answer_ids(alice, draws=200)


def test_an_answer_saved_in_the_admin_gets_the_same_check(client, arena, carol):
    carol.is_staff = carol.is_superuser = True
    carol.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(carol)
    answer = Answer.objects.get(prompt__key="p1", model__slug="orbisque-xl")
    resp = client.post(
        f"/admin/evals/answer/{answer.pk}/change/",
        {
            "prompt": answer.prompt_id,
            "model": answer.model_id,
            "text": "Orbisque XL here, from Quorvex AI.",
            "token_count": 5,
            "latency_ms": 1,
        },
        follow=True,
    )
    assert resp.status_code == 200
    answer.refresh_from_db()
    assert answer.text.startswith("Orbisque XL here")
    assert answer.withheld_reason.startswith("identity leak")
    assert "Orbisque XL" in answer.withheld_reason and "Quorvex AI" in answer.withheld_reason
    assert b"withheld from voters" in resp.content


@pytest.mark.django_db(transaction=True)
def test_generated_answers_that_name_a_model_are_kept_but_withheld(stub):  # noqa: F811
    from datafi.accounts.services import organization_get_or_create
    from evals import endpoints
    from tests.conftest import build_arena

    build_arena(prompts=2)
    model = services.model_upsert(
        name="Fresh Model", organization=organization_get_or_create(slug="newco", name="Newco")
    )
    endpoints.endpoint_upsert(
        model=model,
        base_url=stub.base_url,
        provider_model_id="leak:Fresh Model",
        api_key="sk-test-secret",
        timeout_s=2,
        concurrency_limit=8,
    )
    call_command("generate_answers", "--model", "fresh-model")
    answers = list(Answer.objects.filter(model=model))
    assert len(answers) == 2
    for answer in answers:
        assert "I am Fresh Model" in answer.text
        assert answer.withheld_reason.startswith("identity leak: the answer names")
        assert "Fresh Model" in answer.withheld_reason and "OpenAI" in answer.withheld_reason
