"""gunicorn's settings for datafi's HTTP workers (`make serve-http`, the topology's `web`).

Prometheus in multiprocess mode: each worker writes its request metrics to files
in PROMETHEUS_MULTIPROC_DIR, and /metrics adds them up across the workers, so a
scrape that reaches any one worker reports the whole server (per-process
counters would each show a fraction). The directory is this master's own (a
fresh temporary one unless the environment names one); it is emptied at start,
a dead worker's live gauges are dropped, and a temporary one is removed at exit.
"""

import os
import shutil
import tempfile

_own_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _own_dir:
    # Set before the workers fork and import the app: prometheus_client reads it then.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="datafi-prometheus-")


def on_starting(server):
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(path, ignore_errors=True)  # counters of an earlier run would add up
    os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
