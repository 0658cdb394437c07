#!/usr/bin/env python3
"""Start datafi's whole production topology on this machine, under supervisor.

    .venv/bin/python deploy/topology.py [--env FILE]       # what `make topology` runs
    .venv/bin/python deploy/topology.py --only web,ws --no-release   # one host's share

1. The environment: deploy/env.example, copied once to $TOPOLOGY_RUN_DIR/local.env
   with fresh random SECRET_KEY and MODEL_KEY_ENCRYPTION_KEY (or --env FILE);
   variables already set in the environment win over the file.
2. The shared services, each only if nothing answers on its port: PostgreSQL
   (a cluster in the run dir), Redis and anvil (from node_modules), run by supervisor.
3. The release step, once: create the database if missing, migrate,
   collectstatic, the demo data (TOPOLOGY_DEMO=1), `check --deploy`.
4. The process types of deploy/Procfile (nginx, web, ws, fold, ratings, rewards, market)
   under the same supervisor, which restarts any that dies; then waits until
   /healthz answers through nginx.

Every process writes JSON lines (datafi/logs.py) to this script's stdout;
supervisor's own log and the services' logs are in $TOPOLOGY_RUN_DIR/logs.
Ctrl-C (or SIGTERM) stops everything it started.
"""

import argparse
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
VENV_BIN = ROOT / ".venv" / "bin"
# Procfile types that run as several supervisor processes (each its own OS process).
COUNTS = {"fold": "FOLD_WORKERS", "ratings": "RATINGS_WORKERS", "rewards": "REWARDS_WORKERS"}


def say(message: str) -> None:
    print(f"topology: {message}", file=sys.stderr, flush=True)


# --- environment -------------------------------------------------------------------


def parse_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def generated_env_file(path: Path) -> None:
    """Write the example environment with real random keys, once."""
    from cryptography.fernet import Fernet

    fresh = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "MODEL_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    lines = []
    for line in (DEPLOY / "env.example").read_text().splitlines():
        key = line.split("=", 1)[0]
        if "=" in line and key in fresh and not line.split("=", 1)[1].strip():
            line = f"{key}={fresh[key]}"
        lines.append(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    say(f"wrote {path} with new random keys (keep it: sessions and encrypted keys depend on it)")


def load_environment(env_file: Path | None) -> dict[str, str]:
    if env_file is None:
        run_dir = Path(os.environ.get("TOPOLOGY_RUN_DIR") or ROOT / "var" / "topology")
        env_file = (ROOT / run_dir if not run_dir.is_absolute() else run_dir) / "local.env"
        if not env_file.exists():
            generated_env_file(env_file)
    merged = {**parse_env_file(env_file), **os.environ}
    # ${NAME} refers to another variable; a few passes resolve references in any order.
    for _ in range(5):
        for key, value in merged.items():
            merged[key] = re.sub(
                r"\$\{(\w+)\}", lambda m: merged.get(m.group(1), m.group(0)), value
            )
    run_dir = Path(merged["TOPOLOGY_RUN_DIR"])
    merged["TOPOLOGY_RUN_DIR"] = str(run_dir if run_dir.is_absolute() else ROOT / run_dir)
    static = Path(merged.get("STATIC_ROOT") or ROOT / "staticfiles")
    merged["STATIC_ROOT"] = str(static if static.is_absolute() else ROOT / static)
    return merged


# --- services ------------------------------------------------------------------------


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise SystemExit(f"topology: {what} did not answer on {host}:{port}")
        time.sleep(0.2)


def _pg_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if found:
        return found[-1].parent
    postgres = shutil.which("postgres")
    if postgres:
        return Path(postgres).parent
    raise SystemExit("topology: PostgreSQL is not installed (apt-get install -y postgresql)")


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def service_programs(env: dict[str, str]) -> dict[str, dict]:
    """Supervisor programs for the shared services that are not already running."""
    run = Path(env["TOPOLOGY_RUN_DIR"])
    programs = {}
    db = urlsplit(env["DATABASE_URL"])
    if db.scheme.startswith("postgres") and (db.hostname or "") in ("127.0.0.1", "localhost"):
        port = db.port or 5432
        if not port_open("127.0.0.1", port):
            bindir = _pg_bindir()
            data = run / "pgdata"
            if not (data / "PG_VERSION").exists():
                data.mkdir(parents=True, exist_ok=True)
                if os.geteuid() == 0:
                    shutil.chown(data, "postgres", "postgres")
                subprocess.run(
                    _as_postgres(
                        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
                    ),
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            programs["postgres"] = {
                "command": f"{bindir / 'postgres'} -D {data} -p {port} "
                f"-c listen_addresses=127.0.0.1 -k {data}",
                "user": "postgres" if os.geteuid() == 0 else None,
                "port": port,
            }
    redis = urlsplit(env["REDIS_URL"])
    if (redis.hostname or "") in ("127.0.0.1", "localhost") and not port_open(
        "127.0.0.1", redis.port or 6379
    ):
        redis_server = shutil.which("redis-server")
        if not redis_server:
            raise SystemExit("topology: redis-server is not installed (apt-get install -y redis)")
        programs["redis"] = {
            "command": f"{redis_server} --bind 127.0.0.1 --port {redis.port or 6379} "
            f"--dir {run} --save '' --appendonly no",
            "port": redis.port or 6379,
        }
    chain = urlsplit(env["CHAIN_RPC_URL"])
    if (chain.hostname or "") in ("127.0.0.1", "localhost") and not port_open(
        "127.0.0.1", chain.port or 8545
    ):
        native = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
        if not native.exists() and not (ROOT / "node_modules" / ".bin" / "anvil").exists():
            say("installing the node packages (anvil)")
            subprocess.run(
                ["npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=ROOT,
                check=True,
            )
        binary = native if native.exists() else ROOT / "node_modules" / ".bin" / "anvil"
        # --state: the chain survives a restart, as the database's record of it does.
        programs["anvil"] = {
            "command": f"{binary} --host 127.0.0.1 --port {chain.port or 8545} "
            f"--state {run / 'anvil-state.json'}",
            "port": chain.port or 8545,
        }
    return programs


def ensure_nginx() -> str:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if nginx:
        return nginx
    if os.geteuid() != 0:
        raise SystemExit("topology: nginx is missing: sudo apt-get install -y nginx")
    say("installing Debian's nginx")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env)
    return shutil.which("nginx") or "/usr/sbin/nginx"


# --- configuration files ---------------------------------------------------------------


def procfile() -> dict[str, str]:
    types = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            types[name.strip()] = command.strip()
    return types


def render_nginx(env: dict[str, str]) -> Path:
    run = Path(env["TOPOLOGY_RUN_DIR"])
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / "nginx" / sub).mkdir(parents=True, exist_ok=True)

    def servers(name: str) -> str:
        return " ".join(f"server {u.strip()};" for u in env[name].split(",") if u.strip())

    values = {
        "NGINX_USER": pwd.getpwuid(os.geteuid()).pw_name,
        **env,
        "WEB_SERVERS": servers("WEB_UPSTREAMS"),
        "WS_SERVERS": servers("WS_UPSTREAMS"),
    }
    text = (DEPLOY / "nginx.conf.template").read_text()
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)
    path = run / "nginx.conf"
    path.write_text(text)
    return path


def supervisor_conf(
    env: dict[str, str], services: dict[str, dict], nginx: str, types: list[str]
) -> Path:
    run = Path(env["TOPOLOGY_RUN_DIR"])
    logs = run / "logs"
    lines = [
        "; Generated by deploy/topology.py from deploy/Procfile: edit those, not this.",
        "[unix_http_server]",
        f"file={run / 'supervisor.sock'}",
        "[supervisord]",
        "nodaemon=true",
        # Its own log goes to the file only: stdout carries the programs' JSON lines.
        "silent=true",
        f"logfile={logs / 'supervisord.log'}",
        f"pidfile={run / 'supervisord.pid'}",
        f"childlogdir={logs}",
        *(["user=root"] if os.geteuid() == 0 else []),
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "[supervisorctl]",
        f"serverurl=unix://{run / 'supervisor.sock'}",
    ]
    for name, service in services.items():
        lines += [
            f"[program:{name}]",
            f"command={service['command']}",
            "autostart=true",
            "autorestart=true",
            "priority=10",
            "stopwaitsecs=20",
            f"stdout_logfile={logs / (name + '.log')}",
            "redirect_stderr=true",
        ]
        if service.get("user"):
            lines.append(f"user={service['user']}")
        if name == "postgres":
            # SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client.
            lines.append("stopsignal=INT")
    for name, command in procfile().items():
        if name not in types:
            continue
        if name == "proxy":
            command = command.replace("nginx ", f"{nginx} ", 1)
        count = int(env.get(COUNTS.get(name, ""), "1") or 1)
        lines += [
            f"[program:{name}]",
            # exec: supervisor's signals (and a SIGKILL by pid) reach the process itself.
            f'command=/bin/sh -c "exec {command.replace("%", "%%")}"',
            f"directory={ROOT}",
            "autostart=false",
            "autorestart=true",
            "startsecs=1",
            "startretries=10",
            "stopasgroup=true",
            "killasgroup=true",
            "stopwaitsecs=15",
            # One stream of JSON lines: every program writes to supervisord's stdout.
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
            "redirect_stderr=true",
        ]
        if count > 1:
            lines += [f"numprocs={count}", "process_name=%(program_name)s_%(process_num)02d"]
    path = run / "supervisord.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the release step ----------------------------------------------------------------


def create_database(env: dict[str, str]) -> None:
    import psycopg

    url = urlsplit(env["DATABASE_URL"])
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        say(f"creating database {name}")
        conn.execute(f'CREATE DATABASE "{name}"')


def release(env: dict[str, str]) -> None:
    if urlsplit(env["DATABASE_URL"]).scheme.startswith("postgres"):
        create_database(env)
    manage = [str(VENV_BIN / "python"), "manage.py"]
    steps = [["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]]
    if env.get("TOPOLOGY_DEMO", "0") in ("1", "true", "yes"):
        steps.append(["load_demo"])
    steps.append(["check", "--deploy", "--fail-level", "ERROR"])
    for step in steps:
        say("release: manage.py " + " ".join(step))
        # Its output is for the operator, not the JSON log stream on stdout.
        subprocess.run([*manage, *step], cwd=ROOT, env=env, check=True, stdout=sys.stderr)


# --- main ----------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", type=Path, help="environment file (default: the run dir's)")
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="skip the release step (migrate, collectstatic, demo, checks): it ran already",
    )
    parser.add_argument(
        "--only",
        help="comma-separated Procfile types to run on this host (default: all), "
        "e.g. web,ws on an app host, fold,ratings,rewards,market on a worker host",
    )
    args = parser.parse_args()
    types = list(procfile())
    if args.only:
        unknown = set(args.only.split(",")) - set(types)
        if unknown:
            parser.error(f"no such process type: {', '.join(sorted(unknown))}")
        types = [t for t in types if t in args.only.split(",")]

    env = load_environment(args.env)
    run = Path(env["TOPOLOGY_RUN_DIR"])
    (run / "logs").mkdir(parents=True, exist_ok=True)
    nginx = ensure_nginx() if "proxy" in types else "nginx"
    services = service_programs(env)
    conf = supervisor_conf(env, services, nginx, types)
    ctl = [str(VENV_BIN / "supervisorctl"), "-c", str(conf)]

    os.environ.clear()
    os.environ.update(env)
    supervisord = subprocess.Popen([str(VENV_BIN / "supervisord"), "-c", str(conf)], cwd=ROOT)
    stopping = []

    def stop(*_):
        if not stopping:
            stopping.append(1)
            say("stopping")
            if supervisord.poll() is None:
                supervisord.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        for name, service in services.items():
            say(f"started {name} (nothing answered on port {service['port']})")
            wait_for_port("127.0.0.1", service["port"], name)
        if stopping:
            return 1
        if not args.no_release:
            release(env)
        if "proxy" in types:
            render_nginx(env)
            subprocess.run([nginx, "-t", "-q", "-c", str(run / "nginx.conf")], check=True)
        subprocess.run([*ctl, "start", "all"], check=True, stdout=subprocess.DEVNULL)
        if "proxy" in types:
            url = f"http://{env['PROXY_HOST']}:{env['PROXY_PORT']}"
        elif "web" in types:
            url = f"http://{env['WEB_HOST']}:{env['WEB_PORT']}"
        else:
            say(f"running {', '.join(types)} (Ctrl-C stops everything)")
            return supervisord.wait()
        # Generous: a loaded 2-core machine takes 20 s to import Django's apps.
        deadline = time.monotonic() + 300
        while True:
            try:
                # The URL is our own http://host:port, never a file: URL.
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or supervisord.poll() is not None:
                raise SystemExit(f"topology: {url}/healthz did not answer")
            time.sleep(0.5)
        say(f"datafi is serving on {url}/ (Ctrl-C stops everything)")
        say(f"processes: {' '.join(ctl)} status")
    except (Exception, SystemExit) as exc:
        say(f"failed: {exc}")
        stop()
        supervisord.wait()
        return 1
    return supervisord.wait()


if __name__ == "__main__":
    sys.exit(main())
