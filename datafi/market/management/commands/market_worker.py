"""The market's worker: follow version registrations, confirm purchases from the chain's
Purchased events and book their sales (once), expire unpaid quotes. Any number can run:
registrations are sent once per version, and events are booked under the scan cursor."""

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from datafi.flows import market as market_flow


class Command(BaseCommand):
    help = "Run the data market's worker loop (registrations, purchases)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
        parser.add_argument("--once", action="store_true", help="run one pass and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        while True:
            close_old_connections()
            report = market_flow.market_tick()
            line = (
                f"registrations={report['registrations']} "
                f"purchase_events={report['purchase_events']}"
            )
            if report["errors"]:
                self.stderr.write(line + " errors=" + "; ".join(report["errors"]))
            elif once or options.get("verbosity", 1) > 1:
                self.stdout.write(line)
            if once:
                return
            time.sleep(interval)
