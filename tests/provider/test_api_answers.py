import json

import pytest

from evals.models import Answer
from evals.provider.services import prompt_set_upsert
from tests.provider.helpers import auth, make_key


def upload(client, key, lines, content_type="application/x-ndjson"):
    body = lines if isinstance(lines, bytes | str) else "\n".join(json.dumps(x) for x in lines)
    return client.post("/api/v1/answers", data=body, content_type=content_type, **auth(key))


@pytest.fixture
def fresh(client, bob_key):
    resp = client.post(
        "/api/v1/models",
        data=json.dumps({"name": "Fresh"}),
        content_type="application/json",
        **auth(bob_key),
    )
    assert resp.status_code == 201
    return "fresh"


def test_a_provider_uploads_answers_for_a_prompt_set(client, bob_key, fresh):
    lines = [
        {"model": "fresh", "prompt": f"p{i}", "text": f"**Answer** {i}", "latency_ms": 7}
        for i in range(6)
    ]
    resp = upload(client, bob_key, lines)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert (body["lines"], body["created"], body["updated"], body["unchanged"]) == (6, 6, 0, 0)
    assert body["results"][0] == {"line": 1, "model": "fresh", "prompt": "p0", "status": "created"}
    answer = Answer.objects.get(model__slug="fresh", prompt__key="p0")
    assert answer.html.startswith("<p><strong>Answer</strong>") and answer.latency_ms == 7


def test_uploading_the_same_file_twice_changes_nothing(client, bob_key, fresh):
    lines = [{"model": "fresh", "prompt": "p1", "text": "same"}]
    upload(client, bob_key, lines)
    before = list(Answer.objects.values_list("pk", "text", "html"))
    resp = upload(client, bob_key, lines)
    assert resp.json()["unchanged"] == 1 and resp.json()["created"] == 0
    assert list(Answer.objects.values_list("pk", "text", "html")) == before


def test_a_new_text_replaces_an_answer_that_never_fought(client, bob_key, fresh):
    upload(client, bob_key, [{"model": "fresh", "prompt": "p1", "text": "old"}])
    resp = upload(client, bob_key, [{"model": "fresh", "prompt": "p1", "text": "new"}])
    assert resp.json()["updated"] == 1
    assert Answer.objects.get(model__slug="fresh", prompt__key="p1").text == "new"


def test_an_answer_shown_in_a_battle_cannot_be_replaced(client, bob_key, votes):
    own = next(
        answer
        for battle in votes["battles"]
        for answer in (battle.answer_a, battle.answer_b)
        if answer.model.organization.slug == "zephyrine-labs"
    )
    line = {"model": own.model.slug, "prompt": own.prompt.key, "text": "rewritten"}
    resp = upload(client, bob_key, [line])
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["code"] == "answer_in_use"
    own.refresh_from_db()
    assert own.text != "rewritten"


def test_one_bad_line_rejects_the_upload_and_every_bad_line_is_reported(client, bob_key, fresh):
    body = "\n".join(
        [
            json.dumps({"model": "fresh", "prompt": "p0", "text": "fine"}),
            "{not json",
            json.dumps({"model": "orbisque-xl", "prompt": "p1", "text": "theirs"}),
            json.dumps({"model": "fresh", "prompt": "nope", "text": "x"}),
            json.dumps({"model": "fresh", "prompt": "p0", "text": "again"}),
            json.dumps({"model": "fresh", "prompt": "p2", "text": ""}),
            json.dumps({"model": "fresh", "prompt": "p3", "text": "x", "extra": 1}),
            json.dumps({"model": "fresh", "prompt": "p4", "text": "x", "latency_ms": -1}),
            json.dumps(["a list"]),
        ]
    )
    resp = upload(client, bob_key, body)
    assert resp.status_code == 400
    payload = resp.json()
    assert payload["code"] == "invalid_lines"
    assert {(e["line"], e["code"]) for e in payload["errors"]} == {
        (2, "invalid_line"),
        (3, "unknown_model"),
        (4, "unknown_prompt"),
        (5, "duplicate"),
        (6, "invalid_line"),
        (7, "invalid_line"),
        (8, "invalid_line"),
        (9, "invalid_line"),
    }
    assert not Answer.objects.filter(model__slug="fresh").exists()


def test_another_organisations_model_reads_as_unknown(client, mallory_key, fresh):
    resp = upload(client, mallory_key, [{"model": "fresh", "prompt": "p0", "text": "spoof"}])
    assert resp.status_code == 404 and resp.json()["errors"][0]["code"] == "unknown_model"
    assert not Answer.objects.filter(model__slug="fresh").exists()


def test_prompts_outside_published_sets_are_refused(client, bob_key, fresh):
    prompt_set_upsert(slug="core", name="Core prompts", prompts=[])
    resp = upload(client, bob_key, [{"model": "fresh", "prompt": "p0", "text": "x"}])
    assert resp.status_code == 404 and resp.json()["errors"][0]["code"] == "unknown_prompt"


@pytest.mark.parametrize(
    "body,content_type,status,code",
    [
        (b"", "application/x-ndjson", 400, "empty_upload"),
        (b"\n\n  \n", "application/x-ndjson", 400, "empty_upload"),
        (b"\xff\xfe\x00garbage", "application/x-ndjson", 400, "invalid_encoding"),
        (b'{"model": "fresh"}', "application/json", 415, "unsupported_media_type"),
        (b'{"model": "fresh"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"model": "fresh"}', "multipart/form-data; boundary=x", 415, "unsupported_media_type"),
    ],
)
def test_garbage_is_a_clear_4xx(client, bob_key, fresh, body, content_type, status, code):
    resp = upload(client, bob_key, body, content_type=content_type)
    assert resp.status_code == status, resp.content
    assert resp.json()["code"] == code
    assert not Answer.objects.filter(model__slug="fresh").exists()


def test_too_many_lines_is_a_413(client, settings, bob_key, fresh):
    settings.PROVIDER_UPLOAD_MAX_LINES = 2
    lines = [{"model": "fresh", "prompt": f"p{i}", "text": "x"} for i in range(3)]
    resp = upload(client, bob_key, lines)
    assert resp.status_code == 413 and resp.json()["code"] == "too_many_lines"
    settings.PROVIDER_UPLOAD_MAX_BYTES = 10
    assert upload(client, bob_key, lines[:1]).status_code == 413
    assert not Answer.objects.filter(model__slug="fresh").exists()


def test_uploading_needs_the_answers_scope(client, orgs, fresh):
    key = make_key(orgs["zephyrine"], scopes=["data:read"])
    resp = upload(client, key, [{"model": "fresh", "prompt": "p0", "text": "x"}])
    assert resp.status_code == 403
