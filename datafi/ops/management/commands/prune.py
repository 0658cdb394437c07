from django.core.management.base import BaseCommand

from datafi.ops.housekeeping import prune


class Command(BaseCommand):
    help = (
        "Delete what has outlived its use (old leaderboard snapshots, ended rate-limit "
        "windows, expired SIWE nonces, ended generation quotas). Safe to run at any time; "
        "run it daily (cron or a systemd timer)."
    )

    def handle(self, *args, **options):
        for table, deleted in prune().items():
            self.stdout.write(f"{table}: {deleted} deleted")
