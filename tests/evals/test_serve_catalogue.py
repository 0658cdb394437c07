"""The serve's per-process catalogue never lets a no-longer-servable answer out.

Candidates come from a per-process copy (evals.catalogue); these tests change
what may be served after that copy was loaded and check the very next serves.
"""

import pytest

from datafi.accounts.services import user_create
from datafi.flows import fold
from evals import catalogue, services
from evals.models import Answer, EvalModel
from evals.provider import services as provider_services


@pytest.fixture
def warm(arena, alice, settings):
    """An arena whose catalogue this process has loaded (one round served)."""
    settings.QUALITY_GOLD_RATE = 0
    battle = services.battle_serve(user=alice)
    fold.vote_cast(user=alice, battle_id=battle.id, choice="tie")
    assert catalogue.catalogue_current().answers  # loaded
    return arena


def _next_battles(n):
    voters = [user_create(username=f"voter{i}", password="pw-long-enough-1") for i in range(n)]
    return [services.battle_serve(user=v) for v in voters]


def test_an_answer_withheld_through_the_service_is_never_served_by_the_next_serve(warm, alice):
    model = warm["models"][0]
    for prompt in warm["prompts"]:
        services.answer_upsert(
            prompt=prompt, model=model, text=f"As {model.name}, I would say: it depends."
        )
    withheld = set(Answer.objects.filter(model=model).values_list("pk", flat=True))
    assert Answer.objects.filter(pk__in=withheld, withheld_reason="").count() == 0
    for battle in [services.battle_serve(user=alice), *_next_battles(12)]:
        assert {battle.answer_a_id, battle.answer_b_id}.isdisjoint(withheld)
        assert model.pk not in (battle.model_a_id, battle.model_b_id)


def test_a_change_the_copy_was_not_told_of_is_still_never_served(warm):
    # As another process sees a change before the shared version moves (or a
    # shell update() that never moves it): the copy is stale, the serve is not.
    hidden = [m.pk for m in warm["models"][:2]]
    Answer.objects.filter(model_id__in=hidden).update(withheld_reason="names a model")
    copy = catalogue.catalogue_current()
    assert any(m in hidden for answers in copy.answers.values() for m in answers)  # stale
    for battle in _next_battles(12):
        assert battle.model_a_id not in hidden and battle.model_b_id not in hidden
        assert battle.answer_a.withheld_reason == battle.answer_b.withheld_reason == ""


def test_a_model_rejected_or_retired_is_never_served_by_the_next_serve(warm, carol):
    carol.is_staff = True
    carol.save()
    rejected, retired = warm["models"][:2]
    provider_services.model_reject(model=rejected, by=carol, reason="names itself")
    EvalModel.objects.filter(pk=retired.pk).update(status=EvalModel.Status.RETIRED)  # untold
    for battle in _next_battles(12):
        assert {battle.model_a_id, battle.model_b_id}.isdisjoint({rejected.pk, retired.pk})


def test_a_new_answer_is_served_once_its_write_says_so(warm, alice):
    # Additions are picked up at once in this process (and, in others, when the
    # shared version moves on commit).
    prompt = services.prompt_upsert(
        key="fresh", text="A brand new question?", category="math", language="en"
    )
    for model in warm["models"]:
        services.answer_upsert(prompt=prompt, model=model, text="An answer to the new one.")
    assert prompt.pk in catalogue.catalogue_current().prompts
    assert prompt.pk in catalogue.catalogue_current().answers


def test_the_shared_version_moves_when_a_write_commits(db, django_capture_on_commit_callbacks):
    before = catalogue._shared_version()
    with django_capture_on_commit_callbacks(execute=True):
        catalogue.catalogue_changed()
    assert catalogue._shared_version() != before


def test_the_serves_raw_re_read_keeps_every_condition_of_the_orm_query(arena):
    # catalogue.answers_servable_pair is answers_servable() as one raw statement
    # (the ORM compile cost more than a millisecond a serve): the two must agree
    # on every reason an answer is not servable.
    from evals.models import Prompt

    models, prompts = arena["models"], arena["prompts"]
    Answer.objects.filter(model=models[0], prompt=prompts[0]).update(withheld_reason="names it")
    EvalModel.objects.filter(pk=models[1].pk).update(
        approval=EvalModel.Approval.PENDING, reviewed_at=None
    )
    EvalModel.objects.filter(pk=models[2].pk).update(
        approval=EvalModel.Approval.REJECTED, approval_reason="names itself"
    )
    EvalModel.objects.filter(pk=models[3].pk).update(status=EvalModel.Status.RETIRED)
    Prompt.objects.filter(pk=prompts[1].pk).update(is_active=False)
    Prompt.objects.filter(pk=prompts[2].pk).update(source=Prompt.Source.USER)
    ids = sorted(Answer.objects.values_list("pk", flat=True))
    servable = set(catalogue.answers_servable().values_list("pk", flat=True))
    assert 0 < len(servable) < len(ids)  # some of each kind
    for first, second in zip(ids, ids[1:] + ids[:1], strict=True):
        got = catalogue.answers_servable_pair(first, second)
        assert set(got) == {first, second} & servable
        for answer in got.values():
            prompt = Prompt.objects.get(pk=answer.prompt_id)
            assert (answer.prompt.text, answer.prompt.category, answer.prompt.language) == (
                prompt.text,
                prompt.category,
                prompt.language,
            )
            stored = Answer.objects.get(pk=answer.pk)
            assert (answer.html, answer.text, answer.model_id) == (
                stored.html,
                stored.text,
                stored.model_id,
            )
            assert answer.created_at == stored.created_at  # a field not read loads on access


def test_another_processs_change_is_read_within_the_check_interval(warm, settings, monkeypatch):
    # Another process's write moves only the shared token (this process's copy
    # is not told): the copy is re-read once ARENA_CATALOGUE_CHECK_S has passed,
    # and the cache is not read on every serve in between.
    settings.ARENA_CATALOGUE_CHECK_S = 5.0
    clock = [1000.0]
    monkeypatch.setattr(catalogue.time, "monotonic", lambda: clock[0])
    catalogue.catalogue_forget()
    first = catalogue.catalogue_current()
    reads = []
    real_get = catalogue.cache.get
    monkeypatch.setattr(
        catalogue.cache, "get", lambda *a, **k: reads.append(a) or real_get(*a, **k)
    )
    catalogue._version_bump()  # as the other process's commit does
    clock[0] += 4.0
    assert catalogue.catalogue_current() is first
    assert reads == []
    clock[0] += 1.5
    second = catalogue.catalogue_current()
    assert second is not first and second.version != first.version
    assert len(reads) == 1
