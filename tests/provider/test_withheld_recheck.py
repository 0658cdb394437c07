"""Withheld answers are checked again when the names that count change.

Repro: an answer withheld under older rules (for an organisation's name, or a
pending model's, that no operator approved) kept its ``withheld_reason`` for
good: nothing checked it again, so it stayed out of battles although an upload
of the same text is accepted now. Rejecting a model served again only the
answers withheld for its own name: those withheld for its organisation's name
(swept when it was approved) stayed withheld with no approved model left to
make that name count.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from datafi.accounts import services as account_services
from evals import catalogue, services
from evals.models import Answer, EvalModel, Prompt
from evals.provider import services as provider_services
from tests.provider.helpers import auth, make_key, register_model

OLD = "identity leak: the answer names "


def _upload(client, key, text, model="halcyon-9", prompt="p0"):
    line = json.dumps({"model": model, "prompt": prompt, "text": text})
    resp = client.post(
        "/api/v1/answers", data=line, content_type="application/x-ndjson", **auth(key)
    )
    assert resp.status_code == 200, resp.json()
    return Answer.objects.get(model__slug=model, prompt__key=prompt)


def _withheld_under_older_rules(answer, names):
    # The older rules counted every registered model and organisation: no
    # service writes such a reason now, so the stored row is set as they left it.
    Answer.objects.filter(pk=answer.pk).update(withheld_reason=f"{OLD}{names}")


def _servable(answer) -> bool:
    return catalogue.answers_servable().filter(pk=answer.pk).exists()


@pytest.fixture
def quill(client, orgs, mallory):
    """A pending model nobody approved or met, of an organisation with no other."""
    org = account_services.organization_create(name="Wordsmith Labs", owner=mallory)
    return register_model(client, make_key(org, user=mallory), "Quill One")


def test_rejecting_a_model_serves_again_the_answers_withheld_for_its_providers_name(
    client, bob_key, quill, operator
):
    answer = _upload(client, bob_key, "Wordsmith Labs would say this.")
    provider_services.model_approve(model=quill, by=operator, reason="fine")
    answer.refresh_from_db()
    assert answer.withheld_reason == f"{OLD}Wordsmith Labs"

    review = provider_services.model_reject(model=quill, by=operator, reason="not its name")

    answer.refresh_from_db()
    assert answer.withheld_reason == ""
    assert review.restored == 1
    assert _servable(answer)


def test_an_answer_withheld_for_a_name_that_no_longer_counts_is_served_again(
    client, bob_key, quill
):
    org_named = _upload(client, bob_key, "Wordsmith Labs would say this.", prompt="p0")
    model_named = _upload(client, bob_key, "Quill One would say this.", prompt="p1")
    _withheld_under_older_rules(org_named, "Wordsmith Labs")
    _withheld_under_older_rules(model_named, "Quill One")
    assert not _servable(org_named)

    result = provider_services.answers_recheck()

    for answer in (org_named, model_named):
        answer.refresh_from_db()
        assert answer.withheld_reason == ""
        assert _servable(answer)
    assert (result.checked, result.restored, result.reworded, result.kept) == (2, 2, 0, 0)
    assert {(c.model, c.prompt, c.new) for c in result.changes} == {
        ("halcyon-9", "p0", ""),
        ("halcyon-9", "p1", ""),
    }


def test_an_answer_that_still_names_an_approved_model_stays_withheld(client, orgs, quill):
    orbisque = EvalModel.objects.get(slug="orbisque-xl")
    still = services.answer_upsert(
        prompt=Prompt.objects.get(key="p0"), model=orbisque, text="Tessaract Mini is my sibling."
    )
    assert still.withheld_reason == f"{OLD}Tessaract Mini"
    both = services.answer_upsert(
        prompt=Prompt.objects.get(key="p1"),
        model=orbisque,
        text="Quill One and Tessaract Mini agree.",
    )
    _withheld_under_older_rules(both, "Quill One, Tessaract Mini")
    # A model's own name counts for its own answers, approved or not.
    own = services.answer_upsert(
        prompt=Prompt.objects.get(key="p2"), model=quill, text="Hello, I am Quill One."
    )
    assert own.withheld_reason == f"{OLD}Quill One"

    result = provider_services.answers_recheck()

    for answer in (still, both, own):
        answer.refresh_from_db()
    assert still.withheld_reason == f"{OLD}Tessaract Mini"
    assert both.withheld_reason == f"{OLD}Tessaract Mini"  # re-worded: Quill One counts no more
    assert own.withheld_reason == f"{OLD}Quill One"
    assert (result.checked, result.restored, result.reworded, result.kept) == (3, 0, 1, 3)


def test_a_reason_other_than_an_identity_leak_is_left_alone(client, bob_key, quill):
    answer = _upload(client, bob_key, "Wordsmith Labs would say this.")
    Answer.objects.filter(pk=answer.pk).update(withheld_reason="kept out by an operator")
    result = provider_services.answers_recheck()
    answer.refresh_from_db()
    assert answer.withheld_reason == "kept out by an operator"
    assert result.checked == 0


def test_a_dry_run_changes_nothing_and_prints_what_would_change(client, bob_key, quill):
    answer = _upload(client, bob_key, "Wordsmith Labs would say this.")
    _withheld_under_older_rules(answer, "Wordsmith Labs")
    out = StringIO()

    call_command("answers_recheck", "--dry-run", stdout=out)

    answer.refresh_from_db()
    assert answer.withheld_reason == f"{OLD}Wordsmith Labs"
    assert out.getvalue().splitlines() == [
        f"answer {answer.pk} (halcyon-9, prompt p0): would be restored (was '{OLD}Wordsmith Labs')",
        "Dry run: 1 withheld answer(s) checked: 1 would be restored, "
        "0 would be re-worded, 0 would stay withheld.",
    ]


def test_the_command_restores_and_prints_the_counts(client, bob_key, orgs, quill):
    restored = _upload(client, bob_key, "Wordsmith Labs would say this.")
    _withheld_under_older_rules(restored, "Wordsmith Labs")
    kept = services.answer_upsert(
        prompt=Prompt.objects.get(key="p1"),
        model=EvalModel.objects.get(slug="orbisque-xl"),
        text="Tessaract Mini is my sibling.",
    )
    out = StringIO()

    call_command("answers_recheck", stdout=out)

    restored.refresh_from_db()
    kept.refresh_from_db()
    assert (restored.withheld_reason, kept.withheld_reason) == ("", f"{OLD}Tessaract Mini")
    assert out.getvalue().splitlines()[-1] == (
        "2 withheld answer(s) checked: 1 restored, 0 re-worded, 1 still withheld."
    )
    # Run again: nothing left to change.
    out = StringIO()
    call_command("answers_recheck", stdout=out)
    assert out.getvalue().splitlines() == [
        "1 withheld answer(s) checked: 0 restored, 0 re-worded, 1 still withheld."
    ]


# --- what the provider sees of a live model's generation job ---------------------


@pytest.mark.django_db(transaction=True)
def test_a_vendor_dropped_from_the_known_names_serves_a_jobs_answers_again_and_its_notes_say_so(
    client, bob_key, stub, settings
):
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = True
    settings.PROVIDER_PROBE_TIMEOUT_S = 3.0
    resp = client.post(
        "/api/v1/live-models",
        data=json.dumps(
            {
                "name": "Nimbus Live",
                # The stub's answers say "I am Wordsmith Labs, created by OpenAI."
                "base_url": stub.base_url,
                "model_id": "leak:Wordsmith Labs",
                "api_key": "sk-test-secret",
                "timeout_s": 5,
            }
        ),
        content_type="application/json",
        **auth(bob_key),
    )
    assert resp.status_code == 201, resp.json()
    slug = resp.json()["slug"]
    job = client.post(f"/api/v1/models/{slug}/generation-jobs", **auth(bob_key)).json()
    call_command("generation_worker", "--once")
    done = client.get(f"/api/v1/generation-jobs/{job['id']}", **auth(bob_key)).json()
    assert done["withheld"] == done["written"] > 0
    assert {n["reason"] for n in done["notes"]} == {f"{OLD}OpenAI"}

    settings.LIVE_KNOWN_VENDORS = [v for v in settings.LIVE_KNOWN_VENDORS if v != "OpenAI"]
    call_command("answers_recheck", stdout=StringIO())

    assert not Answer.objects.filter(model__slug=slug).exclude(withheld_reason="").exists()
    after = client.get(f"/api/v1/generation-jobs/{job['id']}", **auth(bob_key)).json()
    assert (after["written"], after["withheld"], after["notes"]) == (done["written"], 0, [])
