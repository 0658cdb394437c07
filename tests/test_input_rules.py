"""The one input layer (datafi.input): every JSON body, form and query string meets
the same rules (depth, size, NUL, lone surrogates), refused with a 400 that
changes nothing; CSRF failures of JSON endpoints in the API's error shape."""

import json
import subprocess
import sys

import pytest
from django.test import Client

from datafi.accounts import services as account_services
from datafi.accounts.models import ApiKey, Organization
from datafi.input import InputError, json_loads
from evals import services
from evals.models import Answer, Battle, EvalModel, Prompt, Vote
from evals.quality.models import RateCounter
from rewards.models import Redemption
from tests.live_support import live_models
from tests.services import ROOT

DEEP = 5_000  # past the 64-level rule; shallow enough not to crash a test run that lacks the fix
NUL = "\x00"
SURROGATE = "\ud800"


def deep_json(depth: int = DEEP) -> bytes:
    return b'{"choice": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.fixture
def provider(arena, bob):
    org = arena["orgs"]["zephyrine-labs"]
    account_services.membership_add(organization=org, user=bob, role="owner")
    key = account_services.api_key_create(
        organization=org, name="k", scopes=list(ApiKey.Scope.values), created_by=bob
    ).plaintext
    return {"org": org, "key": key, "auth": {"HTTP_AUTHORIZATION": f"Bearer {key}"}}


def _post_json(client, path, body: bytes, **extra):
    return client.post(path, data=body, content_type="application/json", **extra)


# --- D1: depth -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/wallet/nonce", "/api/wallet/login", "/api/rewards/redemptions", "/live/battles"],
)
def test_it_refuses_a_deeply_nested_body_to_hand_written_json_endpoints(client, alice, path):
    client.force_login(alice)
    resp = _post_json(client, path, deep_json())
    assert resp.status_code == 400
    assert resp.json()["code"] == "too_deep"
    assert not Redemption.objects.exists() and not Battle.objects.exists()


def test_it_refuses_a_deeply_nested_vote(client, alice, arena):
    battle = services.battle_serve(user=alice)
    client.force_login(alice)
    resp = _post_json(client, f"/arena/battles/{battle.id}/vote", deep_json())
    assert resp.status_code == 400 and resp.json()["code"] == "too_deep"
    assert not Vote.objects.exists()


def test_it_refuses_a_deeply_nested_body_to_the_drf_api(client, provider):
    resp = _post_json(client, "/api/v1/models", deep_json(), **provider["auth"])
    assert resp.status_code == 400 and resp.json()["code"] == "too_deep"


@pytest.mark.parametrize("media", ["application/x-ndjson", "application/jsonl", "text/plain"])
def test_it_refuses_a_deeply_nested_json_line_in_an_upload(client, provider, media):
    good = json.dumps({"model": "halcyon-9", "prompt": "p0", "text": "fine"}).encode()
    body = good + b"\n" + b"[" * DEEP + b"]" * DEEP + b"\n"
    resp = client.post("/api/v1/answers", data=body, content_type=media, **provider["auth"])
    assert resp.status_code == 400 and resp.json()["code"] == "too_deep"


def test_it_refuses_deep_json_sent_without_a_json_content_type(client, alice, stub):
    # /live/battles reads JSON whatever the content type says: the same rules apply.
    live_models(stub)
    client.force_login(alice)
    resp = client.post("/live/battles", data=deep_json(), content_type="text/plain")
    assert resp.status_code == 400 and resp.json()["code"] == "too_deep"
    assert not Battle.objects.exists() and not RateCounter.objects.filter(key__startswith="live:")


def test_it_accepts_json_at_the_depth_limit_and_brackets_inside_strings(settings):
    settings.INPUT_MAX_JSON_DEPTH = 8
    assert json_loads(b"[" * 8 + b"]" * 8) == [[[[[[[[]]]]]]]]
    text = "[[[[ {{{{ " * 50
    assert json_loads(json.dumps({"code": text, "escaped": '\\"[[[[[[[[[['})) == {
        "code": text,
        "escaped": '\\"[[[[[[[[[[',
    }
    with pytest.raises(InputError) as exc:
        json_loads(b"[" * 9 + b"]" * 9)
    assert exc.value.code == "too_deep"
    with pytest.raises(InputError):  # unclosed: the parser would still recurse
        json_loads(b"[" * 9)


def test_importing_and_building_the_chain_leaves_a_safe_recursion_limit():
    # A fresh interpreter, as a server starts: the URLconf (web3, eth_account),
    # then the in-process EVM (py-evm). py_ecc alone would leave it at 100,000.
    code = (
        "import sys, django; django.setup();"
        "import datafi.urls; from rewards import chain; chain._build();"
        "print(sys.getrecursionlimit())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "datafi.settings",
            "CHAIN_RPC_URL": "",
        },
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) <= 1000


# --- D6: NUL and lone surrogates ------------------------------------------------------


def _line(**fields) -> bytes:
    line = {"model": "halcyon-9", "prompt": "p0", "text": "An answer."} | fields
    return json.dumps(line).encode()


@pytest.mark.parametrize("field", ["text", "model", "prompt"])
@pytest.mark.parametrize("bad", [NUL, SURROGATE])
def test_it_refuses_nul_and_surrogates_in_uploaded_answers(client, provider, field, bad):
    before = Answer.objects.count()
    resp = client.post(
        "/api/v1/answers",
        data=_line(**{field: f"x{bad}y"}),
        content_type="application/x-ndjson",
        **provider["auth"],
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    assert Answer.objects.count() == before


@pytest.mark.parametrize("bad", [NUL, SURROGATE])
def test_it_refuses_nul_and_surrogates_in_a_drf_body(client, provider, bad):
    resp = client.post(
        "/api/v1/models",
        data=json.dumps({"name": f"New{bad}model", "description": "d"}),
        content_type="application/json",
        **provider["auth"],
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    assert not EvalModel.objects.filter(name__startswith="New").exists()


def test_it_refuses_nul_in_a_redemption_idempotency_key(client, alice):
    client.force_login(alice)
    body = json.dumps({"points": 10, "idempotency_key": f"k{NUL}"}).encode()
    resp = _post_json(client, "/api/rewards/redemptions", body)
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    assert not Redemption.objects.exists()


def test_it_refuses_nul_in_an_idempotency_key_header(client, alice):
    client.force_login(alice)
    resp = _post_json(
        client, "/api/rewards/redemptions", b'{"points": 10}', HTTP_IDEMPOTENCY_KEY=f"k{NUL}"
    )
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    assert not Redemption.objects.exists()


@pytest.mark.parametrize("path", ["/api/wallet/login", "/api/wallet/link"])
def test_it_refuses_a_lone_surrogate_in_a_siwe_message(client, alice, path):
    if path.endswith("link"):
        client.force_login(alice)
    body = json.dumps({"message": f"example.com wants {SURROGATE}", "signature": "0x00"})
    resp = _post_json(client, path, body.encode())
    assert resp.status_code == 400
    assert resp.json() == {"code": "invalid_characters", "detail": resp.json()["detail"]}
    assert "surrogate" in resp.json()["detail"]


def test_it_refuses_nul_in_a_live_prompt_and_takes_no_quota(client, alice, stub):
    live_models(stub)
    client.force_login(alice)
    for _ in range(3):
        resp = _post_json(client, "/live/battles", json.dumps({"prompt": f"hi{NUL}"}).encode())
        assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    assert not Battle.objects.exists()
    assert not RateCounter.objects.filter(key__startswith=f"live:user:{alice.id}:").exists()


def test_a_live_start_that_fails_after_the_quota_check_gives_the_unit_back(
    client, alice, stub, monkeypatch
):
    from evals import live

    live_models(stub)

    def broken_prompt(text, **kwargs):
        raise ValueError("A string literal cannot contain NUL (0x00) characters.")

    # What PostgreSQL did with a NUL prompt before the input layer refused it.
    monkeypatch.setattr(live.battles, "_user_prompt", broken_prompt)
    for _ in range(3):
        with pytest.raises(ValueError):
            live.live_battle_start(user=alice, text="Why is the sky blue?")
    assert not RateCounter.objects.filter(key__startswith=f"live:user:{alice.id}:", count__gt=0)


def test_it_refuses_nul_in_a_vote_and_records_nothing(client, alice, arena):
    battle = services.battle_serve(user=alice)
    client.force_login(alice)
    body = json.dumps({"choice": "model_a", "reasons": [f"x{NUL}"]}).encode()
    resp = _post_json(client, f"/arena/battles/{battle.id}/vote", body)
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    assert not Vote.objects.exists()


def test_the_provider_forms_refuse_nul_with_an_error_page(client, bob, provider):
    client.force_login(bob)
    slug = provider["org"].slug
    before = (Organization.objects.count(), ApiKey.objects.count())
    for path, form in [
        ("/provider/organizations", {"name": f"Evil{NUL}Org", "website": ""}),
        (f"/provider/{slug}/keys", {"name": f"key{NUL}", "scopes": ["models:read"]}),
        (f"/provider/{slug}/members", {"username": f"alice{NUL}", "role": "member"}),
    ]:
        resp = client.post(path, data=form)
        assert resp.status_code == 400, path
        assert resp["Content-Type"].startswith("text/html")
        assert "NUL" in resp.content.decode()
    assert (Organization.objects.count(), ApiKey.objects.count()) == before


def test_it_refuses_nul_in_a_query_string_and_a_path(client, provider):
    resp = client.get("/api/v1/battles?model=%00", **provider["auth"])
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"
    resp = client.get("/api/v1/models/a%00b", **provider["auth"])
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_characters"


def test_it_accepts_surrogate_pairs_and_escaped_backslashes(client, alice, stub):
    live_models(stub)
    client.force_login(alice)
    # "\\u0000" is a backslash and the text u0000; a pair is one character.
    body = b'{"prompt": "Why \\\\u0000 and \\ud83d\\ude00?"}'
    resp = _post_json(client, "/live/battles", body)
    assert resp.status_code == 201, resp.content
    assert Prompt.objects.filter(text="Why \\u0000 and \U0001f600?").exists()


def test_it_refuses_a_body_that_is_not_utf8(client, alice):
    client.force_login(alice)
    resp = _post_json(client, "/api/rewards/redemptions", b'{"points": "\xff"}')
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_encoding"


def test_a_malformed_body_keeps_its_endpoint_s_own_answer(client, provider):
    # Not a rule of the layer: DRF still reports its parse error, after authentication.
    resp = _post_json(client, "/api/v1/models", b"{not json")
    assert resp.status_code in (401, 403)
    resp = _post_json(client, "/api/v1/models", b"{not json", **provider["auth"])
    assert resp.status_code == 400 and resp.json()["code"] == "parse_error"


# --- CSRF ----------------------------------------------------------------------------


def test_a_csrf_failure_on_a_json_endpoint_is_json(db):
    client = Client(enforce_csrf_checks=True)
    resp = _post_json(client, "/api/wallet/nonce", b'{"address": "0x0"}')
    assert resp.status_code == 403
    assert resp["Content-Type"] == "application/json"
    assert resp.json()["code"] == "csrf_failed" and "CSRF" in resp.json()["detail"]


def test_a_csrf_failure_on_the_drf_api_has_the_same_code(bob, provider):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    resp = _post_json(client, "/api/v1/models", b'{"name": "x"}')
    assert resp.status_code == 403 and resp.json()["code"] == "csrf_failed"


def test_a_csrf_failure_on_a_page_is_still_a_page(alice, arena):
    battle = services.battle_serve(user=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    resp = client.post(f"/arena/battles/{battle.id}/vote", data={"choice": "model_a"})
    assert resp.status_code == 403
    assert resp["Content-Type"].startswith("text/html")
    assert not Vote.objects.exists()
