"""Rebuild a dataset version's root from a downloaded copy; fail loudly on a mismatch.

    manage.py verify_dataset_version COPY.jsonl --root 0x...           anyone, no database
    manage.py verify_dataset_version COPY.jsonl --dataset S --number N [--onchain]

The copy is JSON lines in the row form ``datafi-row-v1`` (any key order or
spelling: each row is re-serialised canonically, see ``datafi.market.canonical``).
Its root is rebuilt from the rows alone and compared with ``--root``, or with the
version's recorded root (then the rows missing from the copy, added to it, or
changed in it are named); with ``--onchain``, also with the root the DatasetRegistry
holds for the version. Any difference exits non-zero with MISMATCH.
"""

from django.core.management.base import BaseCommand, CommandError

from datafi.market import canonical
from datafi.market import selectors as market_selectors

SHOWN = 10


class Command(BaseCommand):
    help = "Rebuild a dataset version's root from a downloaded copy and compare it."

    def add_arguments(self, parser):
        parser.add_argument("copy", help="the downloaded copy (JSON lines)")
        parser.add_argument("--root", help="the root to compare with (0x...)")
        parser.add_argument("--dataset", help="the dataset's slug (with --number)")
        parser.add_argument("--number", type=int, help="the version number (with --dataset)")
        parser.add_argument("--onchain", action="store_true", help="also compare with the chain")

    def handle(self, *args, copy, root=None, dataset=None, number=None, onchain=False, **opts):
        if (root is None) == (dataset is None or number is None):
            raise CommandError("give either --root, or --dataset and --number")
        try:
            with open(copy, encoding="utf-8") as fh:
                if root is not None:
                    if onchain:
                        raise CommandError("--onchain needs --dataset and --number")
                    self._against_root(fh, root)
                else:
                    self._against_version(fh, dataset, number, onchain)
        except OSError as exc:
            raise CommandError(f"cannot read {copy}: {exc}") from None
        except canonical.RowError as exc:
            raise CommandError(f"MISMATCH: the copy is not in the row form: {exc}") from None

    def _against_root(self, fh, expected: str) -> None:
        got, rows = canonical.root_of_lines(fh)
        self.stdout.write(f"rows: {rows}")
        self.stdout.write(f"expected root:   {expected}")
        self.stdout.write(f"recomputed root: {got}")
        if got.lower() != expected.lower():
            raise CommandError("MISMATCH: the copy does not give the expected root")
        self.stdout.write(self.style.SUCCESS("OK: the copy gives the expected root"))

    def _against_version(self, fh, dataset: str, number: int, onchain: bool) -> None:
        version = market_selectors.version_get(product_slug=dataset, number=number)
        if version is None:
            raise CommandError(f"no version {number} of dataset {dataset!r}")
        report = market_selectors.copy_compare(version=version, lines=fh)
        self.stdout.write(f"version: {version} ({version.get_status_display()})")
        self.stdout.write(f"rows: {report['rows']} in the copy, {version.row_count} recorded")
        self.stdout.write(f"recorded root:   {version.root}")
        self.stdout.write(f"recomputed root: {report['root']}")
        problems = [
            (what, report[what]) for what in ("changed", "missing", "added") if report[what]
        ]
        for what, battles in problems:
            shown = ", ".join(battles[:SHOWN]) + (" ..." if len(battles) > SHOWN else "")
            self.stderr.write(f"rows {what} in the copy ({len(battles)}): {shown}")
        if report["root"] != version.root or problems:
            raise CommandError(
                f"MISMATCH: the copy's root {report['root']} is not the root of {version} "
                f"({version.root})"
            )
        if onchain:
            self._onchain(version)
        self.stdout.write(self.style.SUCCESS(f"OK: the copy gives the root of {version}"))

    def _onchain(self, version) -> None:
        from datafi.flows import market as market_flow
        from rewards.services import registry

        try:
            record = market_flow.version_onchain(version=version)
        except (registry.WrongChain, registry.ChainUnavailable) as exc:
            raise CommandError(f"NOT VERIFIED on chain: {exc}") from None
        self.stdout.write(f"on-chain root:   {record['root']} ({record['rows']} rows)")
        if record["root"] != version.root or record["metadata_hash"] != version.metadata_hash:
            raise CommandError(f"MISMATCH: the chain holds another record for {version}")
