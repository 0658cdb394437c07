"""Each request on its own: a stalled export reader cannot change another's answer.

The servers are started as the Makefile starts them (``make -n`` prints the
command), on the test database. A client asks for a large dataset export over a
socket with a 2 KB receive buffer and stops reading, so that the server is left
waiting in the middle of the export (whose rows are read in one transaction);
meanwhile other requests on the same worker must answer as they would alone.
Under the old hand-made ASGI handler (one sync thread per process) they ran on
the export's thread and connection, inside its transaction, and answered 500.
"""

import http.client
import json
import os
import random
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from datafi.flows import fold

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# make target -> extra make variables: one worker, so that every request below
# lands on the worker that is serving the stalled export.
SERVERS = {
    "serve-ws": {},  # the scaled websocket workers (they answer HTTP too)
    "serve-http": {"HTTP_WORKERS": "1"},  # the scaled HTTP workers
    "serve": {},  # make run: HTTP and websockets from one process
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_command(target: str, port: int, **variables) -> list[str]:
    """The command ``make <target>`` runs, as the Makefile spells it."""
    args = ["make", "-s", "-n", target, "HOST=127.0.0.1", f"PORT={port}"]
    args += [f"{k}={v}" for k, v in variables.items()]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if line.strip() and not line.startswith("echo")]
    assert len(lines) == 1, out
    return shlex.split(lines[0])


def database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_server(target: str, port: int, env=None, **variables) -> subprocess.Popen:
    overrides, env = (
        env,
        dict(
            os.environ,
            DATABASE_URL=database_url(),
            LOG_LEVEL="CRITICAL",
            VOTE_FOLD_IN_PROCESS="0",
            RATINGS_REFRESH_IN_PROCESS="0",
        ),
    )
    env.update(overrides or {})
    env.pop("REDIS_URL", None)  # one process: in-memory channel layer and cache
    proc = subprocess.Popen(
        make_command(target, port, **variables),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, f"{target} exited with {proc.returncode}"
        try:
            # The first request loads the URLconf: answer it before timing anything.
            get(port, "/", timeout=120)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"{target} did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def long_text(seed: int, chars: int) -> str:
    # Words that name no model, so that no answer is withheld as a leak.
    rng = random.Random(seed)
    words = ["alpha", "bravo", "delta", "echo", "kilo", "lima", "oscar", "tango", "zulu"]
    out, size = [], 0
    while size < chars:
        word = rng.choice(words) + str(rng.randrange(1000))
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


@pytest.fixture
def big_export(settings, bob):
    """Twelve voted battles whose answers are 250 KB each: an export of several MB,
    more than the socket buffers hold. Returns the key, a voter and its session."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from datafi.accounts import services as account_services
    from evals import services
    from ratings.services import leaderboard_refresh
    from tests.conftest import build_arena
    from tests.provider.helpers import make_key

    settings.QUALITY_DEFENCES = False  # scripted voters, voting instantly
    arena = build_arena(prompts=4)
    for prompt in arena["prompts"]:
        for j, model in enumerate(arena["models"]):
            services.answer_upsert(
                prompt=prompt, model=model, text=long_text(prompt.pk * 10 + j, 250_000)
            )
    org = arena["orgs"]["zephyrine-labs"]
    account_services.membership_add(organization=org, user=bob, role="owner")
    rng = random.Random(7)
    voters = [
        account_services.user_create(username=f"voter{i}", password="x" * 20) for i in range(4)
    ]
    for n in range(12):
        voter = voters[n % len(voters)]
        battle = services.battle_serve(user=voter, rng=rng)
        fold.vote_cast(user=voter, battle_id=battle.id, choice=rng.choice(["model_a", "tie"]))
    leaderboard_refresh()

    store = SessionStore()
    store[SESSION_KEY] = str(voters[0].pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = voters[0].get_session_auth_hash()
    store.create()
    return {"key": make_key(org, user=bob), "session": store.session_key, "voter": voters[0]}


def stalled_export(port: int, key: str) -> socket.socket:
    """Ask for the export, read its first bytes, then stop reading."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        b"GET /api/v1/datasets/export?format=arena-jsonl HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer "
        + key.encode()
        + b"\r\n\r\n"
    )
    head = sock.recv(1024)
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def get(port, path, headers=None, method="GET", body=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_a_stalled_export_reader_cannot_change_another_requests_answer(big_export, client):
    # One data set for every server: building it is the slow part.
    expected_board = client.get("/api/v1/leaderboard").json()
    for target, variables in SERVERS.items():
        check_isolation(target, variables, big_export, expected_board)


def check_isolation(target, variables, big_export, expected_board):
    from evals.models import Vote

    port = _free_port()
    server = start_server(target, port, **variables)
    stalled = None
    try:
        stalled = stalled_export(port, big_export["key"])
        time.sleep(1.5)  # the server has filled the socket and waits on the reader
        for _ in range(5):
            status, body = get(port, "/api/v1/leaderboard")
            assert status == 200, (target, body[:500])
            assert json.loads(body) == expected_board, target

        # A write on the same worker: serve a battle, vote on it.
        cookie = f"sessionid={big_export['session']}; csrftoken={'c' * 32}"
        status, body = get(
            port, "/api/arena/next", {"Cookie": cookie, "Accept": "application/json"}
        )
        assert status == 200, (target, body[:500])
        served = json.loads(body)
        status, body = get(
            port,
            served["vote_url"],
            {
                "Cookie": cookie,
                "X-CSRFToken": "c" * 32,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
            method="POST",
            body=json.dumps({"choice": "tie"}),
        )
        assert status == 200, (target, body[:500])
        vote = Vote.objects.get(battle_id=served["id"])
        assert (vote.choice, vote.battle.voter_id) == ("tie", big_export["voter"].pk)

        # The stalled download itself was sent in full to a reader that resumes.
        stalled.settimeout(30)
        data = b""
        while chunk := stalled.recv(1 << 20):
            data += chunk
        assert len(data) > 4_000_000, (target, len(data))
    finally:
        if stalled is not None:
            stalled.close()
        stop_server(server)


def test_make_runs_server_folds_votes_in_the_background(settings):
    # make run's one process carries the background passes around Django's
    # ASGI handler (datafi.background): a deferred vote is folded without any
    # worker beside it.
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from datafi.accounts import services as account_services
    from evals.models import Vote
    from tests.conftest import build_arena

    build_arena(prompts=4)
    voter = account_services.user_create(username="bgvoter", password="x" * 20)
    store = SessionStore()
    store[SESSION_KEY] = str(voter.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = voter.get_session_auth_hash()
    store.create()
    port = _free_port()
    server = start_server(
        "serve",
        port,
        env={"VOTE_FOLD": "deferred", "VOTE_FOLD_IN_PROCESS": "1", "VOTE_FOLD_SECONDS": "0.2"},
    )
    try:
        cookie = f"sessionid={store.session_key}; csrftoken={'c' * 32}"
        headers = {"Cookie": cookie, "Accept": "application/json"}
        status, body = get(port, "/api/arena/next", headers)
        assert status == 200, body[:300]
        served = json.loads(body)
        headers.update({"X-CSRFToken": "c" * 32, "Content-Type": "application/json"})
        body = json.dumps({"choice": "model_a"})
        status, _ = get(port, served["vote_url"], headers, method="POST", body=body)
        assert status == 200
        deadline = time.time() + 60
        while Vote.objects.get(battle_id=served["id"]).folded_at is None:
            assert time.time() < deadline, "the vote was never folded"
            time.sleep(0.2)
    finally:
        stop_server(server)


def _requests_counted(text: str, view: str) -> float:
    """django-prometheus's count of GET requests to ``view`` in a /metrics page."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith("django_http_requests_total_by_view_transport_method_total{") and (
            f'view="{view}"' in line and 'method="GET"' in line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_every_gunicorn_worker_whichever_one_answers(tmp_path):
    # Two workers: a scrape reaches one of them, and must report the requests
    # both served (per-process counters would each show about half).
    port = _free_port()
    server = start_server(
        "serve-http",
        port,
        env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")},
        HTTP_WORKERS="2",
        HTTP_THREADS="2",
    )
    try:
        for _ in range(40):  # new connections: gunicorn spreads them over its workers
            status, _ = get(port, "/healthz")
            assert status in (200, 503)
        seen = set()
        for _ in range(8):
            status, body = get(port, "/metrics")
            assert status == 200
            seen.add(_requests_counted(body.decode(), "healthz"))
        assert seen == {40.0}
    finally:
        stop_server(server)
