import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datafi.accounts import selectors as account_selectors
from datafi.progress import progress_bar
from evals.provider import exports


class Command(BaseCommand):
    help = (
        "Export voted, non-excluded battles as a preference dataset "
        "(the same streams as GET /api/v1/datasets/export)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=exports.FORMATS)
        parser.add_argument("--output", required=True, help="file to write ('-' for stdout)")
        parser.add_argument(
            "--organization", help="only battles in which this organisation's models fought"
        )
        parser.add_argument("--compression", choices=exports.COMPRESSIONS, default="none")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        org_ids = None
        if options["organization"]:
            org = account_selectors.organization_by_slug(options["organization"])
            if org is None:
                raise CommandError(f"No organisation {options['organization']!r}.")
            org_ids = frozenset({org.pk})
        try:
            spec = exports.ExportSpec(
                format=options["format"],
                organization_ids=org_ids,
                compression=options["compression"],
            )
        except exports.ExportError as exc:
            raise CommandError(str(exc)) from None
        show = not options["no_progress"]
        started = time.monotonic()
        bar = (
            progress_bar(
                self.stderr, total=exports.export_count(spec), unit="rows", unit_scale=True
            )
            if show
            else None
        )

        def progress(done: int):
            bar.update(done - bar.n)

        out_path = options["output"]
        written = 0
        try:
            # Closed in the finally below (stdout is left open).
            sink = sys.stdout.buffer if out_path == "-" else Path(out_path).open("wb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot write {out_path}: {exc}") from exc
        try:
            for piece in exports.export_stream(spec, on_progress=progress if show else None):
                sink.write(piece)
                written += len(piece)
        finally:
            if out_path != "-":
                sink.close()
        if bar is not None:
            bar.close()
        self.stderr.write(
            f"{options['format']}: {written:,} bytes to {out_path} "
            f"in {time.monotonic() - started:.1f}s"
        )
