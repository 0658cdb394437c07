from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evals.models import EvalModel
from evals.quality import selectors, simulate


class Command(BaseCommand):
    help = (
        "Simulate a small voter population, honest voters plus a rigging ring, "
        "through the real services so the quality dashboard has real flags (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--honest", type=int, default=40)
        parser.add_argument("--accounts", type=int, default=20)
        parser.add_argument("--attack-votes", type=int, default=300)
        parser.add_argument("--target", default="Tarquil-8B")
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--prefix", default="demo")

    def handle(self, *args, **opts):
        prefix = opts["prefix"]
        if get_user_model().objects.filter(username__startswith=f"{prefix}-").exists():
            self.stdout.write(f"Quality demo already loaded (users {prefix}-*); nothing to do.")
            return
        if not EvalModel.objects.filter(name=opts["target"]).exists():
            raise CommandError(f"No model named {opts['target']!r}: run load_demo first.")
        selectors.current_scores_forget()
        pop = simulate.Population(
            honest=opts["honest"],
            honest_votes=(15, 40),
            attackers=opts["accounts"],
            attack_votes=opts["attack_votes"],
            target=opts["target"],
            seed=opts["seed"],
        )
        # Spread the simulated votes over the last three days (fairness per day).
        start = timezone.now() - timedelta(days=3)
        out = simulate.run(
            pop,
            start=start,
            prefix=prefix,
            progress=lambda n, total: self.stdout.write(f"\r  votes {n}/{total}", ending=""),
        )
        self.stdout.write("")
        ring, ring_n = simulate.caught(out.attacker_ids)
        honest, honest_n = simulate.caught(out.honest_ids)
        self.stdout.write(
            self.style.SUCCESS(
                f"Quality demo loaded: {out.votes} votes; ring accounts excluded {ring}/{ring_n}, "
                f"honest voters excluded {honest}/{honest_n}. See /quality/ (staff)."
            )
        )
