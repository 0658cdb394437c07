from django.core.management.base import BaseCommand

from evals.provider import services


class Command(BaseCommand):
    help = (
        "Check the answers withheld as identity leaks again against the names that "
        "count now: serve again those that show none, re-word the reason of the "
        "others. Run it after the names' inputs changed (LIVE_KNOWN_VENDORS, an "
        "organisation or an endpoint's model id renamed) or an upgrade of the rules."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would change, and change nothing.",
        )

    def handle(self, *args, dry_run=False, **opts):
        result = services.answers_recheck(dry_run=dry_run)
        would = "would be " if dry_run else ""
        for change in result.changes:
            where = f"answer {change.answer_id} ({change.model}, prompt {change.prompt})"
            if change.new:
                self.stdout.write(f"{where}: {would}re-worded: {change.old!r} -> {change.new!r}")
            else:
                self.stdout.write(f"{where}: {would}restored (was {change.old!r})")
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}{result.checked} withheld answer(s) checked: "
            f"{result.restored} {would}restored, {result.reworded} {would}re-worded, "
            f"{result.kept} {'would stay' if dry_run else 'still'} withheld."
        )
