"""Rigging bench: can a ring of fake accounts lift one model, with and without defences?

Honest voters (noisy but truthful, following the demo's true strengths) plus a
ring of 20-50 accounts that casts 1,000 votes for one target model vote through
the real services (``evals.services.battle_serve`` / ``vote_cast``) on a test
database: a throw-away SQLite database by default, or PostgreSQL when
DATABASE_URL is set (a ``test_<name>`` database is created and dropped).

    .venv/bin/python bench/rigging.py [--honest 150] [--accounts 0 (20-50 at random)]
        [--target Tarquil-8B] [--attacker-speed fast human] [--seed 7]
        [--ring-addresses 4 (0: one per account)] [--defences both off on]
    .venv/bin/python bench/rigging.py --tiny   # a few hundred votes: CI's check that it runs

Runs the ring at both speeds by default (fast: votes in 0.8-3 s; human: reads
like an honest voter). Prints, per speed and run (defences off / on): the
target's rank among honest votes only, its rank on the leaderboard as counted,
the shift, the share of ring accounts excluded and of honest voters excluded
(and flagged at all), overall and split by careful readers and skimmers. With
defences on, the ring sweep (``manage.py quality_sweep``) runs every
``--sweep-every`` votes on the simulated clock.
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--honest", type=int, default=150)
    parser.add_argument("--honest-votes", type=int, nargs=2, default=(15, 60))
    parser.add_argument("--accounts", type=int, default=0, help="ring size (0: 20-50 at random)")
    parser.add_argument("--attack-votes", type=int, default=1000)
    parser.add_argument("--target", default="Tarquil-8B")
    parser.add_argument(
        "--attacker-speed", choices=["fast", "human"], nargs="+", default=["fast", "human"]
    )
    parser.add_argument(
        "--ring-addresses",
        type=int,
        default=4,
        help="network addresses the ring votes from (0: one per account)",
    )
    parser.add_argument("--sweep-every", type=int, default=250, help="votes between ring sweeps")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--defences",
        choices=["both", "off", "on"],
        default="both",
        help="which runs to make (off does not depend on the detection rules)",
    )
    parser.add_argument(
        "--tiny", action="store_true", help="a few hundred votes, fast ring only: CI's check"
    )
    args = parser.parse_args()
    if args.tiny:
        args.honest, args.honest_votes, args.accounts = 8, (6, 10), 4
        args.attack_votes, args.attacker_speed, args.sweep_every = 60, ["fast"], 30

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datafi.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, not shared memory: each run must start from an empty database.
        import tempfile

        from django.db.backends.signals import connection_created

        tmp = Path(tempfile.mkdtemp(prefix="rigging-"))
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(tmp / "rigging.sqlite3")

        def fast_sqlite(sender, connection, **kwargs):
            # A throw-away database: no fsync per vote (durability is not measured here).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute("PRAGMA journal_mode=MEMORY")

        connection_created.connect(fast_sqlite, weak=False)
    accounts = args.accounts or random.Random(args.seed).randint(20, 50)
    summary = []
    for speed in args.attacker_speed:
        summary.append(run_speed(args, speed, accounts, settings, connection))
    print("\nsummary (target rank honest-only -> counted, lift; ring / honest excluded):")
    for line in summary:
        print("  " + line)


def run_speed(args, speed, accounts, settings, connection):
    from django.core.management import call_command

    from evals.quality import selectors, simulate

    print(
        f"\nrigging bench: {args.honest} honest voters x {args.honest_votes[0]}-"
        f"{args.honest_votes[1]} votes, ring of {accounts} accounts casting "
        f"{args.attack_votes} votes for {args.target} ({speed}) from "
        f"{args.ring_addresses or accounts} addresses, "
        f"database {connection.vendor}, seed {args.seed}"
    )
    results = {}
    lines = []
    runs = {"both": (False, True), "off": (False,), "on": (True,)}[args.defences]
    for defences in runs:
        settings.QUALITY_DEFENCES = defences
        # Refit the predictions on vote counts only, not on the wall-clock TTL:
        # with the TTL, how busy the machine was changed when refits happened,
        # and one seed gave 0 or 1 honest exclusions from run to run.
        settings.QUALITY_SCORES_TTL = 10**9
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            started = time.monotonic()
            call_command("load_demo", verbosity=0, stdout=io.StringIO())
            selectors.current_scores_forget()
            pop = simulate.Population(
                honest=args.honest,
                honest_votes=tuple(args.honest_votes),
                attackers=accounts,
                attack_votes=args.attack_votes,
                target=args.target,
                attacker_speed=speed,
                seed=args.seed,
                sweep_every=args.sweep_every,
                ring_addresses=args.ring_addresses,
            )
            out = simulate.run(pop, start=datetime(2025, 3, 3, 8, 0, tzinfo=UTC))
            honest_rank = simulate.leaderboard_ranks(voter_ids=out.honest_ids, counted_only=False)
            counted_rank = simulate.leaderboard_ranks()
            ring_caught, ring_n = simulate.caught(out.attacker_ids)
            honest_caught, honest_n = simulate.caught(out.honest_ids)
            honest_flagged = simulate.flagged(out.honest_ids)
            shift = honest_rank[args.target] - counted_rank[args.target]
            results[defences] = shift
            print(
                f"\ndefences {'ON ' if defences else 'OFF'}: {out.votes} votes "
                f"({out.rate_limited} refused by rate limits, {out.sweeps} ring sweeps) "
                f"in {time.monotonic() - started:.0f}s"
            )
            line = (
                f"{speed:<5} defences {'on ' if defences else 'off'}: "
                f"{honest_rank[args.target]} -> {counted_rank[args.target]}, lift {shift}"
            )
            print(
                f"  {args.target}: rank {honest_rank[args.target]} on honest votes only, "
                f"rank {counted_rank[args.target]} as counted -> lifted {shift} place(s)"
            )
            if defences:
                print(
                    f"  ring accounts excluded: {ring_caught}/{ring_n} "
                    f"({100 * ring_caught / ring_n:.0f}%)"
                )
                print(
                    f"  honest voters excluded: {honest_caught}/{honest_n} "
                    f"({100 * honest_caught / honest_n:.1f}%); with any flag: "
                    f"{honest_flagged} ({100 * honest_flagged / honest_n:.1f}%)"
                )
                groups = []
                for group, ids in simulate.honest_groups(out).items():
                    g_caught, g_n = simulate.caught(ids)
                    g_flagged = simulate.flagged(ids)
                    share = 100 * g_caught / g_n if g_n else 0.0
                    print(
                        f"    {group:<8} {g_n:>4} voters: excluded {g_caught} ({share:.1f}%), "
                        f"flagged {g_flagged} ({100 * g_flagged / g_n if g_n else 0.0:.1f}%)"
                    )
                    groups.append(f"{group} {g_caught}/{g_n} excl, {g_flagged} flagged")
                by_reason = {}
                from evals.quality.models import VoterFlag

                for uid, reason in VoterFlag.objects.values_list("user_id", "reason"):
                    kind = "ring" if uid in set(out.attacker_ids) else "honest"
                    by_reason.setdefault((kind, reason), set()).add(uid)
                for (kind, reason), uids in sorted(by_reason.items()):
                    print(f"    flag {reason:<16} {kind:<6} accounts: {len(uids)}")
                print_honest_flags(out)
                line += (
                    f"; ring {ring_caught}/{ring_n} ({100 * ring_caught / ring_n:.0f}%), "
                    f"honest {honest_caught}/{honest_n} ({100 * honest_caught / honest_n:.1f}%)"
                    f" [{'; '.join(groups)}]"
                )
            else:
                print("  (no detection runs with defences off)")
            lines.append(line)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            connection.close()
    print(
        f"\n{speed}: lift without defences {results.get(False, '-')}, "
        f"with defences {results.get(True, '-')}"
    )
    return "\n  ".join(lines)


def flag_detail(reason, ev) -> str:
    if reason == "gold_accuracy":
        return f"gold {ev['correct']}/{ev['total']}"
    if reason == "outlier":
        return f"Fisher p {ev['p_value']:.2g} < {ev['level']:.2g} over {ev['votes']} votes"
    if reason == "ring":
        return f"z {ev['z']} over {ev['battles']} battles with {ev['model']}"
    return ""


def print_honest_flags(out):
    """One line per flag an honest voter got: what a false alarm looked like."""
    from evals.quality.models import VoterFlag, VoterReliability

    honest = set(out.honest_ids)
    flags = VoterFlag.objects.filter(user_id__in=honest).exclude(reason="low_reliability")
    for flag in flags.order_by("user_id", "created_at"):
        prof = out.profiles[flag.user_id]
        rel = VoterReliability.objects.get(user_id=flag.user_id)
        detail = flag_detail(flag.reason, flag.evidence)
        print(
            f"      honest voter {flag.user_id} ({prof['group']}): {flag.reason} ({detail}); "
            f"temperature {prof['tau']:.2f}, {rel.votes} votes"
        )


if __name__ == "__main__":
    main()
