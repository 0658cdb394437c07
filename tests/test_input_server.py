"""D1 against a real server process: a body nested 100,000 deep is a 400, not a dead worker.

In-process tests cannot show this: the crash is a C stack overflow that kills
the whole interpreter, so the server here is daphne (as ``make run`` serves)
in a subprocess of its own.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.services import ROOT

PORTS = range(18100, 18200)
DEPTH = 100_000
CSRF = "a" * 32  # a CSRF secret: the cookie and the header carry the same one


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18100-18199")


def _request(port, method, path, body=b"", headers=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "datafi.settings",
        # The server's own periodic work would only add noise (and needs tables).
        "VOTE_FOLD_IN_PROCESS": "0",
        "RATINGS_REFRESH_IN_PROCESS": "0",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)  # a fresh SQLite file: these requests need no table
    env.pop("REDIS_URL", None)
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (the server writes to it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["datafi.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.3)
    yield proc, port, tmp_path / "server.log"
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


def test_it_answers_a_body_nested_100000_deep_with_a_400_and_the_worker_lives_on(server):
    proc, port, log = server
    deep = b"[" * DEPTH + b"]" * DEPTH
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
    }
    # Anonymous, as the red team did it: the SIWE nonce and log-in endpoints,
    # then a DRF endpoint and the live battle endpoint.
    for path in ("/api/wallet/nonce", "/api/wallet/login", "/api/v1/models", "/live/battles"):
        try:
            status, body = _request(port, "POST", path, body=deep, headers=headers)
        except (ConnectionError, http.client.HTTPException) as exc:
            pytest.fail(
                f"{path}: no answer ({exc!r}); server exit code {proc.poll()}\n{log.read_text()}"
            )
        assert status == 400, (path, status, body[:300])
        assert json.loads(body)["code"] == "too_deep", (path, body[:300])
        assert proc.poll() is None, f"the server died after {path}:\n{log.read_text()}"
    # Still serving.
    status, _ = _request(port, "GET", "/accounts/login/")
    assert status == 200 and proc.poll() is None
