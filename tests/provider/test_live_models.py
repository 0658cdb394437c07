"""Self-serve live models through the provider API: registration with a probe,
on-demand probes in plain words, pause/resume, key rotation, and the guard that
keeps provider URLs out of the service's own network."""

import json
import socket
import time

import pytest

from datafi.accounts.models import ApiKey
from evals import endpoints, netguard, sampler
from evals.models import EndpointProbe, EvalModel, ModelEndpoint
from evals.provider import services as provider_services
from tests.provider.helpers import auth, make_key

SECRET = "sk-test-secret"  # what the stub accepts (tests.live_support.stub)


@pytest.fixture
def private_ok(settings):
    # The stub listens on 127.0.0.1: the guard would (rightly) refuse it.
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = True
    settings.PROVIDER_PROBE_TIMEOUT_S = 2.0


def _post(client, path, body=None, key=None):
    headers = auth(key) if key else {}
    return client.post(
        path,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        **headers,
    )


def _register(client, key, stub_url, **fields):
    body = {"name": "Nimbus Live", "base_url": stub_url, "model_id": "nimbus", "api_key": SECRET}
    body.update(fields)
    return _post(client, "/api/v1/live-models", body, key)


def _authorization(request) -> str:
    return {k.lower(): v for k, v in request["headers"].items()}["authorization"]


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# --- registration and probes ---------------------------------------------------------


def test_a_provider_registers_a_live_model_and_sees_the_probe(client, bob_key, stub, private_ok):
    resp = _register(client, bob_key, stub.base_url, default_params={"temperature": 0.2})
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["kind"] == "live" and body["approval"] == "pending"
    endpoint = body["endpoint"]
    assert endpoint["status"] == "waiting_for_approval"
    assert endpoint["model_id"] == "nimbus" and endpoint["default_params"] == {"temperature": 0.2}
    probe = endpoint["last_probe"]
    assert probe["ok"] is True and probe["trigger"] == "registration" and probe["error"] == ""
    assert probe["time_to_first_token_ms"] is not None and probe["tokens_per_s"] > 0
    # The key is stored encrypted and never shown again: only its last four characters.
    assert SECRET not in resp.content.decode()
    assert endpoint["api_key_hint"] == "…" + SECRET[-4:]
    stored = ModelEndpoint.objects.get(model__slug=body["slug"])
    assert SECRET not in stored.api_key_encrypted and stored.provider_managed
    # The probe was a real streamed chat completion with the key and the defaults.
    (request,) = stub.chat_requests("nimbus")
    assert request["body"]["stream"] is True and request["body"]["temperature"] == 0.2
    assert _authorization(request) == f"Bearer {SECRET}"
    # The model list says it is live, the endpoint reads the same.
    listed = client.get("/api/v1/models", **auth(bob_key)).json()
    assert {m["slug"]: m["kind"] for m in listed}[body["slug"]] == "live"
    again = client.get(f"/api/v1/models/{body['slug']}/endpoint", **auth(bob_key)).json()
    assert again["last_probe"] == probe


def test_a_refused_key_is_said_in_plain_words(client, bob_key, stub, private_ok):
    resp = _register(client, bob_key, stub.base_url, api_key="sk-wrong-key-0000")
    assert resp.status_code == 201
    probe = resp.json()["endpoint"]["last_probe"]
    assert probe["ok"] is False and probe["error_code"] == "unauthorized"
    assert probe["error"] == "the endpoint refused the API key (HTTP 401)"


def test_a_hanging_endpoint_is_a_timeout_within_the_probe_limit(
    client, bob_key, stub, private_ok, settings
):
    settings.PROVIDER_PROBE_TIMEOUT_S = 1.0
    started = time.monotonic()
    resp = _register(client, bob_key, stub.base_url, model_id="hang")
    # Well under the stub's 30 s hang, with room for a loaded CI runner (2.3 s here).
    assert time.monotonic() - started < 15
    probe = resp.json()["endpoint"]["last_probe"]
    assert (probe["ok"], probe["error_code"]) == (False, "timeout")
    assert probe["error"] == "no first token within 1 seconds"


def test_a_failing_server_and_a_closed_port_are_told_apart(client, bob_key, stub, private_ok):
    resp = _register(client, bob_key, stub.base_url, model_id="fail:500")
    probe = resp.json()["endpoint"]["last_probe"]
    assert probe["error_code"] == "server_error" and "HTTP 500" in probe["error"]

    closed = f"http://127.0.0.1:{_closed_port()}/v1"
    resp = _register(client, bob_key, closed, name="Nimbus Two")
    probe = resp.json()["endpoint"]["last_probe"]
    assert probe["error_code"] == "connection_refused"
    assert "nothing listens" in probe["error"]


def test_a_probe_on_demand_is_stored_and_shown(client, bob_key, stub, private_ok):
    slug = _register(client, bob_key, stub.base_url).json()["slug"]
    resp = _post(client, f"/api/v1/models/{slug}/endpoint/probe", key=bob_key)
    assert resp.status_code == 200
    assert resp.json()["ok"] is True and resp.json()["trigger"] == "request"
    assert EndpointProbe.objects.filter(endpoint__model__slug=slug).count() == 2
    shown = client.get(f"/api/v1/models/{slug}/endpoint", **auth(bob_key)).json()
    assert shown["last_probe"]["trigger"] == "request"
    assert len(stub.chat_requests("nimbus")) == 2


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"base_url": "ftp://example.com/v1"}, "invalid"),
        ({"base_url": "not a url"}, "invalid"),
        ({"base_url": "http://user:pw@93.184.216.34/v1"}, "invalid"),
        ({"base_url": "http://[::1/v1"}, "invalid_base_url"),
        ({"default_params": {"logit_bias": {}}}, "invalid_params"),
        ({"default_params": {"temperature": 5}}, "invalid_params"),
        ({"default_params": {"max_tokens": "many"}}, "invalid_params"),
        ({"default_params": {"stop": ["a", "b", "c", "d", "e"]}}, "invalid_params"),
        ({"timeout_s": 0}, "invalid"),
        ({"timeout_s": "5"}, "invalid"),
        ({"concurrency_limit": 1000}, "invalid"),
        ({"concurrency_limit": 2.5}, "invalid"),
        ({"model_id": ""}, "invalid"),
        ({"api_key": 12345}, "invalid"),
        ({"surprise": 1}, "unknown_fields"),
    ],
)
def test_bad_input_is_a_400_and_registers_nothing(client, bob_key, stub, private_ok, fields, code):
    before = EvalModel.objects.count()
    resp = _register(client, bob_key, stub.base_url, **fields)
    assert resp.status_code == 400, resp.json()
    assert resp.json()["code"] == code and resp.json()["detail"]
    assert EvalModel.objects.count() == before and not stub.chat_requests()


def test_a_taken_name_is_a_409(client, bob_key, stub, private_ok):
    resp = _register(client, bob_key, stub.base_url, name="Halcyon-9")
    assert resp.status_code == 409 and resp.json()["code"] == "model_exists"
    assert not ModelEndpoint.objects.exists()


def test_callers_without_a_key_the_scope_or_the_model_are_refused(
    client, bob_key, mallory_key, orgs, stub, private_ok
):
    assert _register(client, None, stub.base_url).status_code == 401
    reader = make_key(orgs["zephyrine"], scopes=[ApiKey.Scope.DATA_READ])
    resp = _register(client, reader, stub.base_url)
    assert resp.status_code == 403 and resp.json()["code"] == "missing_scope"
    resp = _register(client, bob_key, stub.base_url, organization="quorvex-ai")
    assert resp.status_code == 403 and resp.json()["code"] == "wrong_organization"
    assert not ModelEndpoint.objects.exists() and not stub.chat_requests()
    slug = _register(client, bob_key, stub.base_url).json()["slug"]
    requests_before = len(stub.chat_requests())
    # Another organisation's model reads as unknown, for every operation.
    for path in ("probe", "pause", "resume"):
        resp = _post(client, f"/api/v1/models/{slug}/endpoint/{path}", key=mallory_key)
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    resp = _post(client, f"/api/v1/models/{slug}/endpoint/key", {"api_key": "x" * 20}, mallory_key)
    assert resp.status_code == 404
    assert client.get(f"/api/v1/models/{slug}/endpoint", **auth(mallory_key)).status_code == 404
    assert client.get(f"/api/v1/models/{slug}/endpoint").status_code == 401
    assert len(stub.chat_requests()) == requests_before
    assert ModelEndpoint.objects.get(model__slug=slug).paused is False
    # An answers-only model has no endpoint.
    resp = client.get("/api/v1/models/halcyon-9/endpoint", **auth(bob_key))
    assert resp.status_code == 404 and resp.json()["code"] == "no_endpoint"


# --- the guard against the service's own network ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/v1",
        "http://localhost:8000/v1",
        "http://10.1.2.3/v1",
        "http://192.168.0.10/v1",
        "http://172.16.5.4/v1",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://0.0.0.0:8000/v1",
        "http://100.64.0.1/v1",
    ],
)
def test_private_addresses_are_refused_by_default(client, bob_key, url):
    resp = _register(client, bob_key, url)
    assert resp.status_code == 400 and resp.json()["code"] == "private_address", resp.json()
    assert not ModelEndpoint.objects.exists()


def test_every_address_a_name_resolves_to_is_checked(monkeypatch):
    import ipaddress

    public, private = ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: [public])
    netguard.base_url_check("https://models.example.com/v1")
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: [public, private])
    with pytest.raises(Exception) as exc:
        netguard.base_url_check("https://models.example.com/v1")
    assert exc.value.code == "private_address"


def test_an_unresolvable_host_is_a_400(client, bob_key):
    resp = _register(client, bob_key, "http://no-such-host.invalid/v1")
    assert resp.status_code == 400 and resp.json()["code"] == "unresolvable_host"


def test_the_setting_lets_a_demo_use_a_local_stub(client, bob_key, stub, settings):
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = True
    assert _register(client, bob_key, stub.base_url).status_code == 201


def test_a_probe_checks_the_address_again(client, bob_key, stub, private_ok, settings):
    slug = _register(client, bob_key, stub.base_url).json()["slug"]
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = False
    calls = len(stub.chat_requests())
    probe = _post(client, f"/api/v1/models/{slug}/endpoint/probe", key=bob_key).json()
    assert (probe["ok"], probe["error_code"]) == (False, "private_address")
    assert len(stub.chat_requests()) == calls


def _by_name(stub) -> str:
    """The stub's URL with a host name in place of its address."""
    return stub.base_url.replace("127.0.0.1", "localhost")


def test_a_name_that_rebinds_after_the_check_is_not_connected_to(
    client, bob_key, stub, private_ok, settings, monkeypatch
):
    # DNS rebinding: the name answers a public address to the check, then
    # 127.0.0.1 (where the service's own things listen) to the connection.
    import ipaddress

    slug = _register(client, bob_key, _by_name(stub)).json()["slug"]
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = False
    answers, system = [[ipaddress.ip_address("93.184.216.34")]], netguard._resolve
    monkeypatch.setattr(
        netguard, "_resolve", lambda host, port: answers.pop(0) if answers else system(host, port)
    )
    calls = len(stub.chat_requests())
    probe = _post(client, f"/api/v1/models/{slug}/endpoint/probe", key=bob_key).json()
    assert not answers  # the check saw the public address
    assert (probe["ok"], probe["error_code"]) == (False, "private_address"), probe
    assert "private" in probe["error"]
    assert len(stub.chat_requests()) == calls  # nothing reached 127.0.0.1


def test_a_guarded_request_goes_to_the_address_checked_under_its_own_name(
    client, bob_key, stub, private_ok, settings, monkeypatch
):
    # A name the system resolver does not know: only the guard's own answer
    # (here 127.0.0.1, let through for the test) can have taken the request there.
    import ipaddress

    url = stub.base_url.replace("127.0.0.1", "models.guarded.invalid")
    monkeypatch.setattr(
        netguard, "_resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")]
    )
    slug = _register(client, bob_key, url).json()["slug"]
    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = False
    monkeypatch.setattr(netguard, "_refused", lambda address: False)
    probe = _post(client, f"/api/v1/models/{slug}/endpoint/probe", key=bob_key).json()
    assert probe["ok"] is True, probe
    request = stub.chat_requests()[-1]
    host = {k.lower(): v for k, v in request["headers"].items()}["host"]
    assert host == f"models.guarded.invalid:{stub.server_address[1]}"


def _self_signed(tmp_path, name):
    """A key and a self-signed certificate for ``name`` (its own trust anchor)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_a_guarded_https_request_still_verifies_the_certificate_by_name(
    client, bob_key, private_ok, settings, monkeypatch, tmp_path
):
    # Connected to the checked address, TLS must still be checked against the
    # name in the URL (SNI + hostname), or every https endpoint would fail.
    import ipaddress
    import ssl

    from tests.openai_stub_server import StubServer

    name = "models.guarded.invalid"
    cert_file, key_file = _self_signed(tmp_path, name)
    server = StubServer(api_key=SECRET)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the client's trust anchor
        monkeypatch.setattr(
            netguard, "_resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")]
        )
        url = f"https://{name}:{server.server_address[1]}/v1"
        slug = _register(client, bob_key, url).json()["slug"]
        settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = False
        monkeypatch.setattr(netguard, "_refused", lambda address: False)
        probe = _post(client, f"/api/v1/models/{slug}/endpoint/probe", key=bob_key).json()
        assert probe["ok"] is True, probe
        # The same server under a name its certificate does not carry is refused.
        other = _register(client, bob_key, url.replace(name, "other.guarded.invalid"), name="X")
        other = other.json()["slug"]
        probe = _post(client, f"/api/v1/models/{other}/endpoint/probe", key=bob_key).json()
        assert (probe["ok"], probe["error_code"]) == (False, "tls_error"), probe
    finally:
        server.stop()


def test_probes_are_limited_per_organization_and_a_refused_one_changes_nothing(
    client, bob_key, mallory_key, stub, private_ok, settings
):
    # Each probe calls the provider's endpoint and holds a web thread until it
    # answers: registration, on-demand probes and key rotations share one allowance.
    settings.THROTTLE_ENDPOINT_PROBE = "3/10m,100/1d"
    slug = _register(client, bob_key, stub.base_url).json()["slug"]
    probe_url = f"/api/v1/models/{slug}/endpoint/probe"
    for _ in range(2):
        assert _post(client, probe_url, key=bob_key).status_code == 200
    endpoint = ModelEndpoint.objects.get(model__slug=slug)
    probes, calls, models = (
        EndpointProbe.objects.count(),
        len(stub.chat_requests()),
        EvalModel.objects.count(),
    )

    resp = _post(client, probe_url, key=bob_key)
    assert resp.status_code == 429 and resp.json()["code"] == "throttled", resp.json()
    assert "endpoint probes for your organization" in resp.json()["detail"]
    assert 0 < int(resp["Retry-After"]) <= 600
    resp = _post(
        client, f"/api/v1/models/{slug}/endpoint/key", {"api_key": "sk-new-key-77"}, bob_key
    )
    assert resp.status_code == 429
    resp = _register(client, bob_key, stub.base_url, name="Nimbus Two", model_id="two")
    assert resp.status_code == 429
    assert ModelEndpoint.objects.get(pk=endpoint.pk).api_key_encrypted == endpoint.api_key_encrypted
    assert EndpointProbe.objects.count() == probes and EvalModel.objects.count() == models
    assert len(stub.chat_requests()) == calls  # nobody's endpoint was called

    # Another organization has an allowance of its own.
    assert _register(client, mallory_key, stub.base_url, name="Quorvex Live").status_code == 201


# --- pause, resume, key rotation, approval -----------------------------------------------


def _live_pair_ids(user):
    try:
        a, b = sampler.pick_live_pair(user=user)
    except sampler.NothingToServe:
        return set()
    return {a.id, b.id}


def test_only_approved_unpaused_live_models_are_picked(client, bob_key, stub, private_ok, carol):
    one = _register(client, bob_key, stub.base_url).json()["slug"]
    two = _register(client, bob_key, stub.base_url, name="Nimbus Two", model_id="two").json()
    two = two["slug"]
    first, second = EvalModel.objects.get(slug=one), EvalModel.objects.get(slug=two)
    assert _live_pair_ids(carol) == set()  # both wait for approval
    carol.is_staff = True
    provider_services.model_approve(model=first, by=carol, reason="probe fine")
    assert _live_pair_ids(carol) == set()  # one approved model is not a pair
    provider_services.model_approve(model=second, by=carol, reason="probe fine")
    assert _live_pair_ids(carol) == {first.id, second.id}

    resp = _post(client, f"/api/v1/models/{one}/endpoint/pause", key=bob_key)
    assert resp.status_code == 200
    assert resp.json()["status"] == "paused" and resp.json()["paused"] is True
    assert _live_pair_ids(carol) == set()
    resp = _post(client, f"/api/v1/models/{one}/endpoint/resume", key=bob_key)
    assert resp.json()["status"] == "approved" and resp.json()["pause_reason"] == ""
    assert _live_pair_ids(carol) == {first.id, second.id}


def test_resume_clears_an_automatic_pause(client, bob_key, stub, private_ok, settings):
    slug = _register(client, bob_key, stub.base_url).json()["slug"]
    endpoint = ModelEndpoint.objects.get(model__slug=slug)
    for _ in range(settings.LIVE_PAUSE_AFTER_FAILURES):
        endpoints.endpoint_record_failure(endpoint_id=endpoint.id, reason="timeout")
    shown = client.get(f"/api/v1/models/{slug}/endpoint", **auth(bob_key)).json()
    assert shown["status"] == "paused" and "consecutive failures" in shown["pause_reason"]
    _post(client, f"/api/v1/models/{slug}/endpoint/resume", key=bob_key)
    endpoint.refresh_from_db()
    assert not endpoint.paused and endpoint.consecutive_failures == 0


def test_a_rotated_key_replaces_the_old_one_for_good(client, bob_key, stub, private_ok):
    old = "sk-old-key-aaaa1111"
    slug = _register(client, bob_key, stub.base_url, api_key=old).json()["slug"]
    resp = _post(client, f"/api/v1/models/{slug}/endpoint/key", {"api_key": SECRET}, bob_key)
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["api_key_hint"] == "…" + SECRET[-4:]
    assert body["last_probe"]["ok"] is True and body["last_probe"]["trigger"] == "key_rotation"
    assert old not in resp.content.decode() and SECRET not in resp.content.decode()
    # The new key is what the endpoint receives; the old one is nowhere to be read.
    assert _authorization(stub.chat_requests()[-1]) == f"Bearer {SECRET}"
    endpoint = ModelEndpoint.objects.get(model__slug=slug)
    assert endpoints.api_key_decrypt(endpoint.api_key_encrypted) == SECRET
    assert endpoints.endpoint_config(endpoint).api_key == SECRET
    resp = _post(client, f"/api/v1/models/{slug}/endpoint/key", {"key": SECRET}, bob_key)
    assert resp.status_code == 400 and resp.json()["code"] == "unknown_fields"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://example.com/v1", "invalid_base_url"),
        ("http://user:pw@93.184.216.34/v1", "invalid_base_url"),
        ("http://[::1/v1", "invalid_base_url"),
        ("https://93.184.216.34/v1", None),
    ],
)
def test_the_guard_refuses_what_is_not_a_plain_http_url(url, code):
    # The same checks behind the page's form, which has no schema in front.
    if code is None:
        netguard.base_url_check(url)
        return
    with pytest.raises(Exception) as exc:
        netguard.base_url_check(url)
    assert exc.value.code == code
