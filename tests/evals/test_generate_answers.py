"""python manage.py generate_answers: bounded, retried, resumable batch generation."""

import pytest
from django.core.management import CommandError, call_command

from evals.models import Answer, GenerationStat, ModelEndpoint
from tests.conftest import build_arena

pytestmark = pytest.mark.django_db(transaction=True)


def _model_with_endpoint(stub, mode, *, prompts=6):
    from datafi.accounts.services import organization_get_or_create
    from evals import endpoints, services

    build_arena(prompts=prompts)
    org = organization_get_or_create(slug="newco", name="Newco")
    model = services.model_upsert(name="Fresh Model", organization=org)
    endpoints.endpoint_upsert(
        model=model,
        base_url=stub.base_url,
        provider_model_id=mode,
        api_key="sk-test-secret",
        timeout_s=2,
        concurrency_limit=8,
    )
    return model


def _run(*args):
    call_command("generate_answers", *args)


def test_it_fills_missing_answers_and_resumes_where_it_stopped(stub, capsys):
    model = _model_with_endpoint(stub, "batch")
    _run("--model", "Fresh Model", "--limit", "2")
    assert Answer.objects.filter(model=model).count() == 2
    assert len(stub.chat_requests()) == 2
    _run("--model", "fresh-model")  # by slug; only the 4 missing ones
    assert Answer.objects.filter(model=model).count() == 6
    assert len(stub.chat_requests()) == 6
    _run("--model", "Fresh Model")
    assert len(stub.chat_requests()) == 6
    assert "nothing to generate" in capsys.readouterr().out
    stat = GenerationStat.objects.filter(answer__model=model).first()
    assert stat.finish_reason == "stop" and stat.usage_source == "reported"
    assert stat.completion_tokens == 24 and stat.time_to_first_token_ms is not None
    answer = Answer.objects.filter(model=model).first()
    assert "You asked" in answer.text and answer.html.startswith("<p>")


def test_it_retries_rate_limits_with_backoff(stub, capsys):
    model = _model_with_endpoint(stub, "flaky:3:429", prompts=3)
    _run("--model", "Fresh Model", "--backoff", "0.01", "--concurrency", "1")
    assert Answer.objects.filter(model=model).count() == 3
    assert len(stub.chat_requests()) == 6  # 3 refused, then 3 answered
    assert "retries=3" in capsys.readouterr().out


def test_it_gives_up_after_the_retries_and_says_how_to_resume(stub):
    model = _model_with_endpoint(stub, "fail:500", prompts=2)
    with pytest.raises(CommandError, match="2 prompts failed after retries; re-run to resume"):
        _run("--model", "Fresh Model", "--backoff", "0", "--retries", "2")
    assert not Answer.objects.filter(model=model).exists()
    assert len(stub.chat_requests()) == 6  # 1 + 2 retries per prompt


def test_a_client_error_is_not_retried(stub):
    _model_with_endpoint(stub, "fail:401", prompts=2)
    with pytest.raises(CommandError):
        _run("--model", "Fresh Model", "--backoff", "0")
    assert len(stub.chat_requests()) == 2


def test_concurrency_is_bounded(stub):
    model = _model_with_endpoint(stub, "slow:0.02", prompts=8)
    _run("--model", "Fresh Model", "--concurrency", "3")
    assert Answer.objects.filter(model=model).count() == 8
    assert 2 <= stub.max_in_flight <= 3


def test_the_endpoint_concurrency_limit_also_bounds_it(stub):
    model = _model_with_endpoint(stub, "slow:0.02", prompts=6)
    ModelEndpoint.objects.filter(model=model).update(concurrency_limit=1)
    _run("--model", "Fresh Model", "--concurrency", "4")
    assert Answer.objects.filter(model=model).count() == 6
    assert stub.max_in_flight == 1


def test_it_only_answers_the_category_asked_for(stub):
    model = _model_with_endpoint(stub, "batch", prompts=6)
    _run("--model", "Fresh Model", "--prompts", "math")
    assert set(Answer.objects.filter(model=model).values_list("prompt__category", flat=True)) == {
        "math"
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "Nobody"], "No model named"),
        (["--model", "Halcyon-9"], "has no endpoint"),
        (["--model", "Fresh Model", "--concurrency", "0"], "--concurrency"),
    ],
)
def test_bad_arguments_are_refused(stub, args, message):
    _model_with_endpoint(stub, "batch", prompts=1)
    with pytest.raises(CommandError, match=message):
        _run(*args)


def test_a_paused_endpoint_is_refused(stub):
    model = _model_with_endpoint(stub, "batch", prompts=1)
    ModelEndpoint.objects.filter(model=model).update(paused=True, pause_reason="broken")
    with pytest.raises(CommandError, match="paused"):
        _run("--model", "Fresh Model")


def test_a_run_tells_the_serving_processes_once_not_per_answer(stub, monkeypatch):
    # Each answer used to move the shared catalogue version, so every serving
    # process reloaded its copy on every serve for as long as a run lasted.
    from evals import catalogue

    model = _model_with_endpoint(stub, "batch")
    calls = []
    real = catalogue.catalogue_changed
    monkeypatch.setattr(catalogue, "catalogue_changed", lambda: calls.append(1) or real())
    _run("--model", "Fresh Model")
    assert Answer.objects.filter(model=model).count() == 6
    assert len(calls) == 1
    assert any(model.pk in answers for answers in catalogue.catalogue_current().answers.values())
    _run("--model", "Fresh Model")  # nothing written: nobody is told
    assert len(calls) == 1
