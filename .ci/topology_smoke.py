"""CI smoke test of the production topology (deploy/, `make topology`), driven through nginx.

    .venv/bin/python .ci/topology_smoke.py

Starts the topology with deploy/topology.py (the script `make topology` runs) on
ports of its own, a fresh database, a fresh Redis database and its own anvil, then:

1. signs up, votes, and sees the leaderboard update over the websocket
   (/ws/leaderboard/, the ratings worker's snapshot frame);
2. links a wallet (Sign-In With Ethereum), redeems its points and claims them
   gasless: the rewards worker publishes the epoch on anvil and the ledger
   settles when the Claimed event is seen;
3. casts a burst of votes from several voters while it SIGKILLs one gunicorn
   HTTP worker and one fold worker; once supervisor (and gunicorn's master) have
   restarted them, every vote whose request got a 2xx must be folded and
   credited exactly once (one ledger transaction ``vote:<battle id>``, one
   counted outcome), and the pair counts must add up to the counted outcomes.

It stops everything it started, even on failure (the topology's whole process
group), and exits non-zero on any failure, printing the topology's logs' tail.

Settings: TOPOLOGY_SMOKE_PORT (nginx; the web, ws and anvil ports follow it),
TOPOLOGY_SMOKE_DATABASE_URL, TOPOLOGY_SMOKE_REDIS_URL.
"""

import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import redis
from eth_account import Account
from eth_account.messages import encode_defunct
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("TOPOLOGY_SMOKE_PORT", "28080"))
DATABASE_URL = os.environ.get(
    "TOPOLOGY_SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datafi_topology_smoke"
)
REDIS_URL = os.environ.get("TOPOLOGY_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/14")
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "a long smoke-test password 42"
BURST_VOTERS = 6
BURST_VOTES_EACH = 12


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


class Failed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def wait_until(predicate, what: str, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- the topology --------------------------------------------------------------------


class Topology:
    def __init__(self):
        self.run_dir = Path(tempfile.mkdtemp(prefix="datafi-topology-"))
        self.proc: subprocess.Popen | None = None
        self.out = self.run_dir / "stdout.log"
        self.err = self.run_dir / "stderr.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "TOPOLOGY_RUN_DIR": str(self.run_dir),
            "PROXY_PORT": str(PORT),
            "WEB_PORT": str(PORT + 1),
            "WS_PORT": str(PORT + 2),
            "CHAIN_RPC_URL": f"http://127.0.0.1:{PORT + 3}",
            "DATABASE_URL": DATABASE_URL,
            "REDIS_URL": REDIS_URL,
            "FOLD_WORKERS": "2",
            "REWARDS_INTERVAL": "1",
            "RATINGS_REFRESH_SECONDS": "1",
            "RATINGS_BOOTSTRAP_ROUNDS": "50",
            "RATINGS_STYLE_ROUNDS": "10",
            # All the smoke test's voters share one address and vote at machine
            # speed: the per-address limits and the reading-speed rules would
            # (rightly) stop them. This test is about the processes, not quality.
            "THROTTLE_SIGNUP": "0/1m",
            "QUALITY_VOTES_PER_MINUTE_IP": "0",
            "QUALITY_VOTES_PER_DAY_IP": "0",
            "QUALITY_VOTES_PER_MINUTE_USER": "0",
            "QUALITY_DEFENCES": "0",
        }

    def prepare(self) -> None:
        url = urlsplit(DATABASE_URL)
        name = url.path.lstrip("/")
        check(re.fullmatch(r"\w+", name) is not None, f"odd database name {name!r}")
        with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(REDIS_URL).flushdb()
        for port in range(PORT, PORT + 4):
            check(not _port_open(port), f"port {port} is in use: set TOPOLOGY_SMOKE_PORT")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "deploy" / "topology.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.out.open("wb"),
            stderr=self.err.open("wb"),
            start_new_session=True,  # its own process group: stop() can end all of it
        )
        wait_until(
            lambda: "datafi is serving" in self.err.read_text() or self.proc.poll() is not None,
            "the topology to come up",
            timeout=600,
            interval=1,
        )
        check(self.proc.poll() is None, "the topology exited while starting")

    def ctl(self, *args: str) -> str:
        return subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "supervisorctl"),
                "-c",
                str(self.run_dir / "supervisord.conf"),
                *args,
            ],
            capture_output=True,
            text=True,
        ).stdout

    def pid(self, name: str) -> int:
        return int(self.ctl("pid", name).strip())

    def program_pids(self) -> list[int]:
        pids = []
        for line in self.ctl("pid", "all").split():
            with contextlib.suppress(ValueError):
                pids.append(int(line))
        return [p for p in pids if p > 0]

    def stop(self) -> None:
        if self.proc is None:
            return
        # Supervisor puts each program in a process group of its own: noted now,
        # so that whatever outlives a failed stop can still be ended.
        programs = self.program_pids() if self.proc.poll() is None else []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                say("the topology did not stop in 60 s: killing its process group")
        for group in [self.proc.pid, *programs]:  # anything left of this run
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        self.proc.wait()
        left = [p for p in range(PORT, PORT + 4) if _port_open(p)]
        if left:
            raise Failed(f"ports still open after stopping: {left}")

    def logs_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.err, self.out, *sorted((self.run_dir / "logs").glob("*.log"))):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts)


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


# --- a voter, through nginx ---------------------------------------------------------


class Voter:
    def __init__(self, name: str):
        self.name = name
        self.client = httpx.Client(base_url=BASE, timeout=30, follow_redirects=False)
        page = self.client.get("/accounts/signup/")
        check(page.status_code == 200, f"signup page: {page.status_code}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = self.client.post(
            "/accounts/signup/",
            data={
                "csrfmiddlewaretoken": token,
                "username": name,
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        check(response.status_code == 302, f"signup of {name}: {response.status_code}")

    @property
    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "X-CSRFToken": self.client.cookies["csrftoken"]}

    def vote(self) -> tuple[str | None, int]:
        """Serve a battle and vote on it: (battle id, the vote's status)."""
        served = self.client.get("/api/arena/next", headers={"Accept": "application/json"})
        if served.status_code != 200:
            return None, served.status_code
        vote_url = served.json()["vote_url"]
        battle_id = re.search(r"/battles/([0-9a-f-]{36})/", vote_url).group(1)
        response = self.client.post(
            vote_url,
            json={"choice": random.choice(["model_a", "model_b", "tie"])},
            headers=self.headers,
        )
        return battle_id, response.status_code

    def get(self, path: str) -> dict:
        response = self.client.get(path, headers={"Accept": "application/json"})
        check(response.status_code == 200, f"GET {path}: {response.status_code}")
        return response.json()

    def post(self, path: str, body: dict, headers: dict | None = None) -> httpx.Response:
        return self.client.post(path, json=body, headers={**self.headers, **(headers or {})})


# --- the checks ----------------------------------------------------------------------


def static_files() -> None:
    page = httpx.get(f"{BASE}/accounts/login/", timeout=30)
    check(page.status_code == 200, f"login page: {page.status_code}")
    paths = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)))
    check(paths, "the login page links no static file")
    for path in paths:
        response = httpx.get(f"{BASE}{path}", timeout=30)
        check(response.status_code == 200, f"GET {path}: {response.status_code}")
        # nginx's own answer (its "expires 1h" on the STATIC_ROOT alias), not
        # WhiteNoise's from a web worker behind it.
        cache = ", ".join(response.headers.get_list("cache-control"))
        check("max-age=3600" in cache, f"{path} was not served by nginx ({cache!r})")
    say(f"nginx serves the static files ({len(paths)} on the login page)")


def first_flow() -> None:
    static_files()
    say("sign up, vote, and see the leaderboard update over the websocket")
    voter = Voter(f"smoke-{uuid.uuid4().hex[:8]}")
    with ws_connect(
        f"ws://127.0.0.1:{PORT}/ws/leaderboard/",
        additional_headers={"Origin": BASE},
        open_timeout=10,
    ) as ws:
        for _ in range(3):
            battle_id, status = voter.vote()
            check(status == 200, f"vote on {battle_id}: {status}")
        deadline = time.monotonic() + 90
        while True:
            remaining = deadline - time.monotonic()
            check(remaining > 0, "no leaderboard frame within 90 s of the votes")
            try:
                frame = json.loads(ws.recv(timeout=remaining))
            except TimeoutError:
                continue
            if frame.get("type") == "snapshot" and frame.get("vote_count", 0) >= 3:
                say(
                    f"leaderboard frame: {frame['category']}/{frame['language']}, "
                    f"{frame['vote_count']} votes"
                )
                break

    say("link a wallet, redeem, claim on anvil")
    summary = wait_until(
        lambda: (s := voter.get("/api/rewards/summary"))["balance"]["available"] >= 10 and s,
        "the votes' points",
        timeout=60,
    )
    account = Account.create()
    challenge = voter.post("/api/wallet/nonce", {"address": account.address})
    check(challenge.status_code == 201, f"wallet nonce: {challenge.status_code} {challenge.text}")
    message = challenge.json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), account.key).signature.hex()
    linked = voter.post(
        "/api/wallet/link",
        {"message": message, "signature": "0x" + signature.removeprefix("0x")},
    )
    check(linked.status_code == 200, f"wallet link: {linked.status_code} {linked.text}")
    points = summary["balance"]["available"]
    redeemed = voter.post(
        "/api/rewards/redemptions", {"points": points}, {"Idempotency-Key": str(uuid.uuid4())}
    )
    check(redeemed.status_code == 201, f"redeem: {redeemed.status_code} {redeemed.text}")
    redemption_id = redeemed.json()["redemption"]["id"]

    def status() -> str:
        for r in voter.get("/api/rewards/summary")["redemptions"]:
            if r["id"] == redemption_id:
                return r["status"]
        return ""

    wait_until(lambda: status() == "claimable", "the epoch's publication on anvil", timeout=120)
    claimed = voter.post("/api/rewards/claim", {})
    check(claimed.status_code == 202, f"claim: {claimed.status_code} {claimed.text}")
    wait_until(lambda: status() == "settled", "the claim's settlement", timeout=120)
    say(f"redeemed {points} points to {account.address}: settled on chain")


def burst_with_kills(topology: Topology) -> None:
    say(f"a burst of votes from {BURST_VOTERS} voters; SIGKILL an HTTP worker and a fold worker")
    voters = [Voter(f"burst-{uuid.uuid4().hex[:8]}") for _ in range(BURST_VOTERS)]
    committed: list[str] = []
    failed: list[int] = []
    lock = threading.Lock()

    def run(voter: Voter) -> None:
        for _ in range(BURST_VOTES_EACH):
            try:
                battle_id, status = voter.vote()
            except httpx.HTTPError as exc:
                battle_id, status = None, repr(exc)
            with lock:
                if battle_id and 200 <= status < 300:
                    committed.append(battle_id)
                else:
                    failed.append(status)

    web_master = topology.pid("web")
    web_workers = _children(web_master)
    fold_pid = topology.pid("fold:fold_00")
    check(len(web_workers) >= 2, f"gunicorn has {len(web_workers)} workers")
    check(fold_pid > 0, "no fold worker pid")
    threads = [threading.Thread(target=run, args=(v,)) for v in voters]
    for t in threads:
        t.start()
    wait_until(lambda: len(committed) >= 10, "the burst's first votes", timeout=60, interval=0.05)
    os.kill(web_workers[0], signal.SIGKILL)
    os.kill(fold_pid, signal.SIGKILL)
    say(f"killed gunicorn worker {web_workers[0]} and fold worker {fold_pid}")
    for t in threads:
        t.join()
    say(f"{len(committed)} votes got a 2xx, {len(failed)} did not: {failed[:10]}")
    check(len(committed) >= BURST_VOTERS * BURST_VOTES_EACH // 2, "too few votes got through")

    def restarted() -> bool:
        try:
            fold_now = topology.pid("fold:fold_00")
        except ValueError:
            return False
        workers = _children(web_master)
        return (
            fold_now not in (0, fold_pid)
            and web_workers[0] not in workers
            and len(workers) == len(web_workers)
        )

    wait_until(restarted, "supervisor and gunicorn to restart the killed workers", timeout=60)
    say("the killed workers were restarted: " + topology.ctl("status").replace("\n", "; "))

    with psycopg.connect(DATABASE_URL) as conn:
        unfolded = "SELECT count(*) FROM evals_vote WHERE folded_at IS NULL"
        wait_until(
            lambda: conn.execute(unfolded).fetchone()[0] == 0,
            "the fold backlog to drain",
            timeout=90,
        )
        rows = conn.execute(
            """
            SELECT b.id::text, v.folded_at IS NOT NULL, b.excluded,
                   (SELECT count(*) FROM rewards_transaction t
                     WHERE t.source_key = 'vote:' || b.id::text),
                   (SELECT count(*) FROM ratings_battleoutcome o WHERE o.battle_id = b.id)
            FROM evals_battle b LEFT JOIN evals_vote v ON v.battle_id = b.id
            WHERE b.id = ANY(%s::uuid[])
            """,
            [committed],
        ).fetchall()
        check(len(rows) == len(set(committed)), "a vote that got a 2xx has no battle")
        for battle_id, folded, excluded, credits, outcomes in rows:
            check(folded, f"vote on {battle_id} got a 2xx but was never folded")
            check(credits == 1, f"vote on {battle_id} was credited {credits} times")
            check(outcomes == (0 if excluded else 1), f"vote on {battle_id}: {outcomes} outcomes")
        counted = conn.execute("SELECT count(*) FROM ratings_battleoutcome").fetchone()[0]
        pairs = conn.execute(
            "SELECT coalesce(sum(wins_lo + wins_hi + ties + both_bad), 0) FROM ratings_paircount"
        ).fetchone()[0]
        check(pairs == counted, f"pair counts hold {pairs} votes, the outcomes {counted}")
        unbalanced = conn.execute(
            """SELECT count(*) FROM (SELECT transaction_id FROM rewards_entry
               GROUP BY transaction_id HAVING sum(amount) <> 0) AS t"""
        ).fetchone()[0]
        check(unbalanced == 0, f"{unbalanced} ledger transactions do not sum to zero")
    say(f"all {len(committed)} committed votes folded and credited exactly once")


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return sorted(children)


def logs_are_json(topology: Topology) -> None:
    lines = [line for line in topology.out.read_text().splitlines() if line.strip()]
    bad = []
    loggers = set()
    for line in lines:
        try:
            record = json.loads(line)
            check({"time", "level", "logger", "message"} <= set(record), f"keys: {line}")
            loggers.add(record["logger"].split(".")[0])
        except (ValueError, Failed):
            bad.append(line)
    check(not bad, f"{len(bad)} of {len(lines)} log lines are not JSON records, e.g. {bad[:3]}")
    check({"nginx", "gunicorn", "uvicorn", "datafi"} <= loggers, f"loggers seen: {loggers}")
    say(f"{len(lines)} log lines, all JSON, from {sorted(loggers)}")


def _interrupted(signum, frame):
    # A CI timeout's SIGTERM still runs the finally that stops the topology.
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    if not shutil.which("nginx") and os.geteuid() != 0:
        say("nginx is missing and this is not root: apt-get install -y nginx")
        return 1
    topology = Topology()
    started = time.monotonic()
    ok = False
    try:
        topology.prepare()
        say(f"starting the topology in {topology.run_dir} (nginx on {BASE})")
        topology.start()
        say(f"up after {time.monotonic() - started:.0f} s")
        first_flow()
        burst_with_kills(topology)
        logs_are_json(topology)
        ok = True
    except Failed as exc:
        say(f"FAILED: {exc}")
    finally:
        try:
            topology.stop()
        except Failed as exc:
            say(f"FAILED: {exc}")
            ok = False
        if not ok:
            print(topology.logs_tail(), flush=True)
    say(f"{'passed' if ok else 'failed'} in {time.monotonic() - started:.0f} s")
    if ok:
        shutil.rmtree(topology.run_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
