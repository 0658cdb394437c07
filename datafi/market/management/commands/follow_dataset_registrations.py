"""Move every dataset version being registered on: send what was not sent (a node that
was down), count confirmations, publish the confirmed ones. Safe to run at any time and
from any number of processes: a version is sent at most once (see datafi.flows.market)."""

from django.core.management.base import BaseCommand

from datafi.flows import market as market_flow


class Command(BaseCommand):
    help = "Follow the on-chain registrations of dataset versions (one pass)."

    def handle(self, *args, **options):
        for version in market_flow.registrations_follow():
            self.stdout.write(f"{version}: {version.get_status_display()}")
