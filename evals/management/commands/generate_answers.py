"""Fill a model's missing answers to the stored prompts from its endpoint."""

import asyncio

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from datafi.progress import progress_bar
from evals import batch, endpoints, identity
from evals.models import Category, EvalModel, ModelEndpoint


class Progress:
    """Answers written, failed and retried, drawn as a tqdm bar on the command's output."""

    def __init__(self, out, total: int):
        self.ok = self.failed = self.retries = 0
        self.bar = progress_bar(out, total=total, unit="answers")

    def draw(self, final: bool = False):
        self.bar.set_postfix(ok=self.ok, failed=self.failed, retries=self.retries, refresh=False)
        self.bar.update(self.ok + self.failed - self.bar.n)
        if final:
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Generate the answers a model is missing for the stored prompts, through its "
        "endpoint, with bounded concurrency and retries. Safe to re-run: it resumes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="model name or slug")
        parser.add_argument("--prompts", metavar="CATEGORY", choices=Category.values)
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument(
            "--retries", type=int, default=4, help="per prompt, on 429/5xx/timeouts"
        )
        parser.add_argument("--backoff", type=float, default=1.0, help="first retry delay, seconds")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many prompts")

    def handle(self, *args, **opts):
        if opts["concurrency"] < 1 or opts["retries"] < 0 or opts["backoff"] < 0:
            raise CommandError("--concurrency must be >= 1; --retries and --backoff >= 0.")
        model = EvalModel.objects.filter(Q(name=opts["model"]) | Q(slug=opts["model"])).first()
        if model is None:
            raise CommandError(f"No model named {opts['model']!r}.")
        endpoint = ModelEndpoint.objects.filter(model=model).first()
        if endpoint is None:
            raise CommandError(f"{model.name} has no endpoint; add one in the admin first.")
        if endpoint.paused:
            raise CommandError(f"{model.name}'s endpoint is paused ({endpoint.pause_reason}).")
        todo = batch.missing_prompts(model, opts["prompts"], opts["limit"])
        if not todo:
            self.stdout.write(self.style.SUCCESS(f"{model.name}: nothing to generate."))
            return
        self.stdout.write(f"{model.name}: {len(todo)} prompts to answer")
        cfg = endpoints.endpoint_config(endpoint)
        progress = Progress(self.stdout, len(todo))

        def on_outcome(outcome: batch.Outcome):
            if outcome.error:
                progress.failed += 1
            else:
                progress.ok += 1
            progress.draw()

        def on_retry():
            progress.retries += 1

        outcomes = asyncio.run(
            batch.answers_generate(
                cfg,
                model_id=model.id,
                todo=todo,
                concurrency=opts["concurrency"],
                retries=opts["retries"],
                backoff=opts["backoff"],
                names=identity.leak_pattern(model),
                on_outcome=on_outcome,
                on_retry=on_retry,
            )
        )
        progress.draw(final=True)
        failures = [(o.prompt_id, o.error) for o in outcomes if o.error]
        for prompt_id, error in failures[:10]:
            self.stderr.write(f"  prompt {prompt_id}: {error}")
        if failures:
            raise CommandError(f"{len(failures)} prompts failed after retries; re-run to resume.")
        self.stdout.write(self.style.SUCCESS(f"{model.name}: {progress.ok} answers written."))
