"""A model enters the arena only after an operator approves it."""

import io
import json
import random

import pytest
from django.core.management import call_command

from datafi.api import ApiError
from evals import sampler
from evals.models import EvalModel, Prompt
from evals.provider import services as provider_services
from tests.provider.helpers import auth


def _register_with_answers(client, key, name="Junkbot"):
    resp = client.post(
        "/api/v1/models",
        data=json.dumps({"name": name}),
        content_type="application/json",
        **auth(key),
    )
    assert resp.status_code == 201, resp.json()
    slug = resp.json()["slug"]
    lines = "\n".join(
        json.dumps({"model": slug, "prompt": p.key, "text": f"junk answer {p.key}"})
        for p in Prompt.objects.all()
    )
    resp = client.post(
        "/api/v1/answers", data=lines, content_type="application/x-ndjson", **auth(key)
    )
    assert resp.status_code == 200, resp.json()
    return EvalModel.objects.get(slug=slug)


def _models_served(user, draws=40):
    # pick() only reads: one voter and many seeds sample the arena's pairs.
    served = set()
    for seed in range(draws):
        pick = sampler.pick(user=user, rng=random.Random(seed))
        served |= {pick.answer_a.model_id, pick.answer_b.model_id}
    return served


def test_a_model_registered_through_the_api_is_never_served_until_approved(
    client, bob_key, admin_operator, alice
):
    junk = _register_with_answers(client, bob_key)
    resp = client.get(f"/api/v1/models/{junk.slug}", **auth(bob_key))
    assert resp.json()["approval"] == "pending" and resp.json()["reviewed_at"] is None
    # The new-model boost would put it in most battles if it were eligible.
    assert junk.pk not in _models_served(alice)

    provider_services.model_approve(model=junk, by=admin_operator, reason="looks fine")
    assert junk.pk in _models_served(alice)
    body = client.get(f"/api/v1/models/{junk.slug}", **auth(bob_key)).json()
    assert (body["approval"], body["approval_reason"]) == ("approved", "looks fine")
    junk.refresh_from_db()
    assert junk.reviewed_by == admin_operator and junk.reviewed_at is not None


def test_a_rejected_model_shows_the_provider_the_operators_reason(
    client, bob_key, admin_operator, alice
):
    junk = _register_with_answers(client, bob_key)
    with pytest.raises(ApiError) as exc:
        provider_services.model_reject(model=junk, by=admin_operator, reason="  ")
    assert exc.value.code == "reason_required"
    provider_services.model_reject(model=junk, by=admin_operator, reason="120 identical answers")
    body = client.get(f"/api/v1/models/{junk.slug}", **auth(bob_key)).json()
    assert (body["approval"], body["approval_reason"]) == ("rejected", "120 identical answers")
    assert junk.pk not in _models_served(alice, 10)


def test_only_an_operator_can_review_a_model(client, bob_key, bob):
    junk = _register_with_answers(client, bob_key)
    with pytest.raises(ApiError) as exc:
        provider_services.model_approve(model=junk, by=bob, reason="mine is great")
    assert exc.value.status_code == 403
    junk.refresh_from_db()
    assert junk.approval == "pending"


def test_the_admin_queue_approves_and_rejects_with_who_and_why(client, bob_key, admin_operator):
    junk = _register_with_answers(client, bob_key)
    other = _register_with_answers(client, bob_key, name="Spambot")
    client.force_login(admin_operator)
    queue = client.get("/admin/evals/evalmodel/?approval=pending")
    assert queue.status_code == 200
    assert b"Junkbot" in queue.content and b"Halcyon-9" not in queue.content

    # The action asks for a reason first, then applies it.
    form = client.post(
        "/admin/evals/evalmodel/", {"action": "reject", "_selected_action": [other.pk]}
    )
    assert form.status_code == 200 and b"reason" in form.content
    client.post(
        "/admin/evals/evalmodel/",
        {"action": "reject", "_selected_action": [other.pk], "apply": "1", "reason": ""},
    )
    other.refresh_from_db()
    assert other.approval == "pending"  # a rejection needs a reason
    client.post(
        "/admin/evals/evalmodel/",
        {"action": "reject", "_selected_action": [other.pk], "apply": "1", "reason": "spam"},
    )
    client.post(
        "/admin/evals/evalmodel/",
        {"action": "approve", "_selected_action": [junk.pk], "apply": "1", "reason": "ok"},
    )
    junk.refresh_from_db()
    other.refresh_from_db()
    assert (junk.approval, junk.reviewed_by, junk.approval_reason) == (
        "approved",
        admin_operator,
        "ok",
    )
    assert (other.approval, other.approval_reason) == ("rejected", "spam")


def test_models_of_operators_and_of_the_demo_data_are_approved(db):
    call_command("load_demo", stdout=io.StringIO())
    assert EvalModel.objects.exists()
    assert set(EvalModel.objects.values_list("approval", flat=True)) == {"approved"}
    assert not EvalModel.objects.filter(reviewed_at__isnull=True).exists()


def _review_page_fields(client, models) -> dict:
    """The hidden fields of the admin's Approve page for ``models``, as posted back."""
    import re

    page = client.post(
        "/admin/evals/evalmodel/", {"action": "approve", "_selected_action": [m.pk for m in models]}
    )
    assert page.status_code == 200 and all(m.name in page.text for m in models)
    [form] = [f for f in re.findall(r"<form[^>]*>(.*?)</form>", page.text, re.S) if "apply" in f]
    posted = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        posted.setdefault(name, []).append(value)
    return posted


def _rename(client, key, model, name):
    resp = client.patch(
        f"/api/v1/models/{model.slug}",
        data={"name": name},
        content_type="application/json",
        **auth(key),
    )
    assert resp.status_code == 200, resp.json()


def test_an_approval_never_applies_to_a_name_the_operator_was_not_shown(
    client, bob_key, admin_operator
):
    # The review page showed "Junkbot"; the provider renamed the model before
    # the operator pressed Approve, and the approval went to the new name,
    # which no operator saw (a rename sends a model back to review for that).
    junk = _register_with_answers(client, bob_key)
    client.force_login(admin_operator)
    posted = _review_page_fields(client, [junk])
    _rename(client, bob_key, junk, "Zorblax 9")

    done = client.post("/admin/evals/evalmodel/", {**posted, "reason": "ok"}, follow=True)
    junk.refresh_from_db()
    assert (junk.name, junk.approval) == ("Zorblax 9", "pending")
    [message] = [str(m) for m in done.context["messages"]]
    assert "renamed" in message and "Zorblax 9" in message
    # Reviewed again, under the name it now has, it is approved.
    page = client.post(
        "/admin/evals/evalmodel/", {"action": "approve", "_selected_action": [junk.pk]}
    )
    assert "Zorblax 9" in page.text


def test_one_refused_model_does_not_hide_or_stop_the_others_review(client, bob_key, admin_operator):
    # Two models reviewed together; one was renamed after the page showed it.
    # That one is refused, by name; the other is still approved, and the operator
    # is told both (the first refusal used to end the action with only its error,
    # whether or not models before it had been approved).
    junk = _register_with_answers(client, bob_key)
    spam = _register_with_answers(client, bob_key, name="Spambot")
    client.force_login(admin_operator)
    posted = _review_page_fields(client, [junk, spam])
    _rename(client, bob_key, junk, "Zorblax 9")

    done = client.post("/admin/evals/evalmodel/", {**posted, "reason": "ok"}, follow=True)
    junk.refresh_from_db()
    spam.refresh_from_db()
    assert (junk.approval, spam.approval) == ("pending", "approved")
    messages = [(m.level_tag, str(m)) for m in done.context["messages"]]
    assert len(messages) == 2, messages
    [refusal] = [text for level, text in messages if level == "error"]
    assert refusal.startswith("1 model was left as it was: Junkbot:") and "Zorblax 9" in refusal
    [done_message] = [text for level, text in messages if level == "info"]
    assert done_message.startswith("1 model: approved.")
