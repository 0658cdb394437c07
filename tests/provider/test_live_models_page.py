"""The provider page's live models: register, see the probe, probe again,
pause and resume, rotate the key, generate answers; only for members."""

import pytest

from evals.models import EndpointProbe, GenerationJob, ModelEndpoint
from evals.provider import live

SECRET = "sk-test-secret"


@pytest.fixture
def private_ok(settings):
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = True
    settings.PROVIDER_PROBE_TIMEOUT_S = 2.0


def _register(client, stub, **fields):
    form = {
        "model_name": "Nimbus Live",
        "base_url": stub.base_url,
        "model_id": "nimbus",
        "api_key": SECRET,
        "timeout_s": "5",
        "concurrency_limit": "2",
    }
    form.update(fields)
    return client.post("/provider/zephyrine-labs/live", form)


def _row(html: str, slug: str) -> str:
    start = html.index(f'data-model="{slug}"')
    return html[start : html.index("</tr>", start)]


def test_a_provider_registers_a_live_model_on_the_page_and_sees_the_probe(
    client, bob, orgs, stub, private_ok
):
    client.force_login(bob)
    resp = _register(client, stub, default_params='{"temperature": 0.3}')
    assert resp.status_code == 302
    html = client.get("/provider/").content.decode()
    row = _row(html, "nimbus-live")
    assert 'data-status="waiting_for_approval"' in row and "waiting for approval" in row
    assert "first token after" in row and "tokens/s" in row
    assert "…" + SECRET[-4:] in row and SECRET not in html
    endpoint = ModelEndpoint.objects.get(model__slug="nimbus-live")
    assert endpoint.default_params == {"temperature": 0.3} and endpoint.concurrency_limit == 2

    # Probe again, pause, resume.
    assert client.post("/provider/zephyrine-labs/live/nimbus-live/probe").status_code == 302
    assert EndpointProbe.objects.filter(endpoint=endpoint, trigger="request", ok=True).exists()
    client.post("/provider/zephyrine-labs/live/nimbus-live/pause")
    row = _row(client.get("/provider/").content.decode(), "nimbus-live")
    assert 'data-status="paused"' in row and "paused by the provider" in row and "Resume" in row
    client.post("/provider/zephyrine-labs/live/nimbus-live/pause", {"resume": "1"})
    row = _row(client.get("/provider/").content.decode(), "nimbus-live")
    assert 'data-status="waiting_for_approval"' in row and "Pause" in row


def test_a_failed_probe_and_a_rotated_key_show_on_the_page(client, bob, orgs, stub, private_ok):
    client.force_login(bob)
    _register(client, stub, api_key="sk-wrong-key-9999")
    row = _row(client.get("/provider/").content.decode(), "nimbus-live")
    assert "the endpoint refused the API key (HTTP 401)" in row and "…9999" in row
    resp = client.post("/provider/zephyrine-labs/live/nimbus-live/key", {"api_key": SECRET})
    assert resp.status_code == 302
    html = client.get("/provider/").content.decode()
    row = _row(html, "nimbus-live")
    assert "…" + SECRET[-4:] in row and "first token after" in row and "9999" not in row


def test_a_probe_past_the_allowance_says_so_on_the_page(
    client, bob, orgs, stub, private_ok, settings
):
    settings.THROTTLE_ENDPOINT_PROBE = "2/10m"
    client.force_login(bob)
    _register(client, stub)  # the first probe
    assert client.post("/provider/zephyrine-labs/live/nimbus-live/probe").status_code == 302
    probes = EndpointProbe.objects.count()
    resp = client.post("/provider/zephyrine-labs/live/nimbus-live/probe", follow=True)
    assert "Too many endpoint probes for your organization" in resp.content.decode()
    resp = client.post(
        "/provider/zephyrine-labs/live/nimbus-live/key", {"api_key": "sk-other-1234"}, follow=True
    )
    assert "Too many endpoint probes for your organization" in resp.content.decode()
    assert EndpointProbe.objects.count() == probes
    assert ModelEndpoint.objects.get(model__slug="nimbus-live").api_key_hint == SECRET[-4:]


@pytest.mark.django_db(transaction=True)
def test_generate_answers_shows_the_jobs_progress(client, bob, orgs, stub, private_ok):
    client.force_login(bob)
    _register(client, stub)
    assert client.post("/provider/zephyrine-labs/live/nimbus-live/generate").status_code == 302
    job = GenerationJob.objects.get(model__slug="nimbus-live")
    row = _row(client.get("/provider/").content.decode(), "nimbus-live")
    assert f"queued: 0 of {job.total} written" in row
    assert live.generation_jobs_run() == 1
    row = _row(client.get("/provider/").content.decode(), "nimbus-live")
    assert f"done: {job.total} of {job.total} written, 0 withheld, 0 failed" in row
    # A second request while nothing is missing is done at once; a paused
    # endpoint's is refused on the page in plain words.
    client.post("/provider/zephyrine-labs/live/nimbus-live/pause")
    resp = client.post("/provider/zephyrine-labs/live/nimbus-live/generate")
    assert resp.status_code == 409 and "resume it first" in resp.content.decode()


def test_bad_input_is_shown_on_the_page_and_registers_nothing(client, bob, orgs):
    client.force_login(bob)
    resp = client.post(
        "/provider/zephyrine-labs/live",
        {"model_name": "Nimbus Live", "base_url": "http://127.0.0.1:6379/", "model_id": "m"},
    )
    assert resp.status_code == 400
    assert "private, loopback, link-local or metadata" in resp.content.decode()
    resp = client.post(
        "/provider/zephyrine-labs/live",
        {
            "model_name": "Nimbus Live",
            "base_url": "http://x.invalid/",
            "model_id": "m",
            "timeout_s": "x",
        },
    )
    assert resp.status_code == 400 and "timeout_s must be a number" in resp.content.decode()
    assert not ModelEndpoint.objects.exists()


def test_only_members_reach_an_organisations_live_models(
    client, bob, mallory, orgs, stub, private_ok
):
    client.force_login(bob)
    _register(client, stub)
    client.logout()
    resp = client.post("/provider/zephyrine-labs/live/nimbus-live/probe")
    assert resp.status_code == 302 and "/login" in resp["Location"]
    client.force_login(mallory)
    calls = len(stub.chat_requests())
    for action in ("probe", "pause", "generate", "key"):
        resp = client.post(f"/provider/zephyrine-labs/live/nimbus-live/{action}")
        assert resp.status_code == 404
    assert _register(client, stub, model_name="Mallory Live").status_code == 404
    # Her own organisation does not own bob's model either.
    assert client.post("/provider/quorvex-ai/live/nimbus-live/probe").status_code == 404
    assert len(stub.chat_requests()) == calls
    assert not ModelEndpoint.objects.get(model__slug="nimbus-live").paused
