import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ratings.services import pair_counts_rebuild, refresh_dirty, worker_name


class Command(BaseCommand):
    help = (
        "Refresh dirty leaderboards, claimed from the database so that any number of "
        "workers can share the work. Loops until stopped; --once does one pass."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.RATINGS_REFRESH_SECONDS,
            help="seconds between passes",
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="first recompute the pair counts from the counted votes",
        )

    def handle(self, *args, **options):
        if options["rebuild"]:
            n = pair_counts_rebuild()
            self.stdout.write(f"Rebuilt pair counts from {n} counted votes.")
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        worker = worker_name()
        while True:
            try:
                n = refresh_dirty(worker=worker)
            finally:
                close_old_connections()
            if n:
                self.stdout.write(f"Refreshed {n} leaderboard slices.")
            if options["once"] or stop:
                return
            try:
                time.sleep(max(0.1, options["interval"]))
            except KeyboardInterrupt:
                return
