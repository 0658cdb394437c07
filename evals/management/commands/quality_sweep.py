from django.core.management.base import BaseCommand
from django.utils import timezone

from evals.quality import services


class Command(BaseCommand):
    help = (
        "Look for rings: many young accounts favouring the same model at once. "
        "Flags and excludes them. Run it every few minutes (cron); one run at a time."
    )

    def handle(self, *args, **opts):
        result = services.ring_sweep(now=timezone.now())
        if result is None:
            self.stdout.write("Ring sweep skipped: defences off, or another run holds the job.")
            return
        self.stdout.write(
            f"Ring sweep: {result['accounts_tested']} young accounts tested, "
            f"{len(result['findings'])} model(s) with a ring, "
            f"{len(result['flagged'])} account(s) flagged, {len(result['deferred'])} deferred."
        )
