"""Model endpoints: encrypted keys, the admin, validation, concurrency slots,
and the identity masker."""

import random
import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import close_old_connections, connection
from django.utils import timezone

from datafi.api import ApiError
from evals import endpoints
from evals.generation import stream_chat
from evals.identity import StreamMasker, build_pattern, mask
from evals.models import EndpointLease, ModelEndpoint
from tests.live_support import close_db_pool, live_models


def test_the_api_key_is_encrypted_at_rest_and_reaches_the_server(stub, db):
    live_models(stub, api_key="sk-test-secret")
    endpoint = ModelEndpoint.objects.first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_encrypted FROM evals_model_endpoint")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all("sk-test-secret" not in value and value for value in stored)
    cfg = endpoints.endpoint_config(endpoint)
    assert cfg.api_key == "sk-test-secret" and "sk-test-secret" not in repr(cfg)
    result = async_to_sync(stream_chat)(cfg, [{"role": "user", "content": "hi"}])
    assert not result.failed and result.text
    # A wrong key is what the stub refuses: the key really is checked.
    endpoints.endpoint_upsert(
        model=endpoint.model,
        base_url=stub.base_url,
        provider_model_id="x",
        api_key="wrong",
    )
    cfg = endpoints.endpoint_config(ModelEndpoint.objects.get(id=endpoint.id))
    result = async_to_sync(stream_chat)(cfg, [{"role": "user", "content": "hi"}])
    assert result.error_code == "http_401"


def test_a_key_from_a_rotated_away_secret_decrypts_to_nothing(db, settings):
    token = endpoints.api_key_encrypt("sk-live")
    from cryptography.fernet import Fernet

    settings.MODEL_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert endpoints.api_key_decrypt(token) == ""


def test_the_admin_never_renders_the_key_back(client, django_user_model, stub, db):
    live_models(stub, api_key="sk-test-secret")
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    endpoint = ModelEndpoint.objects.first()
    url = f"/admin/evals/modelendpoint/{endpoint.id}/change/"
    page = client.get(url).content.decode()
    assert "sk-test-secret" not in page and endpoint.api_key_encrypted not in page
    assert 'name="api_key"' in page
    form = {
        "model": endpoint.model_id,
        "base_url": endpoint.base_url,
        "provider_model_id": "renamed",
        "default_params": '{"temperature": 0.2}',
        "timeout_s": "5",
        "concurrency_limit": "2",
        "api_key": "",
        "pause_reason": "",
    }
    resp = client.post(url, form)
    assert resp.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.provider_model_id == "renamed"
    assert endpoints.endpoint_config(endpoint).api_key == "sk-test-secret"  # blank keeps it
    client.post(url, {**form, "api_key": "sk-new"})
    endpoint.refresh_from_db()
    assert endpoints.endpoint_config(endpoint).api_key == "sk-new"
    resp = client.post(url, {**form, "default_params": '{"evil": 1}'})
    assert resp.status_code == 200 and "Unknown parameters: evil" in resp.content.decode()
    assert client.get("/admin/evals/modelendpoint/").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"base_url": "ftp://x"}, "invalid_base_url"),
        ({"base_url": "not a url"}, "invalid_base_url"),
        ({"default_params": {"stream": False}}, "invalid_params"),
        ({"default_params": [1]}, "invalid_params"),
        ({"timeout_s": 0}, "invalid_timeout"),
        ({"concurrency_limit": 0}, "invalid_concurrency"),
        ({"provider_model_id": ""}, "invalid_model_id"),
    ],
)
def test_endpoint_upsert_rejects_bad_input(arena, kwargs, code):
    args = {
        "model": arena["models"][0],
        "base_url": "http://127.0.0.1:9100/v1",
        "provider_model_id": "m",
        **kwargs,
    }
    with pytest.raises(ApiError) as exc:
        endpoints.endpoint_upsert(**args)
    assert exc.value.code == code
    assert not ModelEndpoint.objects.exists()


def test_concurrency_slots_stop_at_the_limit_and_expire(arena):
    endpoint = endpoints.endpoint_upsert(
        model=arena["models"][0],
        base_url="http://127.0.0.1:9100/v1",
        provider_model_id="m",
        concurrency_limit=2,
    )
    first = endpoints.lease_acquire(endpoint_id=endpoint.id, ttl_s=60)
    second = endpoints.lease_acquire(endpoint_id=endpoint.id, ttl_s=60)
    assert first and second
    assert endpoints.lease_acquire(endpoint_id=endpoint.id, ttl_s=60) is None
    endpoints.lease_release(token=first)
    assert endpoints.lease_acquire(endpoint_id=endpoint.id, ttl_s=60) is not None
    # A worker that died holding a slot gives it back when its lease expires.
    EndpointLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert endpoints.lease_acquire(endpoint_id=endpoint.id, ttl_s=60) is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrency_slots_hold_across_parallel_workers():
    from tests.conftest import build_arena

    arena = build_arena(prompts=1)
    endpoint = endpoints.endpoint_upsert(
        model=arena["models"][0],
        base_url="http://127.0.0.1:9100/v1",
        provider_model_id="m",
        concurrency_limit=3,
    )
    barrier = threading.Barrier(20)
    tokens = []

    def worker():
        try:
            barrier.wait()
            tokens.append(endpoints.lease_acquire(endpoint_id=endpoint.id, ttl_s=60))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_db_pool()
    assert sum(t is not None for t in tokens) == 3
    assert EndpointLease.objects.filter(endpoint=endpoint).count() == 3


NAMES = ["Claude", "Marivolt Pro", "OpenAI", "GPT-4", "GPT-4o", "Halcyon-9"]


def test_the_masker_hides_names_split_across_chunks():
    pattern = build_pattern(NAMES)
    text = (
        "Hi, I am Claude, made by OpenAI; also marivolt-pro and Halcyon-9. "
        "Not Claudette nor xOpenAI. gpt-4o! The end: Claude"
    )
    expected = mask(text, pattern)
    assert expected.count("[model]") == 6 and "Claudette" in expected and "xOpenAI" in expected
    rng = random.Random(7)
    for _ in range(200):
        masker, out, i = StreamMasker(pattern), [], 0
        while i < len(text):
            n = rng.randint(1, 7)
            out.append(masker.feed(text[i : i + n]))
            i += n
        out.append(masker.flush())
        assert "".join(out) == expected
        # Nothing released before the flush ever shows a name either.
        assert not pattern.find("".join(out[:-1]))


def test_the_pattern_finds_names_in_any_case_and_spacing():
    pattern = build_pattern(NAMES)
    assert pattern.find("I'm MARIVOLT_PRO, formerly gpt-4") == ["MARIVOLT_PRO", "gpt-4"]
    assert pattern.find("A claudication is not a model") == []
