import json

import pytest

from evals.models import EvalModel
from tests.provider.helpers import auth, make_key


def post_json(client, url, data, key, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(data), content_type="application/json", **auth(key)
    )


def test_a_provider_lists_only_its_own_models(client, bob_key):
    resp = client.get("/api/v1/models", **auth(bob_key))
    assert resp.status_code == 200
    assert [m["slug"] for m in resp.json()] == ["halcyon-9", "marivolt-pro"]
    assert resp.json()[0]["answer_count"] == 6
    assert resp.json()[0]["kind"] == "answers"


def test_listing_models_costs_two_queries(client, bob_key, django_assert_num_queries):
    client.get("/api/v1/me", **auth(bob_key))  # last_used_at written
    with django_assert_num_queries(2):  # the key, the models
        client.get("/api/v1/models", **auth(bob_key))


def test_a_provider_registers_updates_and_retires_a_model(client, bob_key):
    body = {"name": "Halcyon 10", "description": "new"}
    resp = post_json(client, "/api/v1/models", body, bob_key)
    assert resp.status_code == 201, resp.json()
    assert resp.json()["slug"] == "halcyon-10" and resp.json()["organization"] == "zephyrine-labs"
    resp = post_json(
        client, "/api/v1/models/halcyon-10", {"description": "better"}, bob_key, method="patch"
    )
    assert resp.status_code == 200 and resp.json()["description"] == "better"
    resp = client.post("/api/v1/models/halcyon-10/retire", **auth(bob_key))
    assert resp.status_code == 200 and resp.json()["status"] == "retired"
    assert EvalModel.objects.get(slug="halcyon-10").status == "retired"


def test_a_taken_name_is_a_409_and_changes_nothing(client, bob_key):
    resp = post_json(client, "/api/v1/models", {"name": "Orbisque XL"}, bob_key)
    assert resp.status_code == 409 and resp.json()["code"] == "model_exists"
    assert EvalModel.objects.get(slug="orbisque-xl").organization.slug == "quorvex-ai"
    resp = post_json(
        client, "/api/v1/models/halcyon-9", {"name": "Orbisque XL"}, bob_key, method="patch"
    )
    assert resp.status_code == 409
    assert EvalModel.objects.get(slug="halcyon-9").name == "Halcyon-9"


def test_a_rename_to_a_taken_name_spelt_otherwise_is_a_409_as_a_registration_is(
    client, bob_key, mallory_key
):
    # "Halcyon 9" makes Halcyon-9's slug and reads as its name to voters and to
    # the identity check: the registration refused it, a rename took it.
    resp = post_json(client, "/api/v1/models", {"name": "Halcyon 9"}, mallory_key)
    assert resp.status_code == 409 and resp.json()["code"] == "model_exists"
    resp = post_json(
        client, "/api/v1/models/tessaract-mini", {"name": "Halcyon 9"}, mallory_key, "patch"
    )
    assert resp.status_code == 409 and resp.json()["code"] == "model_exists"
    tessaract = EvalModel.objects.get(slug="tessaract-mini")
    assert (tessaract.name, tessaract.approval) == ("Tessaract Mini", "approved")
    # A name that makes the model's own slug is its own to take.
    resp = post_json(client, "/api/v1/models/halcyon-9", {"name": "Halcyon 9"}, bob_key, "patch")
    assert resp.status_code == 200 and resp.json()["name"] == "Halcyon 9"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "!!!"}, {"name": "x" * 121}, {"name": 5, "description": []}, []],
)
def test_malformed_model_input_is_a_400(client, bob_key, body):
    before = EvalModel.objects.count()
    resp = post_json(client, "/api/v1/models", body, bob_key)
    assert resp.status_code == 400, resp.content
    assert set(resp.json()) == {"code", "detail"}
    assert EvalModel.objects.count() == before


def test_a_body_that_is_not_json_is_a_400(client, bob_key):
    resp = client.post(
        "/api/v1/models", data="{nope", content_type="application/json", **auth(bob_key)
    )
    assert resp.status_code == 400 and resp.json()["code"] == "parse_error"


def test_another_organisations_model_is_not_found(client, bob_key):
    assert client.get("/api/v1/models/orbisque-xl", **auth(bob_key)).status_code == 404
    resp = post_json(client, "/api/v1/models/orbisque-xl", {"name": "Mine"}, bob_key, "patch")
    assert resp.status_code == 404
    assert client.post("/api/v1/models/orbisque-xl/retire", **auth(bob_key)).status_code == 404
    assert EvalModel.objects.get(slug="orbisque-xl").status == "active"


def test_a_key_cannot_register_for_another_organisation(client, bob_key):
    resp = post_json(client, "/api/v1/models", {"name": "Z", "organization": "quorvex-ai"}, bob_key)
    assert resp.status_code == 403
    assert not EvalModel.objects.filter(slug="z").exists()


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/models"),
        ("post", "/api/v1/models"),
        ("get", "/api/v1/models/halcyon-9"),
        ("patch", "/api/v1/models/halcyon-9"),
        ("post", "/api/v1/models/halcyon-9/retire"),
        ("get", "/api/v1/prompt-sets"),
        ("get", "/api/v1/prompt-sets/core/prompts"),
        ("post", "/api/v1/answers"),
        ("get", "/api/v1/battles"),
        ("get", "/api/v1/votes"),
        ("get", "/api/v1/datasets/export?format=arena-jsonl"),
        ("get", "/api/v1/me"),
    ],
)
def test_every_endpoint_refuses_no_key_and_a_revoked_key(client, orgs, revoked_key, method, url):
    before = EvalModel.objects.filter(status="active").count()
    for extra in ({}, auth(revoked_key)):
        resp = getattr(client, method)(url, **extra)
        assert resp.status_code == 401, (url, extra, resp.content)
        assert set(resp.json()) == {"code", "detail"}
    assert EvalModel.objects.filter(status="active").count() == before


def test_writes_need_the_models_scope(client, orgs):
    key = make_key(orgs["zephyrine"], scopes=["data:read"])
    resp = post_json(client, "/api/v1/models", {"name": "Nope"}, key)
    assert resp.status_code == 403
    assert client.get("/api/v1/models", **auth(key)).status_code == 200


def test_an_operator_sees_every_model(client, orgs, carol):
    carol.is_staff = True
    carol.save()
    client.force_login(carol)
    resp = client.get("/api/v1/models")
    assert resp.status_code == 200 and len(resp.json()) == 4


def test_a_member_of_several_organisations_must_say_which(client, orgs, bob):
    from datafi.accounts.services import membership_add

    membership_add(organization=orgs["quorvex"], user=bob)
    client.force_login(bob)
    resp = client.post("/api/v1/models", {"name": "Multi"}, content_type="application/json")
    assert resp.status_code == 400 and resp.json()["code"] == "organization_required"
    resp = client.post(
        "/api/v1/models",
        {"name": "Multi", "organization": "quorvex-ai"},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["organization"] == "quorvex-ai"


# --- prompt sets ----------------------------------------------------------------------


def test_providers_read_prompt_sets_and_what_is_left_to_answer(client, bob_key):
    resp = client.get("/api/v1/prompt-sets", **auth(bob_key))
    assert resp.json() == [
        {"slug": "core", "name": "Core prompts", "description": "", "prompt_count": 6}
    ]
    resp = client.get("/api/v1/prompt-sets/core/prompts?page_size=4", **auth(bob_key))
    page = resp.json()
    assert [p["key"] for p in page["results"]] == ["p0", "p1", "p2", "p3"]
    rest = client.get(page["next"], **auth(bob_key)).json()
    assert [p["key"] for p in rest["results"]] == ["p4", "p5"] and rest["next"] is None
    post_json(client, "/api/v1/models", {"name": "Fresh"}, bob_key)
    resp = client.get("/api/v1/prompt-sets/core/prompts?unanswered_by=fresh", **auth(bob_key))
    assert len(resp.json()["results"]) == 6
    resp = client.get("/api/v1/prompt-sets/core/prompts?unanswered_by=halcyon-9", **auth(bob_key))
    assert resp.json()["results"] == []


def test_prompt_set_errors_are_4xx(client, bob_key):
    assert client.get("/api/v1/prompt-sets/nope/prompts", **auth(bob_key)).status_code == 404
    resp = client.get("/api/v1/prompt-sets/core/prompts?unanswered_by=orbisque-xl", **auth(bob_key))
    assert resp.status_code == 404  # another organisation's model
    resp = client.get("/api/v1/prompt-sets/core/prompts?page_size=0", **auth(bob_key))
    assert resp.status_code == 400  # as the schema states: 1 to 500, no silent default
    resp = client.get("/api/v1/prompt-sets/core/prompts?cursor=bz14", **auth(bob_key))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def test_load_demo_puts_the_demo_prompts_in_a_demo_set(db):
    from django.core.management import call_command

    from evals.models import PromptSet

    call_command("load_demo", verbosity=0)
    demo = PromptSet.objects.get(slug="demo")
    assert demo.prompts.count() == 146
