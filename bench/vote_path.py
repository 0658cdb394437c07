"""Vote path benchmark: the voter round (serve the next battle + vote) over HTTP.

Serves datafi as a scaled deployment would, on this one machine: N HTTP worker
processes, each on its own port as a proxy in front of them would spread
connections (``--server gunicorn``: the Makefile's ``serve-http``, gunicorn's
threaded workers on Django's WSGI handler; ``--server uvicorn``: Django's ASGI
handler under uvicorn, for comparison), a fresh PostgreSQL database, Redis for
sessions and the cache, votes folded by a separate fold worker
(``VOTE_FOLD=deferred`` + ``manage.py vote_worker``). C client processes each
log in as their own voters and loop: fetch the open battle (GET
/api/arena/next), vote on it (POST /arena/battles/<id>/vote).

Prints voter rounds per second (a round is one serve and one vote), p50/p99
latency of serve and of vote, CPU per round by process (web workers, fold
worker, PostgreSQL, clients), the fold's backlog after each vote phase, how
long the fold worker takes to empty the queue, and a check that every vote was
folded once. Serve and vote phases are timed apart (every client serves, then
every client votes), so each latency is measured on its own.

    .venv/bin/python bench/vote_path.py [--server gunicorn] [--workers 2] [--threads 2]
        [--clients 4] [--rounds 8]
    .venv/bin/python bench/vote_path.py --tiny   # 40 voters, 2 rounds: CI's check that it runs

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/datafi_bench;
the database is dropped and recreated) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/3).
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def recreate_database(url: str):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
    import django

    django.setup()


def prepare(n_users: int) -> list[tuple[str, str]]:
    """Migrate, load the demo (or a synthetic set), make voters with sessions."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from datafi.accounts.models import User

    call_command("migrate", verbosity=0)
    demo = ROOT / "evals" / "demo" / "demo.json"
    if demo.exists():
        call_command("load_demo", verbosity=0)
    else:
        from tests.conftest import build_arena

        build_arena(prompts=150)
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", password="!") for i in range(n_users)]  # unusable password
    )
    cookies = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "datafi.accounts.backends.UserBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append((store.session_key, secrets.token_hex(16)))
    return cookies


def _request(conn, method, path, headers, body=None):
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data, time.perf_counter() - t0


def client_loop(port, sessions, rounds, barrier, out_queue):
    """Rounds of: serve a battle to each of this client's voters, then (after
    every client has served) vote on each. Serving and voting are timed apart
    so that the vote path is measured on its own."""
    # One keep-alive connection per client process, as a proxy keeps to each
    # worker, carrying all of this client's voters.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    choices = ["model_a", "model_b", "tie", "both_bad"]
    vote_lat, serve_lat, errors = [], [], 0
    for r in range(rounds):
        barrier.wait()  # the serve phase starts together
        urls = []
        for session, csrf in sessions:
            headers = {
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
                "Accept": "application/json",
            }
            status, body, dt = _request(conn, "GET", "/api/arena/next", headers)
            serve_lat.append(dt)
            if status != 200:
                errors += 1
                continue
            urls.append((session, csrf, json.loads(body)["vote_url"]))
        barrier.wait()  # everyone has served: the vote phase starts together
        for i, (session, csrf, url) in enumerate(urls):
            headers = {
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
                "Accept": "application/json",
                "Content-Type": "application/json",
                "X-CSRFToken": csrf,
            }
            body = json.dumps({"choice": choices[(r + i) % 4]})
            status, _, dt = _request(conn, "POST", url, headers, body)
            vote_lat.append(dt)
            if status != 200:
                errors += 1
        barrier.wait()  # the vote phase ends when the slowest client is done
    out_queue.put((vote_lat, serve_lat, errors))


def wait_for(port, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def cpu_seconds(pid) -> float:
    """CPU seconds used so far by a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def with_children(pid) -> list[int]:
    """A process and its children (gunicorn's master forks its workers)."""
    out = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return out


def postgres_pids() -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def cpu_by_role(roles: dict[str, list[int]]) -> dict[str, float]:
    return {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in roles.items()}


def unfolded(conn) -> int:
    return conn.execute("SELECT count(*) FROM evals_vote WHERE folded_at IS NULL").fetchone()[0]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", choices=["gunicorn", "uvicorn"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=2, help="gunicorn threads per worker (as make serve-http)"
    )
    # Closed-loop clients: each waits for its answer before the next request.
    # Four keep two workers busy; more only queue longer (same votes/s, higher
    # latency).
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--bot-voters",
        action="store_true",
        help="keep the reading-speed rule: clients are flagged as bots and excluded",
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    )
    parser.add_argument(
        "--database",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datafi_bench"
        ),
    )
    parser.add_argument(
        "--tiny", action="store_true", help="40 voters, 2 rounds, 2 clients: CI's check it runs"
    )
    args = parser.parse_args()
    if args.tiny:
        args.users, args.rounds, args.clients = 40, 2, 2

    recreate_database(args.database)
    setup_django(args.database)
    sessions = prepare(args.users)
    from django.db import connections

    connections.close_all()

    env = dict(
        os.environ,
        DATABASE_URL=args.database,
        LOG_LEVEL="ERROR",
        # Every client here shares 127.0.0.1: the per-IP vote limit would turn a
        # load test into a test of the limiter. Per-user limits stay on.
        QUALITY_VOTES_PER_MINUTE_IP="0",
        QUALITY_VOTES_PER_DAY_IP="0",
        # Leaderboard refits run in their own worker (manage.py ratings_worker) in
        # a scaled deployment; here they would steal the web workers' two cores.
        RATINGS_REFRESH_IN_PROCESS="0",
        # The vote request stores the vote; a fold worker (started below, on
        # the same two cores) folds its consequences in batches.
        VOTE_FOLD="deferred",
        VOTE_FOLD_IN_PROCESS="0",
        REDIS_URL=args.redis,
        CACHE_KEY_PREFIX=f"datafi-bench-{secrets.token_hex(4)}",
    )
    if not args.bot_voters:
        # Scripted clients vote within milliseconds, which the reading-speed rule
        # rightly treats as bots (their votes are then excluded and retracted,
        # a heavier path). Measure an honest vote unless --bot-voters is given.
        env.update(
            QUALITY_MIN_VOTE_MS="0", QUALITY_IMPOSSIBLE_VOTE_MS="0", QUALITY_READ_WPM="1000000000"
        )
    # One server process per worker, each on its own port, and the clients
    # spread over them in turn: what a proxy in front of N workers does.
    # (Workers sharing one socket take connections as they come, and with a
    # few keep-alive connections one worker can end up with most of them.)
    # A client that finishes its phase early idles at the barrier until the
    # slowest is done: keep-alive outlasts that.
    ports = [args.port + i for i in range(args.workers)]
    bin_dir = ROOT / ".venv" / "bin"

    def server_command(port):
        if args.server == "gunicorn":  # as `make serve-http` runs it
            return [
                str(bin_dir / "gunicorn"), "datafi.wsgi:application",
                "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--worker-class", "gthread", "--threads", str(args.threads),
                "--forwarded-allow-ips", "", "--keep-alive", "120", "--log-level", "warning",
            ]  # fmt: skip
        return [
            str(bin_dir / "uvicorn"), "datafi.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers",
            "--no-access-log", "--timeout-keep-alive", "120", "--log-level", "warning",
        ]  # fmt: skip

    servers = [subprocess.Popen(server_command(port), cwd=ROOT, env=env) for port in ports]
    folder = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "vote_worker"],
        cwd=ROOT,
        env=env,
    )
    import psycopg

    db = psycopg.connect(args.database, autocommit=True)
    backlogs = []
    try:
        for port in ports:
            wait_for(port)
        per_client = [sessions[i :: args.clients] for i in range(args.clients)]
        queue = mp.Queue()
        # A timing barrier: the parent records when each vote phase starts and ends.
        barrier = mp.Barrier(args.clients + 1)
        procs = [
            mp.Process(
                target=client_loop,
                args=(ports[i % len(ports)], s, args.rounds + 1, barrier, queue),
            )
            for i, s in enumerate(per_client)
        ]
        for p in procs:
            p.start()
        vote_time = serve_time = 0.0
        # Who spends the CPU (everything shares 2 cores).
        roles = {
            "web workers": [],
            "fold worker": [folder.pid],
            "PostgreSQL": postgres_pids(),
            "clients": [p.pid for p in procs],
        }
        phase_cpu = {phase: dict.fromkeys(roles, 0.0) for phase in ("serve", "vote")}
        for r in range(args.rounds + 1):
            # Backends come and go with the pools; gunicorn's workers are children.
            roles["PostgreSQL"] = postgres_pids()
            roles["web workers"] = [pid for s in servers for pid in with_children(s.pid)]
            barrier.wait()
            t0, cpu0 = time.perf_counter(), cpu_by_role(roles)
            barrier.wait()
            t1, cpu1 = time.perf_counter(), cpu_by_role(roles)
            barrier.wait()
            t2, cpu2 = time.perf_counter(), cpu_by_role(roles)
            if r > 0:  # round 0 warms up every worker and its connections
                serve_time += t1 - t0
                vote_time += t2 - t1
                for role in roles:
                    phase_cpu["serve"][role] += cpu1[role] - cpu0[role]
                    phase_cpu["vote"][role] += cpu2[role] - cpu1[role]
                backlogs.append(unfolded(db))
        t_last = time.perf_counter()
        results = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        while unfolded(db):
            time.sleep(0.01)
        drain = time.perf_counter() - t_last
        cpu = [
            round(sum(cpu_seconds(pid) for pid in with_children(server.pid)), 1)
            for server in servers
        ]
        fold_cpu = cpu_seconds(folder.pid)
        n_votes, n_folded, n_credits = db.execute(
            "SELECT count(*), count(folded_at), "
            "(SELECT count(*) FROM rewards_transaction WHERE source_key LIKE 'vote:%%') "
            "FROM evals_vote"
        ).fetchone()
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        folder.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(timeout=20)
        folder.wait(timeout=20)
        db.close()

    per_round = len(sessions)
    votes = [v for r in results for v in r[0][per_round // args.clients :]]
    serves = [v for r in results for v in r[1][per_round // args.clients :]]
    errors = sum(r[2] for r in results)
    rounds = min(len(votes), len(serves))
    round_time = serve_time + vote_time
    server = (
        f"gunicorn x{args.workers} workers x{args.threads} threads (WSGI)"
        if args.server == "gunicorn"
        else f"uvicorn x{args.workers} workers (Django's ASGI handler)"
    )
    print(
        f"server: {server}, PostgreSQL, Redis, one fold worker; "
        f"clients: {args.clients} processes, {len(sessions)} voters"
    )
    print(
        f"rounds: {rounds} (serve + vote) in {round_time:.1f} s "
        f"(serve phases {serve_time:.1f} s, vote phases {vote_time:.1f} s), errors: {errors}"
    )
    print(f"voter rounds/s: {rounds / round_time:.0f}")
    print(
        f"serve latency p50 {pct(serves, 0.5):.1f} ms  p99 {pct(serves, 0.99):.1f} ms  "
        f"mean {statistics.mean(serves) * 1000:.1f} ms"
    )
    print(
        f"vote latency  p50 {pct(votes, 0.5):.1f} ms  p99 {pct(votes, 0.99):.1f} ms  "
        f"mean {statistics.mean(votes) * 1000:.1f} ms"
    )
    total = {role: phase_cpu["serve"][role] + phase_cpu["vote"][role] for role in phase_cpu["vote"]}
    print(
        f"CPU ms per round: {1000 * sum(total.values()) / rounds:.2f} = "
        + ", ".join(f"{role} {1000 * sec / rounds:.2f}" for role, sec in total.items())
    )
    for phase, n in (("serve", len(serves)), ("vote", len(votes))):
        print(
            f"  CPU ms per {phase}: "
            + ", ".join(f"{role} {1000 * sec / n:.2f}" for role, sec in phase_cpu[phase].items())
        )
    print(f"CPU seconds per worker process (how evenly they shared the load): {cpu}")
    print(
        f"fold: backlog after each vote phase {backlogs}; queue empty {drain:.2f} s after the "
        f"last phase; fold worker CPU {fold_cpu:.1f} s "
        f"({1000 * fold_cpu / max(1, n_folded):.2f} ms per vote)"
    )
    print(
        f"integrity: {n_folded} of {n_votes} votes folded, {n_credits} credited "
        "(once each; a vote earns nothing once its voter is excluded)"
    )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores)")


if __name__ == "__main__":
    main()
