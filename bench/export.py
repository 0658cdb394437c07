"""Dataset export benchmark: 1 million votes, every format, rows/s and peak memory.

Creates the demo models/prompts/answers and then votes in bulk (COPY on
PostgreSQL, bulk_create on SQLite), first 100,000 then up to 1,000,000, and
after each step exports every format in a fresh subprocess, so that the peak
RSS of each export is its own. The export bytes are counted and discarded
(as if written to /dev/null), so the figures are the export's, not the disk's.

    .venv/bin/python bench/export.py [--votes 1000000] [--sqlite]
    .venv/bin/python bench/export.py --measure-only   # again, on the data already there
    .venv/bin/python bench/export.py --tiny           # 300 votes: CI's check that it runs

PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
datafi_export_bench; the database is dropped and recreated). --sqlite uses a
throwaway SQLite file instead (slower to fill).
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FORMATS = ("arena-jsonl", "kaggle-csv", "dpo-jsonl", "parquet", "arena-jsonl+gzip")


def recreate_database(url: str):
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
    import django

    django.setup()


def prepare(voters: int):
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from datafi.accounts.models import User

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    password = make_password(None)
    User.objects.bulk_create(
        [User(username=f"bench{i}", password=password) for i in range(voters)], batch_size=2000
    )


def insert_rows(model, objs):
    """Insert model instances fast: COPY on PostgreSQL, bulk_create elsewhere.

    COPY writes every concrete column from the instances themselves (field
    defaults included), so a field added to the model later is written too
    instead of failing the bench (a hand-listed column set rotted that way).
    """
    from django.db import connection

    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=5000)
        return
    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            )


def add_votes(n: int, start: datetime, seed: int):
    """n voted battles over the demo answers, spread over time after ``start``."""
    from django.db import connection

    from datafi.accounts.models import User
    from evals.models import Answer, Battle, Vote

    rng = random.Random(seed)
    answers: dict[int, list[tuple[int, int]]] = {}
    for pk, prompt_id, model_id in Answer.objects.values_list("pk", "prompt_id", "model_id"):
        answers.setdefault(prompt_id, []).append((pk, model_id))
    prompts = [p for p, a in answers.items() if len(a) >= 2]
    voters = list(User.objects.filter(username__startswith="bench").values_list("pk", flat=True))
    choices = ["model_a"] * 40 + ["model_b"] * 40 + ["tie"] * 12 + ["both_bad"] * 8

    def rows():
        for i in range(n):
            prompt = rng.choice(prompts)
            (aa, ma), (ab, mb) = rng.sample(answers[prompt], 2)
            served = start + timedelta(seconds=i * 0.5)
            ttv = rng.randint(2000, 90000)
            voted = served + timedelta(milliseconds=ttv)
            yield (uuid.uuid4(), prompt, aa, ab, ma, mb, rng.choice(voters), served, voted, ttv)

    t0 = time.perf_counter()
    battles, votes = [], []
    for bid, p, aa, ab, ma, mb, voter, served, voted, ttv in rows():
        battles.append(
            Battle(
                id=bid,
                mode="stored",
                prompt_id=p,
                answer_a_id=aa,
                answer_b_id=ab,
                model_a_id=ma,
                model_b_id=mb,
                voter_id=voter,
                status="revealed",
                served_at=served,
                voted_at=voted,
                revealed_at=voted,
            )
        )
        votes.append(
            Vote(
                battle_id=bid,
                choice=rng.choice(choices),
                reasons=[],
                time_to_vote_ms=ttv,
                created_at=voted,
                # Already folded: this bench measures exports, not the fold.
                folded_at=voted,
            )
        )
        if len(battles) >= 20000:
            insert_rows(Battle, battles)
            insert_rows(Vote, votes)
            battles, votes = [], []
    insert_rows(Battle, battles)
    insert_rows(Vote, votes)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE evals_battle; ANALYZE evals_vote")
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    """This process's peak RSS. /proc's VmHWM starts afresh at exec; getrusage's
    ru_maxrss would still count the parent's memory copied at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(fmt: str) -> dict:
    """In the subprocess: export every voted battle in ``fmt``, discard the bytes."""
    setup_django()
    from evals.provider import exports

    compression = "none"
    if fmt.endswith("+gzip"):
        fmt, compression = fmt.split("+")[0], "gzip"
    spec = exports.ExportSpec(format=fmt, compression=compression)
    rss_before = peak_rss_mb()
    rows = 0

    def progress(done):
        nonlocal rows
        rows = done

    written = 0
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for piece in exports.export_stream(spec, on_progress=progress):
        written += len(piece)
    elapsed = time.perf_counter() - t0
    return {
        "cpu_seconds": time.process_time() - cpu0,
        "rows": rows,
        "bytes": written,
        "seconds": elapsed,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure(env: dict, label: str, expected_rows: int) -> int:
    print(f"\n{label} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(
        f"{'format':<18}{'rows':>10}{'MB out':>9}{'wall s':>8}{'rows/s':>10}"
        f"{'CPU s':>7}{'rows/CPU-s':>12}{'RSS at start':>14}{'peak RSS':>10}"
    )
    failures = 0
    for fmt in FORMATS:
        out = subprocess.run(
            [sys.executable, __file__, "--run", fmt],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{fmt}: failed\n{out.stderr[-2000:]}")
            failures += 1
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        cpu = r["cpu_seconds"]
        print(
            f"{fmt:<18}{r['rows']:>10,}{r['bytes'] / 1e6:>9.1f}{r['seconds']:>8.1f}"
            f"{r['rows'] / r['seconds']:>10,.0f}{cpu:>7.1f}{r['rows'] / cpu:>12,.0f}"
            f"{r['rss_before_mb']:>11.0f} MB{r['peak_rss_mb']:>7.0f} MB",
            flush=True,
        )
        expected = expected_rows
        if fmt == "dpo-jsonl":  # a DPO pair needs a winner: ties and "both bad" have none
            from evals.models import Vote

            expected = Vote.objects.filter(choice__in=["model_a", "model_b"]).count()
        if r["rows"] != expected:
            print(f"{fmt}: exported {r['rows']:,} rows, expected {expected:,}")
            failures += 1
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--first", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="export what the benchmark database already holds (no setup)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="a few hundred votes, for CI: checks the bench still runs (exit 1 if not)",
    )
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tiny:
        args.votes, args.first = 300, 200
    if args.run:
        print(json.dumps(run_one(args.run)))
        return

    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    if args.sqlite:
        tmp = tempfile.mkdtemp(prefix="datafi-export-bench-")
        env.pop("DATABASE_URL", None)
        env["DATA_DIR"] = tmp
        print(f"SQLite in {tmp}")
    else:
        url = env.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datafi_export_bench"
        )
        if not args.measure_only:
            recreate_database(url)
        env["DATABASE_URL"] = url
        print(f"PostgreSQL at {url}")
    os.environ.update(env)
    setup_django()
    if args.measure_only:
        from evals.models import Vote

        count = Vote.objects.count()
        sys.exit(1 if measure(env, f"{count:,} votes", count) else 0)
    prepare(voters=50 if args.tiny else 5000)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    took = add_votes(args.first, start, seed=1)
    print(f"created {args.first:,} votes in {took:.1f}s ({args.first / took:,.0f}/s)")
    failures = measure(env, f"{args.first:,} votes", args.first)
    rest = args.votes - args.first
    if rest > 0:
        took = add_votes(rest, start + timedelta(days=30), seed=2)
        print(f"\ncreated {rest:,} more votes in {took:.1f}s ({rest / took:,.0f}/s)")
        failures += measure(env, f"{args.votes:,} votes", args.votes)
    if failures:
        sys.exit(f"{failures} export run(s) failed")


if __name__ == "__main__":
    main()
