"""Running one function from many threads at once, for the PostgreSQL race tests."""

import threading
import time

from django.db import connection


def run_concurrently(n: int, fn) -> list:
    """Call ``fn(i)`` for i in range(n), all released together by a barrier.

    Returns each call's result, or the exception it raised (for the test to
    assert on). Each thread closes its own database connection.
    """
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # recorded, asserted on by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def in_thread(outcome: dict, name: str, fn) -> threading.Thread:
    """Start ``fn()`` in a thread of its own; its result, or the exception it raised,
    goes to ``outcome[name]`` (for the test to assert on). Returns the started thread."""

    def run():
        try:
            outcome[name] = fn()
        except Exception as exc:  # recorded, asserted on by the caller
            outcome[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def a_backend_waits_on_a_lock(timeout=10.0) -> bool:
    """Whether a session of this test database waits on a row lock within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False
