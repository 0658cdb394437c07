"""Renaming a model re-checks the stored answers against its new name.

Repro: answers saying "Hello, I am Zorblax 9" were accepted for halcyon-9 (no
model had that name yet), then ``PATCH /api/v1/models/halcyon-9 {"name":
"Zorblax 9"}`` left them served, and the model approved, under the new name.
"""

import json
import random
from unittest import mock

from django.db import transaction

from evals import sampler, services
from evals.models import Answer, EvalModel, Prompt
from evals.provider import services as provider_services
from tests.provider.helpers import auth


def _upload(client, key, lines):
    return client.post(
        "/api/v1/answers",
        data="\n".join(json.dumps(x) for x in lines),
        content_type="application/x-ndjson",
        **auth(key),
    )


def _rename(client, key, slug, name):
    return client.patch(
        f"/api/v1/models/{slug}",
        data={"name": name},
        content_type="application/json",
        **auth(key),
    )


def _served(user, draws=150):
    served = set()
    for seed in range(draws):
        pick = sampler.pick(user=user, rng=random.Random(seed))
        served |= {pick.answer_a.pk, pick.answer_b.pk}
    return served


def test_a_rename_withholds_every_answer_that_shows_the_new_name(client, bob_key, alice):
    resp = _upload(
        client,
        bob_key,
        [
            {"model": "halcyon-9", "prompt": "p0", "text": "Hello, I am Zorblax 9."},
            {"model": "halcyon-9", "prompt": "p1", "text": "Hello, I am Zorbl&#97;x 9."},
            {"model": "halcyon-9", "prompt": "p2", "text": "Hello, a plain answer."},
        ],
    )
    assert resp.status_code == 200, resp.json()
    # Another model's answer that names it (a new name can be in any answer).
    other = services.answer_upsert(
        prompt=Prompt.objects.get(key="p3"),
        model=EvalModel.objects.get(slug="orbisque-xl"),
        text="Unlike Zorblax-9, I answer briefly.",
    )
    assert other.withheld_reason == ""
    halcyon = EvalModel.objects.get(slug="halcyon-9")
    assert halcyon.approval == EvalModel.Approval.APPROVED

    with mock.patch("evals.catalogue.catalogue_changed") as changed:
        resp = _rename(client, bob_key, "halcyon-9", "Zorblax 9")
    assert resp.status_code == 200, resp.json()
    assert changed.called  # the arena's per-process copy is dropped

    leaky = Answer.objects.filter(
        model__slug="halcyon-9", prompt__key__in=["p0", "p1"]
    ) | Answer.objects.filter(pk=other.pk)
    assert leaky.count() == 3
    for answer in leaky:
        assert answer.withheld_reason.startswith("identity leak: the answer names Zorblax")
    clean = Answer.objects.get(model__slug="halcyon-9", prompt__key="p2")
    assert clean.withheld_reason == ""
    # Back in the review queue: operators approved it under its old name.
    body = resp.json()
    assert body["name"] == "Zorblax 9" and body["approval"] == "pending"
    assert "Halcyon-9" in body["approval_reason"] and "Zorblax 9" in body["approval_reason"]
    halcyon.refresh_from_db()
    assert halcyon.reviewed_at is None and halcyon.approval == EvalModel.Approval.PENDING
    # Nothing of it, nor the other model's answer naming it, reaches a voter.
    served = _served(alice)
    assert other.pk not in served
    assert not served & set(Answer.objects.filter(model=halcyon).values_list("pk", flat=True))


def test_re_describing_or_keeping_the_name_changes_no_review(client, bob_key):
    resp = client.patch(
        "/api/v1/models/halcyon-9",
        data={"name": "Halcyon-9", "description": "same name"},
        content_type="application/json",
        **auth(bob_key),
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["approval"] == "approved"


def test_an_upload_checked_before_a_rename_is_checked_again_when_stored(client, bob_key):
    """The upload read the names, then a rename committed before it stored."""
    real_known = provider_services.identity.known_names
    calls = []

    def known_then_renamed():
        names = real_known()
        if not calls:  # a rename commits right after the upload's check
            EvalModel.objects.filter(slug="marivolt-pro").update(name="Quibbler 3")
        calls.append(names)
        return names

    line = {"model": "halcyon-9", "prompt": "p0", "text": "Hi, Quibbler 3 here."}
    with mock.patch.object(
        provider_services.identity, "known_names", side_effect=known_then_renamed
    ):
        resp = _upload(client, bob_key, [line])
    assert resp.status_code == 400, resp.json()
    [error] = resp.json()["errors"]
    assert error["code"] == "identity_leak" and "Quibbler 3" in error["detail"]
    assert not Answer.objects.filter(text__contains="Quibbler").exists()


def test_a_release_withholds_the_answers_that_show_the_public_name(arena):
    org = arena["orgs"]["zephyrine-labs"]
    with transaction.atomic():
        model = provider_services.model_testing_insert(organization=org, codename="Nightjar")
    provider_services.model_approve(model=model, by=None)
    answer = services.answer_upsert(
        prompt=Prompt.objects.get(key="p0"), model=model, text="I am Aurel**on**-70B, hi."
    )
    assert answer.withheld_reason == ""
    with transaction.atomic():
        provider_services.model_testing_end_locked(
            model_id=model.pk, outcome=EvalModel.Prerelease.RELEASED, name="Aurelon-70B"
        )
    answer.refresh_from_db()
    assert answer.withheld_reason == "identity leak: the answer names Aurelon-70B"
