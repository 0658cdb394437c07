import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from evals.provider.live import generation_jobs_run


class Command(BaseCommand):
    help = (
        "Run providers' generation jobs (answers to the stored prompts through their "
        "endpoints), claimed with SKIP LOCKED so that any number of workers can share "
        "the queue. Loops until stopped; --once runs what is queued, then exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.GENERATION_JOBS_SECONDS,
            help="seconds between looks at the queue",
        )

    def handle(self, *args, **options):
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        while True:
            n = generation_jobs_run(limit=1000 if options["once"] else 1)
            if options["once"]:
                self.stdout.write(f"Ran {n} generation jobs.")
                return
            if n and options["verbosity"] > 1:
                self.stdout.write(f"Ran {n} generation jobs.")
            close_old_connections()
            if stop:
                return
            if not n:
                try:
                    time.sleep(max(0.05, options["interval"]))
                except KeyboardInterrupt:
                    return
