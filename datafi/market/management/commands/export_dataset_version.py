"""Write a dataset version's rows in canonical form, one JSON object per line.

The rows are the exact bytes whose leaves make the version's root (see
``datafi.market.canonical``); ``verify_dataset_version`` checks such a copy.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from datafi.market import selectors as market_selectors


class Command(BaseCommand):
    help = "Write a dataset version's canonical rows (JSON lines) to a file or stdout."

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="the dataset's slug")
        parser.add_argument("version", type=int, help="the version number")
        parser.add_argument("-o", "--output", help="file to write (default: stdout)")

    def handle(self, *args, dataset, version, output=None, **options):
        found = market_selectors.version_get(product_slug=dataset, number=version)
        if found is None:
            raise CommandError(f"no version {version} of dataset {dataset!r}")
        out = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
        try:
            for line in market_selectors.version_lines(version=found):
                out.write(line)
        finally:
            if output:
                out.close()
        if output:
            self.stderr.write(f"wrote {found.row_count} rows of {found} to {output}")
