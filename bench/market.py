"""Data market benchmark (issue #14): freezing a version over 1,000,000 votes, and its gas.

Seeds PostgreSQL like a busy arena: the demo models, prompts and answers
(evals/demo), prompts derived from them (exact and normalised duplicates,
prompts and answers with personal data planted in them, reworded variants),
voters with their consent (most agreed, some refused, some were never asked)
and reliability (a few below the product's minimum, a few excluded), then
voted, folded battles written with COPY. Then:

1. (a) freezes a version of a product over every counted battle with the
   product's own ``datafi.market.services.version_freeze`` (scrub PII, collapse
   duplicates, leaves and Merkle root, insert the rows) in a fresh subprocess,
   and prints its wall time, its time by phase and its peak memory;
2. (b) approves the version and publishes it with
   ``datafi.flows.market.version_publish`` on the in-process EVM (``--anvil``:
   on an anvil node) and prints the gas of ``DatasetRegistry.register``. A
   second, small product (the last day's votes) is frozen and registered too:
   the gas does not grow with the rows (only the row count's calldata bytes);
3. the gas of a purchase (``measure_purchase``): an organisation orders the
   version, a buyer wallet approves the market and pays in test dollars, the
   market's pass confirms it and books the sale split among the contributors.

Memory is the freeze subprocess's peak resident set (VmHWM from /proc/self/
status, which starts afresh at exec; ``ru_maxrss`` would carry the parent's
peak over an exec), plus its resident set at the phase boundaries.
``--tracemalloc`` also traces the Python heap (peak of traced allocations);
tracing slows every allocation, so that run's times are not the figures.

Phases are timed by wrapping, in the subprocess only, the functions the
freeze calls (the battle reader, the reliability lookup, the scrubber, the
prompt key, the pseudonym, the canonical bytes, the leaf hash, the tree,
``bulk_create`` of rows and findings, the commit); each phase's time excludes
the phases it calls, "the loop itself" is the rest. The wrappers' own cost is
measured and printed. No product code is changed for it.

    .venv/bin/python bench/market.py [--votes 1000000] [--prompts 1000] [--anvil]
    .venv/bin/python bench/market.py --measure-only    # freeze and publish again, same data
    .venv/bin/python bench/market.py --tiny            # 3,000 votes: CI's check that it runs

PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
datafi_market_bench; the database is dropped and recreated). The bench exits 1
if a check fails: the row count and the votes left out are recomputed from the
seed, the root from the stored leaves, and no planted personal data may be
left in the rows.
"""

import argparse
import gc
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PRODUCT = "arena-preferences"
SMALL_PRODUCT = "arena-last-day"
MIN_RELIABILITY = 0.5
SPAN = timedelta(days=60)
START = datetime(2026, 1, 1, tzinfo=UTC)
# anvil's first well-known development account (public knowledge: never for real funds).
ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

# Personal data planted in derived prompts and answers; each must be masked.
FIRST = ("jean", "maria", "wei", "amara", "lukas", "sofia", "arjun", "emma", "kenji", "fatima")
LAST = ("dupont", "garcia", "chen", "okafor", "schmidt", "rossi", "patel", "smith", "sato")
MAIL = ("gmail.com", "outlook.com", "yahoo.fr", "proton.me", "web.de")
IBANS = (
    "GB82 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606",
)
PHONES = ("+44 20 7946 0958", "+1 415 555 0132", "+33 1 42 68 53 00", "+49 30 901820")
IPS = ("81.2.69.142", "185.199.108.153", "151.101.1.69", "2a00:1450:4007:80e::200e")
PREFIXES = (
    "Quick question for my study group: ",
    "I'm preparing a workshop. ",
    "Asking for a colleague: ",
    "Be brief please. ",
    "Explain it as you would to a new hire. ",
    "I keep getting this wrong. ",
)


# --- the database -------------------------------------------------------------------


# The database and Django set-up are bench/export.py's (this directory is on sys.path
# when a bench runs as a script).
from export import recreate_database, setup_django  # noqa: E402


def insert_rows(model, objs):
    """Insert model instances with COPY (every concrete column, defaults included)."""
    from django.db import connection

    if not objs:
        return
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
            )


# --- seeding ------------------------------------------------------------------------


def _card(rng) -> str:
    from stdnum import luhn

    body = "4" + "".join(str(rng.randrange(10)) for _ in range(14))
    digits = body + luhn.calc_check_digit(body)
    return " ".join(digits[k : k + 4] for k in range(0, 16, 4))


def _personal(rng, i: int) -> dict:
    from eth_utils import keccak, to_checksum_address

    name = f"{rng.choice(FIRST)}.{rng.choice(LAST)}{i}"
    return {
        "email": f"{name}@{rng.choice(MAIL)}",
        "phone": rng.choice(PHONES),
        "iban": rng.choice(IBANS),
        "card": _card(rng),
        "ip": rng.choice(IPS),
        "wallet": to_checksum_address(keccak(text=f"bench wallet {i}")[12:]),
    }


def derived_prompts(n: int, rng) -> dict:
    """``n`` prompts made from the demo ones, each answered by the demo's models.

    Of every 20: 2 exact duplicates (a new prompt record, the same text), 2
    duplicates once normalised (case, spacing, punctuation), 3 with personal
    data in the prompt (one answer quotes it back), 13 reworded variants (one in
    fifty of their answers carries an IBAN or a phone number). Returns what was
    planted, by kind, for the check that none of it is left in the rows.
    """
    from evals import services
    from evals.models import Answer, EvalModel, Prompt

    demo = list(Prompt.objects.filter(source="demo").order_by("pk"))
    models = {m.pk: m for m in EvalModel.objects.all()}
    answers = defaultdict(list)
    for a in Answer.objects.filter(prompt__source="demo").order_by("pk"):
        answers[a.prompt_id].append(a)
    planted = defaultdict(list)
    for i in range(n):
        source = demo[i % len(demo)]
        slot = i % 20
        personal = None
        if slot < 2:
            text = source.text
        elif slot < 4:
            text = "  " + source.text.upper().replace(" ", "  ").rstrip("?.!") + " ?!"
        elif slot < 7:
            personal = _personal(rng, i)
            kind = rng.choice(("email", "phone", "iban", "card", "ip", "wallet"))
            lead = {
                "email": f"Reply to {personal['email']} when you can. ",
                "phone": f"You can also call me on {personal['phone']}. ",
                "iban": f"My account is {personal['iban']}, is that a German bank? ",
                "card": f"My card {personal['card']} was declined. ",
                "ip": f"My server at {personal['ip']} is slow. ",
                "wallet": f"My wallet is {personal['wallet']}. ",
            }[kind]
            planted[kind].append(personal[kind])
            text = lead + source.text
        else:
            text = rng.choice(PREFIXES) + source.text + f" (Variant {i}.)"
        prompt = services.prompt_upsert(
            key=f"bench-{i}", text=text, category=source.category, language=source.language
        )
        for k, answer in enumerate(answers[source.pk]):
            body = answer.text
            if personal is not None and k == 0:
                planted["email"].append(personal["email"])
                body = f"I will not write to {personal['email']} for you, but here is how:\n\n"
                body += answer.text
            elif slot >= 7 and rng.random() < 0.02:
                extra = rng.choice(("iban", "phone"))
                value = rng.choice(IBANS) if extra == "iban" else rng.choice(PHONES)
                planted[extra].append(value)
                body = answer.text + f"\n\nFor payment use {value}."
            services.answer_upsert(prompt=prompt, model=models[answer.model_id], text=body)
    return planted


def add_voters(n: int, rng) -> dict[int, str]:
    """``n`` voters; each one's consent and reliability. Returns pk -> what the freeze does
    with their votes: "in", "no_consent" or "reliability"."""
    from django.contrib.auth.hashers import make_password

    from datafi.accounts.models import User
    from datafi.market.models import DataSaleConsent
    from evals.quality.models import VoterReliability

    password = make_password(None)
    User.objects.bulk_create(
        [User(username=f"voter{i}", password=password) for i in range(n)], batch_size=5000
    )
    ids = User.objects.filter(username__startswith="voter").order_by("pk")
    fate, consents, scores = {}, [], []
    for pk in ids.values_list("pk", flat=True):
        at = START - timedelta(days=rng.randint(1, 400))
        r = rng.random()
        agreed = None
        if r < 0.86:  # most agree at sign-up
            agreed = True
        elif r < 0.93:  # some refuse; the rest were never asked (counts as no)
            agreed = False
        if agreed is not None:
            consents.append(
                DataSaleConsent(
                    user_id=pk,
                    agreed=agreed,
                    changed_at=at,
                    source=rng.choice(["signup"] * 4 + ["settings"]),
                )
            )
        q = rng.random()
        excluded = q < 0.02
        if excluded:
            score = rng.uniform(0.05, 0.3)
        elif q < 0.06:
            score = rng.uniform(0.2, MIN_RELIABILITY - 0.01)
        else:
            score = rng.uniform(0.6, 1.0)
        scores.append(
            VoterReliability(
                user_id=pk,
                votes=rng.randint(10, 500),
                score=score,
                excluded=excluded,
                excluded_at=at if excluded else None,
                updated_at=at,
            )
        )
        if agreed is not True:
            fate[pk] = "no_consent"
        elif excluded or score < MIN_RELIABILITY:
            fate[pk] = "reliability"
        else:
            fate[pk] = "in"
    insert_rows(DataSaleConsent, consents)
    insert_rows(VoterReliability, scores)
    return fate


def add_votes(n: int, fate: dict[int, str], rng, expect: dict) -> float:
    """``n`` voted battles over every prompt's served answers, by voters of uneven activity.

    1% are excluded (an answer named its model) and 0.2% not folded yet: neither is
    counted. ``expect`` gets what the freeze must find, recomputed here.
    """
    from django.db import connection

    from datafi.market import canonical
    from evals.models import Answer, Battle, Prompt, Vote

    keys = {pk: canonical.prompt_key(text) for pk, text in Prompt.objects.values_list("pk", "text")}
    key_index = {key: k for k, key in enumerate(sorted(set(keys.values())))}
    answers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    served = Answer.objects.filter(withheld_reason="").values_list("pk", "prompt_id", "model_id")
    for pk, prompt_id, model_id in served:
        answers[prompt_id].append((pk, model_id))
    prompts = [p for p, a in answers.items() if len(a) >= 2]
    voters = sorted(fate)
    # Uneven activity: the k-th voter votes about 1 / (k + 20) as often as any.
    cum, total = [], 0.0
    for k in range(len(voters)):
        total += 1.0 / (k + 20)
        cum.append(total)
    choices = ["model_a"] * 40 + ["model_b"] * 40 + ["tie"] * 12 + ["both_bad"] * 8
    tags = ["more_accurate", "more_helpful", "better_formatted", "more_concise", "better_code"]
    step = SPAN / n
    seen: set[int] = set()
    counts = Counter()

    t0 = time.perf_counter()
    battles, votes = [], []
    for i in range(n):
        prompt = rng.choice(prompts)
        (aa, ma), (ab, mb) = rng.sample(answers[prompt], 2)
        voter = voters[_bisect(cum, rng.random() * total)]
        served_at = START + step * i
        ttv = rng.randint(2000, 90000)
        voted = served_at + timedelta(milliseconds=ttv)
        excluded = rng.random() < 0.01
        folded = rng.random() >= 0.002
        bid = uuid.UUID(int=rng.getrandbits(128), version=4)
        battles.append(
            Battle(
                id=bid,
                mode="stored",
                prompt_id=prompt,
                answer_a_id=aa,
                answer_b_id=ab,
                model_a_id=ma,
                model_b_id=mb,
                voter_id=voter,
                status="revealed",
                served_at=served_at,
                voted_at=voted,
                revealed_at=voted,
                excluded=excluded,
                exclusion_reason="an answer names its model" if excluded else "",
            )
        )
        reasons = rng.sample(tags, rng.choice((0, 0, 1, 2)))
        votes.append(
            Vote(
                battle_id=bid,
                choice=rng.choice(choices),
                reasons=reasons,
                time_to_vote_ms=ttv,
                created_at=voted,
                folded_at=voted + timedelta(seconds=2) if folded else None,
                weight=1.0 if folded else None,
            )
        )
        if not excluded and folded:
            counts["counted"] += 1
            if fate[voter] != "in":
                counts[fate[voter]] += 1
            else:
                lo, hi = min(ma, mb), max(ma, mb)
                judgement = (voter << 40) | (key_index[keys[prompt]] << 20) | (lo << 10) | hi
                if judgement in seen:
                    counts["repeated"] += 1
                else:
                    seen.add(judgement)
                    counts["rows"] += 1
        if len(battles) >= 20000:
            insert_rows(Battle, battles)
            insert_rows(Vote, votes)
            battles, votes = [], []
    insert_rows(Battle, battles)
    insert_rows(Vote, votes)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    expect.update(counts)
    return time.perf_counter() - t0


def _bisect(cum: list[float], x: float) -> int:
    from bisect import bisect_left

    return min(bisect_left(cum, x), len(cum) - 1)


def create_products(operator) -> tuple[int, int]:
    """The product over every counted battle, and a small one (the last day's votes)."""
    from datafi.market import services as market
    from evals.models import EvalModel

    terms = {
        slug: f"{org} output terms 2026: outputs may be redistributed with attribution"
        for slug, org in EvalModel.objects.values_list("slug", "organization__name")
    }
    common = {
        "card": "Human preference votes from the datafi arena (benchmark data).",
        "licence": "CC-BY-4.0",
        "model_terms": terms,
        "price_currency": "USD",
        "min_reliability": MIN_RELIABILITY,
    }
    big = market.product_create(
        operator=operator,
        slug=PRODUCT,
        title="Arena preferences",
        price_amount=250_000,
        **common,
    )
    small = market.product_create(
        operator=operator,
        slug=SMALL_PRODUCT,
        title="Arena preferences, last day",
        price_amount=5_000,
        voted_from=START + SPAN - timedelta(days=1),
        **common,
    )
    return big.pk, small.pk


def seed(args, rng) -> dict:
    from django.core.management import call_command

    from datafi.accounts.services import user_create

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    took_demo = time.perf_counter() - t0
    t0 = time.perf_counter()
    planted = derived_prompts(args.prompts, rng)
    took_prompts = time.perf_counter() - t0
    t0 = time.perf_counter()
    fate = add_voters(args.voters, rng)
    took_voters = time.perf_counter() - t0
    expect: dict = {}
    took_votes = add_votes(args.votes, fate, rng, expect)
    operator = user_create(username="olga", password="correct horse battery staple")
    operator.is_staff = True
    operator.save(update_fields=["is_staff"])
    big, small = create_products(operator)
    from evals.models import Answer, Prompt

    print(
        f"seeded: migrate + demo set {took_demo:.1f}s; {args.prompts:,} derived prompts "
        f"({Prompt.objects.count():,} prompts, {Answer.objects.count():,} answers in all) "
        f"{took_prompts:.1f}s; {args.voters:,} voters with consent and reliability "
        f"{took_voters:.1f}s; {args.votes:,} voted battles {took_votes:.1f}s "
        f"({args.votes / took_votes:,.0f}/s)"
    )
    fates = Counter(fate.values())
    print(
        f"voters: {fates['in']:,} in, {fates['no_consent']:,} without consent, "
        f"{fates['reliability']:,} below reliability {MIN_RELIABILITY} or excluded; "
        f"planted personal data: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(planted.items()))
    )
    return {
        "expect": expect,
        "planted": {k: sorted(set(v)) for k, v in planted.items()},
        "operator": operator.pk,
        "products": (big, small),
    }


# --- (a) the freeze, in a subprocess ------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process on this machine: the PostgreSQL backend."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Phases:
    """Exclusive time per phase: a phase's time leaves out the timed phases it calls."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = Counter()
        self.stack: list[float] = []  # time spent in timed callees, per open phase
        self.rss: dict[str, float] = {}
        self.heap: dict[str, float] = {}
        # (this process's CPU seconds, the PostgreSQL backend's) at each mark
        self.cpu: dict[str, tuple[float, float]] = {}
        self.backend = 0

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            label = name(self) if callable(name) else name
            self.stack.append(0.0)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                inner = self.stack.pop()
                self.seconds[label] += dt - inner
                self.calls[label] += 1
                if self.stack:
                    self.stack[-1] += dt

        return timed

    def wrap_chunks(self, name: str, gen_fn):
        """A generator function whose every ``next`` is timed (the battle reader)."""
        timed_next = self.wrap(name, next)

        def reader(*args, **kwargs):
            it = gen_fn(*args, **kwargs)
            while True:
                try:
                    chunk = timed_next(it)
                except StopIteration:
                    return
                yield chunk

        return reader

    def mark(self, label: str):
        if label not in self.rss:
            self.rss[label] = rss_mb()
            self.cpu[label] = (time.process_time(), backend_cpu(self.backend))
            import tracemalloc

            if tracemalloc.is_tracing():
                self.heap[label] = tracemalloc.get_traced_memory()[0] / 2**20


def instrument(phases: Phases):
    """Time the freeze's parts by wrapping what ``version_freeze`` calls (this process only)."""
    from django.db import connections
    from django.db.models import QuerySet

    from datafi.market import canonical, scrub
    from datafi.market import services as market_services
    from datafi.market.models import ScrubFinding, VersionRow
    from evals import selectors as evals_selectors
    from evals.quality import selectors as quality_selectors

    evals_selectors.dataset_battles = phases.wrap_chunks(
        "read battles (query, fetch, texts)", evals_selectors.dataset_battles
    )
    quality_selectors.voter_reliability_scores = phases.wrap(
        "reliability lookups", quality_selectors.voter_reliability_scores
    )
    scrub.scrub = phases.wrap("scrub PII (distinct texts)", scrub.scrub)
    canonical.prompt_key = phases.wrap("prompt keys (duplicates)", canonical.prompt_key)
    market_services.voter_pseudonym = phases.wrap(
        "judge pseudonyms (HMAC)", market_services.voter_pseudonym
    )
    canonical.row_bytes = phases.wrap(
        lambda p: (
            "canonical bytes, again at insert"
            if "tree built" in p.rss
            else "canonical bytes (RFC 8785)"
        ),
        canonical.row_bytes,
    )
    canonical.leaf_of_bytes = phases.wrap("leaf hashes (keccak)", canonical.leaf_of_bytes)
    tree = phases.wrap("Merkle tree and root", canonical.tree)

    def tree_marked(leaves):
        phases.mark("scan done")
        out = tree(leaves)
        phases.mark("tree built")
        return out

    canonical.tree = tree_marked
    bulk_create = QuerySet.bulk_create
    names = {VersionRow: "insert rows", ScrubFinding: "insert scrub findings"}

    def bulk_create_timed(self, objs, *args, **kwargs):
        return phases.wrap(names.get(self.model, "insert other"), bulk_create)(
            self, objs, *args, **kwargs
        )

    QuerySet.bulk_create = bulk_create_timed
    conn = connections["default"]
    conn.commit = phases.wrap("commit", conn.commit)


def wrapper_cost(phases_calls: int) -> float:
    """Seconds the timing wrappers add for ``phases_calls`` calls (measured here)."""
    probe = Phases()
    noop = probe.wrap("probe", lambda x: x)
    n = 200_000
    t0 = time.perf_counter()
    for k in range(n):
        noop(k)
    wrapped = time.perf_counter() - t0
    bare = lambda x: x  # noqa: E731
    t0 = time.perf_counter()
    for k in range(n):
        bare(k)
    plain = time.perf_counter() - t0
    return max(0.0, (wrapped - plain) / n) * phases_calls


def run_freeze(product_id: int, operator_id: int, trace: bool, phased: bool) -> dict:
    """In the subprocess: freeze one version through the product's service, timed."""
    setup_django()
    import tracemalloc

    from datafi.accounts.models import User
    from datafi.market import services as market

    phases = Phases()
    if phased:
        instrument(phases)
    operator = User.objects.get(pk=operator_id)
    gc_time = {"seconds": 0.0, "gen2": 0, "t": 0.0}

    def on_gc(phase, info):
        if phase == "start":
            gc_time["t"] = time.perf_counter()
        else:
            gc_time["seconds"] += time.perf_counter() - gc_time["t"]
            gc_time["gen2"] += info["generation"] == 2

    gc.callbacks.append(on_gc)
    if trace:
        tracemalloc.start()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        phases.backend = cursor.fetchone()[0]
    phases.mark("start")
    rss_start = rss_mb()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    version = market.version_freeze(product_id=product_id, operator=operator)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    phases.mark("end")
    gc.callbacks.remove(on_gc)
    out = {
        "version": version.pk,
        "number": version.number,
        "rows": version.row_count,
        "dedup": version.dedup,
        "scrub": version.scrub_counts,
        "left_out": version.metadata["left_out"],
        "prompts": version.metadata["prompts"],
        "wall": wall,
        "cpu": cpu,
        "gc_seconds": gc_time["seconds"],
        "gc_gen2": gc_time["gen2"],
        "rss_start_mb": rss_start,
        "rss_mb": {k: v for k, v in phases.rss.items() if k != "start"},
        "cpu_marks": phases.cpu,
        "peak_rss_mb": rss_mb("VmHWM"),
        "phases": {k: [v, phases.calls[k]] for k, v in phases.seconds.items()},
        "wrapper_seconds": wrapper_cost(sum(phases.calls.values())) if phased else 0.0,
    }
    if trace:
        out["heap_mb"] = phases.heap
        out["heap_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


def freeze(env: dict, product_id: int, operator_id: int, *, trace=False, phased=True) -> dict:
    cmd = [sys.executable, __file__, "--run-freeze", f"{product_id},{operator_id}"]
    cmd += ["--tracemalloc"] if trace else []
    cmd += [] if phased else ["--no-phases"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.exit(f"the freeze failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_freeze(r: dict, label: str):
    rows = r["rows"]
    print(
        f"\n(a) freeze of {label}: {rows:,} rows in {r['wall']:.1f} s wall "
        f"({rows / r['wall']:,.0f} rows/s), {r['cpu']:.1f} s CPU in the Python process "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(
        f"    left out: {r['left_out']['no_consent']:,} without consent, "
        f"{r['left_out']['reliability']:,} below the reliability minimum; "
        f"{r['dedup']['repeated_judgements']:,} repeated judgements dropped; "
        f"{r['prompts']:,} distinct prompts ({r['dedup']['exact']:,} exact and "
        f"{r['dedup']['normalised']:,} normalised duplicates collapsed); "
        f"masked: " + ", ".join(f"{k} {v:,}" for k, v in sorted(r["scrub"].items()))
    )
    if r["phases"]:
        print(f"    {'phase':<36}{'seconds':>9}{'share':>7}{'calls':>11}")
        accounted = 0.0
        for name, (seconds, calls) in sorted(r["phases"].items(), key=lambda kv: -kv[1][0]):
            accounted += seconds
            print(f"    {name:<36}{seconds:>9.2f}{seconds / r['wall']:>7.0%}{calls:>11,}")
        rest = r["wall"] - accounted
        print(
            f"    {'the loop itself (filters, row dicts)':<36}{rest:>9.2f}{rest / r['wall']:>7.0%}"
        )
        print(
            f"    timing wrappers' own cost, spread over the phases: about "
            f"{r['wrapper_seconds']:.2f} s; cyclic garbage collector, inside the phases: "
            f"{r['gc_seconds']:.2f} s ({r['gc_gen2']} full collections)"
        )
    marks = list(r["cpu_marks"].items())
    stages = []
    for (_a, (py0, pg0)), (b, (py1, pg1)) in zip(marks, marks[1:], strict=False):
        stages.append(f"to {b}: {py1 - py0:.1f} s Python, {pg1 - pg0:.1f} s PostgreSQL")
    print("    CPU by stage (this process, and its PostgreSQL backend): " + "; ".join(stages))
    marks = ", ".join(f"{k} {v:,.0f} MB" for k, v in r["rss_mb"].items())
    print(
        f"    memory (resident set of the freeze process, /proc VmRSS/VmHWM): at start "
        f"{r['rss_start_mb']:,.0f} MB; {marks}; peak {r['peak_rss_mb']:,.0f} MB "
        f"({(r['peak_rss_mb'] - r['rss_start_mb']) * 2**20 / rows:,.0f} bytes per row above "
        "the start)"
    )
    if "heap_peak_mb" in r:
        heap = ", ".join(f"{k} {v:,.0f} MB" for k, v in r["heap_mb"].items())
        print(
            f"    Python heap (tracemalloc, traced allocations; slows the run): {heap}; "
            f"peak {r['heap_peak_mb']:,.0f} MB ({r['heap_peak_mb'] * 2**20 / rows:,.0f} "
            "bytes per row)"
        )


def check_freeze(r: dict, seeded: dict | None, previous_root: str | None) -> list[str]:
    """What must hold for the figures to be the real freeze's; the failures, in words."""
    from django.db.models import Q

    from datafi.market import canonical
    from datafi.market.models import DatasetVersion, VersionRow

    failures = []
    version = DatasetVersion.objects.get(pk=r["version"])
    stored = VersionRow.objects.filter(version=version)
    if stored.count() != version.row_count:
        failures.append(f"{stored.count():,} rows stored, the version says {version.row_count:,}")
    root = canonical.tree(stored.values_list("leaf", flat=True).iterator(chunk_size=10000)).root()
    if root != version.root:
        failures.append(f"the stored leaves give {root}, the version says {version.root}")
    if previous_root and previous_root != version.root:
        failures.append(f"unchanged data gave a new root: {version.root} vs {previous_root}")
    if seeded is not None:
        want = seeded["expect"]
        got = {
            "rows": version.row_count,
            "repeated": version.dedup["repeated_judgements"],
            "no_consent": r["left_out"]["no_consent"],
            "reliability": r["left_out"]["reliability"],
        }
        for key, value in got.items():
            if value != want.get(key, 0):
                failures.append(f"{key}: the freeze found {value:,}, the seed made {want[key]:,}")
        for kind in seeded["planted"]:
            if not version.scrub_counts.get(kind):
                failures.append(f"no {kind} masked, though some was planted")
        # One scan of the rows for a few planted values of each kind.
        probes = [value for values in seeded["planted"].values() for value in values[:3]]
        left = Q()
        for value in probes:
            left |= Q(canonical__contains=value)
        for text in stored.filter(left).values_list("canonical", flat=True)[:5]:
            found = [value for value in probes if value in text]
            failures.append(f"planted personal data still in a row: {found}")
        if not (version.dedup["exact"] and version.dedup["normalised"]):
            failures.append(f"duplicate prompts were planted, none collapsed: {version.dedup}")
    return failures


# --- (b) registration gas, and the place for (c) the purchase -----------------------


def publish(version_id: int, operator_id: int) -> dict:
    """Approve and publish a version through the product's flow; its gas and on-chain record."""
    from datafi.accounts.models import User
    from datafi.flows import market as market_flow
    from datafi.market import services as market
    from rewards.models import ChainTx
    from rewards.services import registry

    operator = User.objects.get(pk=operator_id)
    market.version_review(version_id=version_id, operator=operator, approve=True, note="bench")
    registry.registry_address()  # deployed once, on first use: not part of a publication
    t0 = time.perf_counter()
    version = market_flow.version_publish(version_id=version_id)
    seconds = time.perf_counter() - t0
    if version.status != "published":
        sys.exit(f"version {version} is {version.status} after publishing: {version.last_error}")
    tx = ChainTx.objects.get(tx_hash=version.tx_hash)
    onchain = registry.registration_onchain(dataset=version.product_id, version=version.number)
    ok = (onchain.root, onchain.rows, onchain.metadata_hash) == (
        version.root,
        version.row_count,
        version.metadata_hash,
    )
    return {
        "version": str(version),
        "rows": version.row_count,
        "gas": tx.gas_used,
        "seconds": seconds,
        "block": version.block_number,
        "network": version.network,
        "onchain_matches": ok,
    }


def registry_deploy_gas() -> int | None:
    from rewards.models import ChainTx

    tx = ChainTx.objects.filter(label="deploy:registry", status="confirmed").first()
    return tx.gas_used if tx else None


def _buyer_send(w3, account, call: dict) -> dict:
    fields = {"from": account.address, "to": call["to"], "data": call["data"], "value": 0}
    tx = {
        "to": call["to"],
        "data": call["data"],
        "value": 0,
        "gas": int(w3.eth.estimate_gas(fields) * 1.3) + 10_000,
        "gasPrice": max(int(w3.eth.gas_price), 1) * 2,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash)


def measure_purchase(*, version_id: int) -> dict:
    """(c) GAS OF A PURCHASE through the product's path: an organisation orders the
    published version (signed quote), a buyer wallet approves the market and pays in
    test dollars, and the market's pass confirms the payment and books the sale (split
    among the version's contributors). Returns the two transactions' gas and the time
    to confirm and book."""
    from eth_account import Account as EthAccount
    from eth_utils import keccak

    from datafi.accounts.services import organization_get_or_create
    from datafi.flows import market as market_flow
    from datafi.market.models import DatasetVersion, Purchase, SaleShare
    from rewards import chain

    version = DatasetVersion.objects.select_related("product").get(pk=version_id)
    org = organization_get_or_create(slug="bench-buyer", name="Bench Buyer")
    buyer = EthAccount.from_key(keccak(text="datafi bench buyer"))
    c = chain.get()
    w3 = c.w3
    funding = {
        "to": buyer.address,
        "value": 10**20,  # anvil's gas price climbs to hundreds of gwei under the seeding
        "gas": 21_000,
        "gasPrice": max(int(w3.eth.gas_price), 1) * 2,
        "nonce": w3.eth.get_transaction_count(c.address, "pending"),
        "chainId": c.chain_id,
    }
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(c.account.sign_transaction(funding).raw_transaction)
    )
    price_units = version.product.price_amount * 10**4  # USD cents in six-decimal tUSD
    market_flow.test_dollars(address=buyer.address, amount=price_units)
    order = market_flow.order_place(
        organization_id=org.pk,
        user=None,
        product_slug=version.product.slug,
        number=version.number,
        buyer_address=buyer.address,
    )
    approve, purchase = (_buyer_send(w3, buyer, call) for call in order.calls)
    if purchase["status"] != 1:
        sys.exit("the purchase reverted")
    t0 = time.perf_counter()
    for _ in range(20):
        market_flow.market_tick()
        if Purchase.objects.get(pk=order.purchase.pk).status == "paid":
            break
        chain.mine(1)
    seconds = time.perf_counter() - t0
    paid = Purchase.objects.get(pk=order.purchase.pk)
    if paid.status != "paid":
        sys.exit(f"the purchase was not confirmed: {paid.status}")
    return {
        "gas": int(purchase["gasUsed"]),
        "approve_gas": int(approve["gasUsed"]),
        "book_seconds": seconds,
        "contributors": SaleShare.objects.filter(purchase=paid).count(),
        "sale_points": paid.sale_points,
    }


# --- anvil --------------------------------------------------------------------------


def start_anvil() -> tuple[subprocess.Popen, str]:
    native = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    binary = native if native.exists() else ROOT / "node_modules" / ".bin" / "anvil"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("anvil did not start")


# --- main ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--prompts", type=int, default=1000, help="prompts derived from the demo")
    parser.add_argument("--voters", type=int, help="default: one per 50 votes")
    parser.add_argument("--anvil", action="store_true", help="publish on an anvil node")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap")
    parser.add_argument("--no-phases", action="store_true", help="time the freeze as a whole")
    parser.add_argument(
        "--measure-only", action="store_true", help="freeze and publish again (no setup)"
    )
    parser.add_argument("--tiny", action="store_true", help="3,000 votes: CI's check that it runs")
    parser.add_argument("--run-freeze", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_freeze:
        product_id, operator_id = (int(x) for x in args.run_freeze.split(","))
        out = run_freeze(product_id, operator_id, args.tracemalloc, not args.no_phases)
        print(json.dumps(out))
        return
    if args.tiny:
        args.votes, args.prompts = 3000, 40
    args.voters = args.voters or max(60, args.votes // 50)

    env = dict(os.environ)
    for key in ("REDIS_URL", "CHAIN_RPC_URL", "CHAIN_PRIVATE_KEY", "CHAIN_REGISTRY_ADDRESS"):
        env.pop(key, None)
    url = env.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datafi_market_bench")
    if not args.measure_only:
        recreate_database(url)
    env["DATABASE_URL"] = url
    env["CHAIN_CONFIRMATIONS"] = "1"
    print(f"PostgreSQL at {url}")
    anvil = None
    os.environ.update(env)
    if args.anvil:
        anvil, rpc = start_anvil()
        os.environ.update(CHAIN_RPC_URL=rpc, CHAIN_PRIVATE_KEY=ANVIL_KEY, CHAIN_ID="0")
    try:
        failures = run(args, env)
    finally:
        if anvil is not None:
            anvil.send_signal(signal.SIGTERM)
            anvil.wait(timeout=20)
    if failures:
        sys.exit("checks failed:\n  " + "\n  ".join(failures))


def run(args, env: dict) -> list[str]:
    setup_django()
    from datafi.market.models import DatasetProduct, DatasetVersion

    rng = random.Random(14)
    seeded, previous = None, {}
    if args.measure_only:
        from datafi.accounts.models import User

        products = tuple(DatasetProduct.objects.get(slug=s).pk for s in (PRODUCT, SMALL_PRODUCT))
        operator = User.objects.get(username="olga").pk
        for pk in products:
            last = DatasetVersion.objects.filter(product_id=pk).order_by("-number").first()
            previous[pk] = last.root if last else None
        last = DatasetVersion.objects.filter(product_id=products[0]).order_by("-number").first()
        print(f"measuring again on the data there (last version: {last})")
    else:
        seeded = seed(args, rng)
        products, operator = seeded["products"], seeded["operator"]

    big = freeze(env, products[0], operator, trace=args.tracemalloc, phased=not args.no_phases)
    print_freeze(big, f"{args.votes:,} votes" if seeded else "the votes there")
    failures = check_freeze(big, seeded, previous.get(products[0]))
    small = freeze(env, products[1], operator, phased=False)
    print(
        f"    second product (the last day's votes): {small['rows']:,} rows, {small['wall']:.1f} s"
    )
    failures += check_freeze(small, None, previous.get(products[1]))

    chain = "anvil" if args.anvil else "in-process EVM (eth-tester/py-evm)"
    published = [publish(big["version"], operator), publish(small["version"], operator)]
    print(f"\n(b) DatasetRegistry.register through datafi.flows.market.version_publish, {chain}:")
    deploy = registry_deploy_gas()
    if deploy is not None:
        print(f"    registry deployment (once per network, on first use): {deploy:,} gas")
    for p in published:
        print(
            f"    {p['version']}: {p['rows']:,} rows, {p['gas']:,} gas, block {p['block']}, "
            f"publish {p['seconds']:.2f} s; on-chain record matches: {p['onchain_matches']}"
        )
        if not p["onchain_matches"]:
            failures.append(f"the chain's record of {p['version']} differs from the version")

    purchase = measure_purchase(version_id=big["version"])
    print(
        f"\n(c) purchase of {published[0]['version']} ({chain}): DataMarket.purchase "
        f"{purchase['gas']:,} gas (the token approval before it: {purchase['approve_gas']:,}); "
        f"confirmed and booked in {purchase['book_seconds']:.2f} s, "
        f"{purchase['sale_points']:,} points split among {purchase['contributors']:,} "
        "contributors"
    )
    return failures


if __name__ == "__main__":
    main()
