import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from evals.background import fold_until_empty
from evals.services import votes_unfolded


class Command(BaseCommand):
    help = (
        "Fold committed votes into pair counts, reliability and points, in batches "
        "claimed with SKIP LOCKED so that any number of workers can share the queue. "
        "Loops until stopped; --once folds what is queued, then exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="empty the queue, then exit")
        parser.add_argument("--batch", type=int, default=settings.VOTE_FOLD_BATCH)
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.VOTE_FOLD_SECONDS,
            help="seconds between passes (a pass folds what is queued)",
        )

    def handle(self, *args, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        while True:
            n = fold_until_empty(batch=max(1, options["batch"]))
            if options["once"]:
                self.stdout.write(f"Folded {n} votes; {votes_unfolded()} left in the queue.")
                return
            if n and options["verbosity"] > 1:
                self.stdout.write(f"Folded {n} votes.")
            close_old_connections()  # a broken connection is replaced on the next pass
            if stop:
                return
            try:
                time.sleep(max(0.05, options["interval"]))
            except KeyboardInterrupt:
                return
