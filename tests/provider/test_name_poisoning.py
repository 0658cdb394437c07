"""Names count as identities once an operator accepts them (a red-team finding).

Anyone may open an organisation and register a model. Their names counted at
once: an organisation called "The" made every provider's upload that used the
word a refused identity leak, and voided every live battle whose answers used
it; a pending model called "-1" did the same for the digit 1. Now a name counts
once an operator approved a model of it (or voters have met the model), and a
name without two letters or digits is never looked for.
"""

import json

from datafi.accounts import services as account_services
from evals import identity
from evals.models import Answer, EvalModel
from evals.provider import services as provider_services
from tests.provider.helpers import auth, make_key, register_model

PLAIN = "Start with the basics and practise every day: 1 hour, then 2."


def upload(client, key, text, model="halcyon-9", prompt="p0"):
    line = json.dumps({"model": model, "prompt": prompt, "text": text})
    return client.post(
        "/api/v1/answers", data=line, content_type="application/x-ndjson", **auth(key)
    )


def test_a_new_organisation_and_its_pending_models_block_no_ones_answers(client, bob_key, mallory):
    the = account_services.organization_create(name="The", owner=mallory)
    key = make_key(the, user=mallory)
    register_model(client, key, "-1")
    register_model(client, key, "Every Day")
    assert {"The", "-1", "Every Day"}.isdisjoint(identity.known_names())
    resp = upload(client, bob_key, PLAIN)
    assert resp.status_code == 200, resp.json()


def test_approving_a_model_counts_its_providers_names_and_withholds_answers_showing_them(
    client, bob_key, mallory
):
    org = account_services.organization_create(name="Wordsmith Labs", owner=mallory)
    model = register_model(client, make_key(org, user=mallory), "Quill One")
    assert upload(client, bob_key, "Wordsmith Labs would say this.").status_code == 200
    stored = Answer.objects.get(model__slug="halcyon-9", prompt__key="p0")
    assert stored.withheld_reason == ""

    provider_services.model_approve(model=model, by=None)

    stored.refresh_from_db()
    assert stored.withheld_reason == "identity leak: the answer names Wordsmith Labs"
    resp = upload(client, bob_key, "Quill One, or Wordsmith Labs.", prompt="p1")
    assert resp.status_code == 400
    assert "Quill One" in resp.json()["errors"][0]["detail"]
    assert "Wordsmith Labs" in resp.json()["errors"][0]["detail"]


def test_a_model_back_in_review_after_a_rename_keeps_its_names_counted(client, bob_key, votes):
    halcyon = EvalModel.objects.get(slug="halcyon-9")
    provider_services.model_update(model=halcyon, name="Halcyon Ten")
    assert EvalModel.objects.get(pk=halcyon.pk).approval == EvalModel.Approval.PENDING
    for text in ("I am halcyon-9.", "I am Halcyon Ten.", "Zephyrine Labs made me."):
        resp = upload(client, bob_key, text, model="marivolt-pro")
        assert resp.status_code == 400, (text, resp.json())


def test_a_name_without_two_letters_or_digits_is_never_looked_for():
    pattern = identity.build_pattern(["-1", "2**31", "__", "o1", "R2"])
    text = "Step 1 costs 231 or 2**31; o1 and R2 are names."
    assert pattern.find(text) == ["R2", "o1"]


def test_approving_a_live_model_sweeps_its_endpoints_model_id(client, bob_key, mallory):
    # Its endpoint's model id counts only once the model is approved: answers
    # stored meanwhile that show it must be withheld by the approval (a review).
    from evals.models import ModelEndpoint

    org = account_services.organization_create(name="Wordsmith Labs", owner=mallory)
    model = register_model(client, make_key(org, user=mallory), "Quill One")
    ModelEndpoint.objects.create(
        model=model, base_url="https://api.example.com/v1", provider_model_id="zq-instruct-7"
    )
    assert upload(client, bob_key, "Unlike zq-instruct-7, I am brief.").status_code == 200
    provider_services.model_approve(model=model, by=None)
    stored = Answer.objects.get(model__slug="halcyon-9", prompt__key="p0")
    assert stored.withheld_reason == "identity leak: the answer names zq-instruct-7"
