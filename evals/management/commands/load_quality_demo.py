import gzip
import json
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evals.models import EvalModel
from evals.quality import selectors, simulate

# The demo population, recorded once by
#   manage.py load_quality_demo --simulate --record evals/demo/quality_demo.json.gz
# on a fresh database (migrate, load_demo): simulating its votes one by one
# through the sampler and the vote service took minutes of the first run.
RECORD = Path(__file__).resolve().parents[2] / "demo" / "quality_demo.json.gz"
DEFAULTS = {"honest": 40, "accounts": 20, "attack_votes": 300, "target": "Tarquil-8B", "seed": 11}


class Command(BaseCommand):
    help = (
        "Load a small voter population, honest voters (careful readers and skimmers) "
        "plus a rigging ring, so the quality dashboard has real flags (idempotent). "
        "By default the recorded population is replayed through the real fold; "
        "--simulate casts every vote through the sampler and the vote service instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--honest", type=int, default=DEFAULTS["honest"])
        parser.add_argument("--accounts", type=int, default=DEFAULTS["accounts"])
        parser.add_argument("--attack-votes", type=int, default=DEFAULTS["attack_votes"])
        parser.add_argument("--target", default=DEFAULTS["target"])
        parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
        parser.add_argument("--prefix", default="demo")
        parser.add_argument(
            "--simulate",
            action="store_true",
            help="simulate the population vote by vote (slow) instead of replaying the record",
        )
        parser.add_argument(
            "--record", default="", help="with --simulate: write the population's record here"
        )
        parser.add_argument("--from-record", default=str(RECORD), help="the record to replay")

    def handle(self, *args, **opts):
        prefix = opts["prefix"]
        if get_user_model().objects.filter(username__startswith=f"{prefix}-").exists():
            self.stdout.write(f"Quality demo already loaded (users {prefix}-*); nothing to do.")
            return
        if not EvalModel.objects.filter(name=opts["target"]).exists():
            raise CommandError(f"No model named {opts['target']!r}: run load_demo first.")
        selectors.current_scores_forget()
        # Spread the votes over the last three days (fairness per day).
        start = timezone.now() - timedelta(days=3)
        custom = any(opts[k] != v for k, v in DEFAULTS.items())
        if opts["simulate"] or custom:
            out = self._simulate(opts, start=start, prefix=prefix)
            if opts["record"]:
                data = simulate.record(out, start=start, prefix=prefix)
                with gzip.open(opts["record"], "wt", encoding="utf-8") as fh:
                    json.dump(data, fh, separators=(",", ":"))
                self.stdout.write(f"Recorded {len(data['votes'])} votes to {opts['record']}.")
        else:
            try:
                with gzip.open(opts["from_record"], "rt", encoding="utf-8") as fh:
                    data = json.load(fh)
            except (OSError, ValueError) as exc:
                raise CommandError(f"Cannot read {opts['from_record']}: {exc}") from exc
            try:
                out = simulate.replay(data, start=start, prefix=prefix)
            except KeyError as exc:
                raise CommandError(
                    f"The record names {exc} which this database lacks: run load_demo, "
                    "or use --simulate."
                ) from exc
        ring, ring_n = simulate.caught(out.attacker_ids)
        honest, honest_n = simulate.caught(out.honest_ids)
        self.stdout.write(
            self.style.SUCCESS(
                f"Quality demo loaded: {out.votes} votes; ring accounts excluded {ring}/{ring_n}, "
                f"honest voters excluded {honest}/{honest_n}. See /quality/ (staff)."
            )
        )

    def _simulate(self, opts, *, start, prefix):
        pop = simulate.Population(
            honest=opts["honest"],
            honest_votes=(15, 40),
            attackers=opts["accounts"],
            attack_votes=opts["attack_votes"],
            target=opts["target"],
            seed=opts["seed"],
            # A scripted ring (sub-second votes): the dashboard shows both what
            # no person does (too_fast) and the ring sweep's evidence.
            attacker_speed="bot",
        )
        out = simulate.run(
            pop,
            start=start,
            prefix=prefix,
            progress=lambda n, total: self.stdout.write(f"\r  votes {n}/{total}", ending=""),
        )
        self.stdout.write("")
        return out
