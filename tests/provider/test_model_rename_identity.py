"""Renaming a model re-checks the stored answers against its new name.

Repro: answers saying "Hello, I am Zorblax 9" were accepted for halcyon-9 (no
model had that name yet), then ``PATCH /api/v1/models/halcyon-9 {"name":
"Zorblax 9"}`` left them served, and the model approved, under the new name.

Repro 2: the fix withheld every answer of every model that showed the new
name, so a provider renaming its own pending model to a rival's product name
(or a common word) took other providers' answers out of the arena, and nothing
served them again. Now a rename withholds the model's own answers only; the
other answers that show the name are withheld when an operator approves it,
and a rejection serves again those withheld for the rejected name alone.
"""

import json
import random
from unittest import mock

from django.db import transaction

from evals import sampler, services
from evals.models import Answer, EvalModel, Prompt
from evals.provider import services as provider_services
from tests.provider.helpers import auth, register_model


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


def test_a_rename_withholds_the_models_own_answers_that_show_the_new_name(client, bob_key, alice):
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

    leaky = Answer.objects.filter(model__slug="halcyon-9", prompt__key__in=["p0", "p1"])
    assert leaky.count() == 2
    for answer in leaky:
        assert answer.withheld_reason.startswith("identity leak: the answer names Zorblax")
    # Renames by providers no longer withhold others' answers; an operator's approval does.
    other.refresh_from_db()
    assert other.withheld_reason == ""
    clean = Answer.objects.get(model__slug="halcyon-9", prompt__key="p2")
    assert clean.withheld_reason == ""
    # Back in the review queue: operators approved it under its old name.
    body = resp.json()
    assert body["name"] == "Zorblax 9" and body["approval"] == "pending"
    assert "Halcyon-9" in body["approval_reason"] and "Zorblax 9" in body["approval_reason"]
    halcyon.refresh_from_db()
    assert halcyon.reviewed_at is None and halcyon.approval == EvalModel.Approval.PENDING
    # Nothing of it reaches a voter (pending again); approving the name would
    # withhold the other model's answer (see the tests below).
    served = _served(alice)
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


# --- a provider's rename, then an operator's review ------------------------------


def _rival_answer(client, mallory_key, prompt, text):
    """Another provider's answer, uploaded (and checked) before the name existed."""
    resp = _upload(client, mallory_key, [{"model": "orbisque-xl", "prompt": prompt, "text": text}])
    assert resp.status_code == 200, resp.json()
    answer = Answer.objects.get(model__slug="orbisque-xl", prompt__key=prompt)
    assert answer.withheld_reason == ""
    return answer


def _renamed_pending_model(client, bob_key, name="Zorblax 9"):
    model = register_model(client, bob_key, "Placeholder One")
    resp = _rename(client, bob_key, model.slug, name)
    assert resp.status_code == 200, resp.json()
    assert (resp.json()["name"], resp.json()["approval"]) == (name, "pending")
    model.refresh_from_db()
    return model


def test_a_providers_rename_never_withholds_another_providers_answer(
    client, bob_key, mallory_key, alice
):
    rival = _rival_answer(client, mallory_key, "p3", "Unlike Zorblax 9, I answer briefly.")
    _renamed_pending_model(client, bob_key)
    rival.refresh_from_db()
    assert rival.withheld_reason == ""
    assert rival.pk in _served(alice)


def test_a_rename_withholds_at_once_only_the_models_own_answers_that_show_the_name(client, bob_key):
    model = register_model(client, bob_key, "Placeholder One")
    resp = _upload(
        client,
        bob_key,
        [
            {"model": model.slug, "prompt": "p0", "text": "Hello, I am Zorbl&#97;x 9."},
            {"model": model.slug, "prompt": "p1", "text": "Hello, a plain answer."},
            # The same provider's other (approved, served) model.
            {"model": "marivolt-pro", "prompt": "p2", "text": "Zorblax 9 is my sibling."},
        ],
    )
    assert resp.status_code == 200, resp.json()
    resp = _rename(client, bob_key, model.slug, "Zorblax 9")
    assert resp.status_code == 200, resp.json()
    own = Answer.objects.get(model=model, prompt__key="p0")
    assert own.withheld_reason == "identity leak: the answer names Zorblax 9"
    assert Answer.objects.get(model=model, prompt__key="p1").withheld_reason == ""
    assert Answer.objects.get(model__slug="marivolt-pro", prompt__key="p2").withheld_reason == ""


def test_approving_a_renamed_model_withholds_every_answer_that_shows_its_name(
    client, bob_key, mallory_key, admin_operator, alice
):
    rival = _rival_answer(client, mallory_key, "p3", "Unlike Zorblax-9, I answer briefly.")
    model = _renamed_pending_model(client, bob_key)
    rival.refresh_from_db()
    assert rival.withheld_reason == ""  # the rename alone withheld nothing of it

    with mock.patch("evals.catalogue.catalogue_changed") as changed:
        review = provider_services.model_approve(model=model, by=admin_operator, reason="ok")
    assert changed.called
    rival.refresh_from_db()
    assert rival.withheld_reason == "identity leak: the answer names Zorblax-9"
    assert (review.model.approval, review.withheld, review.restored) == ("approved", 1, 0)
    assert rival.pk not in _served(alice)


def test_approving_a_renamed_model_never_withholds_for_the_slug_of_its_old_name(
    client, bob_key, mallory_key, admin_operator
):
    # The review page shows the name only: the slug left from "Placeholder One"
    # is not what the operator accepts.
    rival = _rival_answer(client, mallory_key, "p3", "A placeholder-one, then the answer.")
    model = _renamed_pending_model(client, bob_key)
    assert model.slug == "placeholder-one"
    review = provider_services.model_approve(model=model, by=admin_operator, reason="ok")
    rival.refresh_from_db()
    assert (rival.withheld_reason, review.withheld) == ("", 0)


def test_rejecting_a_name_serves_again_the_answers_withheld_for_it_alone(
    client, bob_key, mallory_key, admin_operator
):
    rival = _rival_answer(client, mallory_key, "p3", "Unlike Zorblax 9, I answer briefly.")
    model = _renamed_pending_model(client, bob_key)
    orbisque = EvalModel.objects.get(slug="orbisque-xl")
    # Stored after the rename: the pending name of a model no voter has met does
    # not count yet (identity.known_names), the approved model's name does.
    both = services.answer_upsert(
        prompt=Prompt.objects.get(key="p4"),
        model=orbisque,
        text="Zorblax 9 and Tessaract Mini agree.",
    )
    assert both.withheld_reason == "identity leak: the answer names Tessaract Mini"
    unrelated = services.answer_upsert(
        prompt=Prompt.objects.get(key="p5"), model=orbisque, text="Tessaract Mini is my sibling."
    )
    provider_services.model_approve(model=model, by=admin_operator, reason="looks fine")
    rival.refresh_from_db()
    assert rival.withheld_reason == "identity leak: the answer names Zorblax 9"

    review = provider_services.model_reject(
        model=model, by=admin_operator, reason="Zorblax 9 is another company's product."
    )
    for answer in (rival, both, unrelated):
        answer.refresh_from_db()
    assert rival.withheld_reason == ""
    assert both.withheld_reason == "identity leak: the answer names Tessaract Mini"
    assert unrelated.withheld_reason == "identity leak: the answer names Tessaract Mini"
    assert (review.model.approval, review.withheld, review.restored) == ("rejected", 0, 1)


def test_the_admin_says_how_many_answers_a_review_withheld_or_restored(
    client, bob_key, mallory_key, admin_operator
):
    rival = _rival_answer(client, mallory_key, "p3", "Unlike Zorblax 9, I answer briefly.")
    model = _renamed_pending_model(client, bob_key)
    client.force_login(admin_operator)

    def review(action, reason):
        resp = client.post(
            "/admin/evals/evalmodel/",
            {"action": action, "_selected_action": [model.pk], "apply": "1", "reason": reason},
            follow=True,
        )
        assert resp.status_code == 200
        return [str(m) for m in resp.context["messages"]]

    assert review("approve", "ok") == [
        "1 model: approved. 1 answer that shows an approved name was withheld."
    ]
    assert review("reject", "not its name") == [
        "1 model: rejected. 1 answer withheld for a rejected name was restored."
    ]
    rival.refresh_from_db()
    assert rival.withheld_reason == ""


def test_a_reject_then_approve_never_serves_the_models_own_answers_that_show_its_old_name(
    client, bob_key, admin_operator, alice
):
    # Approved and served as Halcyon-9 (slug halcyon-9): its own answer saying
    # so was withheld. Renamed, the rename rejected (its names count no more, so
    # the answer was served again), renamed again and approved: the answer
    # that names the model by its old name (still its slug, which an upload
    # would be refused for) was left served under the new one.
    halcyon = EvalModel.objects.get(slug="halcyon-9")
    own = services.answer_upsert(
        prompt=Prompt.objects.get(key="p0"), model=halcyon, text="Hello, I am Halcyon 9."
    )
    assert own.withheld_reason == "identity leak: the answer names Halcyon 9"
    assert _rename(client, bob_key, "halcyon-9", "Zorblax 9").status_code == 200
    provider_services.model_reject(
        model=halcyon, by=admin_operator, reason="another company's name"
    )
    assert _rename(client, bob_key, "halcyon-9", "Quibbler 5").status_code == 200
    halcyon.refresh_from_db()
    review = provider_services.model_approve(model=halcyon, by=admin_operator, reason="fine")

    own.refresh_from_db()
    assert own.withheld_reason == "identity leak: the answer names Halcyon 9"
    # The rejection never served it again: a model's own names count for its own
    # answers, reviewed or not (identity.leak_pattern), so there was nothing
    # left for the approval to withhold.
    assert review.withheld == 0
    assert own.pk not in _served(alice)
    # As an upload of the same line would be: the slug still counts as a name.
    resp = _upload(
        client, bob_key, [{"model": "halcyon-9", "prompt": "p1", "text": "I am Halcyon 9."}]
    )
    assert resp.status_code == 400, resp.json()


def test_an_operators_rename_in_the_admin_withholds_every_answer_that_shows_the_name(
    client, orgs, mallory_key, admin_operator, alice
):
    # The change form lets an operator rename an approved model, which stays
    # approved and is served under the new name at once: the answers that
    # show that name (its own saying "I am Zorblax 9", too) were left served.
    rival = _rival_answer(client, mallory_key, "p3", "Unlike Zorblax 9, I answer briefly.")
    halcyon = EvalModel.objects.get(slug="halcyon-9")
    own = services.answer_upsert(
        prompt=Prompt.objects.get(key="p0"), model=halcyon, text="Hello, I am Zorblax 9."
    )
    assert own.withheld_reason == ""
    client.force_login(admin_operator)
    url = f"/admin/evals/evalmodel/{halcyon.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: getattr(v, "pk", v) for k, v in form.initial.items() if v is not None}
    resp = client.post(url, {**data, "name": "Zorblax 9", "_save": "Save"})
    assert resp.status_code == 302, resp.context["errors"]
    halcyon.refresh_from_db()
    assert (halcyon.name, halcyon.approval) == ("Zorblax 9", EvalModel.Approval.APPROVED)

    for answer in (own, rival):
        answer.refresh_from_db()
        assert answer.withheld_reason == "identity leak: the answer names Zorblax 9"
    assert not {own.pk, rival.pk} & _served(alice)
