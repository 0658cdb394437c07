"""How each kind of process holds its PostgreSQL connections (settings.DB_CONNECTIONS).

gunicorn's WSGI workers (datafi/wsgi.py) keep one persistent connection per
thread; every other process (the ASGI servers, the workers, manage.py) uses
psycopg's pool unless the environment says otherwise. The settings are read in
a fresh interpreter per case, as each process reads them at start.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import json, os, sys
if sys.argv[1] == "wsgi":
    import datafi.wsgi
else:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
    import django
    django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"max_age": db["CONN_MAX_AGE"], "pool": "pool" in db.get("OPTIONS", {})}))
"""


def _probe(entry: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DB_CONNECTIONS", "DB_POOL_MAX")}
    environ.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/datafi_unused", **env)
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-c", _PROBE, entry],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _held(entry: str, **env) -> dict:
    done = _probe(entry, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_gunicorns_wsgi_workers_keep_a_connection_per_thread():
    assert _held("wsgi") == {"max_age": 60, "pool": False}


def test_other_processes_use_the_pool():
    assert _held("settings") == {"max_age": 0, "pool": True}


def test_the_environment_can_give_the_wsgi_workers_the_pool():
    assert _held("wsgi", DB_CONNECTIONS="pool") == {"max_age": 0, "pool": True}
    # DB_POOL_MAX=0 still turns the pool off everywhere.
    assert _held("settings", DB_POOL_MAX="0") == {"max_age": 60, "pool": False}


def test_an_unknown_choice_is_refused_in_words():
    done = _probe("settings", DB_CONNECTIONS="pooled")
    assert done.returncode != 0
    assert "DB_CONNECTIONS must be pool or thread, not 'pooled'" in done.stderr


@pytest.mark.parametrize("entry", ["wsgi", "settings"])
def test_sqlite_is_unaffected(entry):
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, entry],
        cwd=ROOT,
        env={
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DB_CONNECTIONS")
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["pool"] is False
