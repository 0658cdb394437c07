"""The payout worker: build and publish epochs, submit gasless claims, settle claims."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from rewards.services import payouts


class Command(BaseCommand):
    help = (
        "Run the payout worker loop (epochs, gasless claims, settlement). Any number of "
        "workers can run: work is claimed in the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
        parser.add_argument("--once", action="store_true", help="run one pass and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        while True:
            close_old_connections()
            report = payouts.worker_tick()
            line = (
                f"epoch={report.epoch} ({report.epoch_status or '-'}) "
                f"claims={report.claims} settled={report.settled}"
            )
            if report.errors:
                self.stderr.write(line + " errors=" + "; ".join(report.errors))
            elif once or options.get("verbosity", 1) > 1:
                self.stdout.write(line)
            if once:
                return
            time.sleep(interval)
