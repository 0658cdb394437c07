"""Fill a model's missing answers to the stored prompts from its endpoint."""

import asyncio
import random
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from evals import endpoints, markdown
from evals.generation import GenResult, stream_chat_slot
from evals.models import Answer, Category, EvalModel, GenerationStat, ModelEndpoint, Prompt

RETRYABLE = {"rate_limited", "server_error", "timeout", "connection", "incomplete", "capacity"}


class Progress:
    """A one-line progress bar on a terminal; plain lines otherwise."""

    def __init__(self, out, total: int, width: int = 30):
        self.out, self.total, self.width = out, total, width
        self.ok = self.failed = self.retries = 0
        self.started = time.monotonic()
        self.tty = hasattr(out, "isatty") and out.isatty()

    def draw(self, final: bool = False):
        done = self.ok + self.failed
        filled = int(self.width * done / self.total) if self.total else self.width
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} "
            f"ok={self.ok} failed={self.failed} retries={self.retries} {rate:.1f}/s"
        )
        if self.tty:
            self.out.write("\r" + line, ending="\n" if final else "")
            self.out.flush()
        elif final or done % max(1, self.total // 10) == 0:
            self.out.write(line)


def _missing_prompts(model: EvalModel, category: str | None, limit: int | None) -> list:
    answered = Answer.objects.filter(prompt=OuterRef("pk"), model=model)
    qs = (
        Prompt.objects.filter(is_active=True)
        .exclude(source=Prompt.Source.USER)
        .filter(~Exists(answered))
        .order_by("id")
    )
    if category:
        qs = qs.filter(category=category)
    rows = list(qs.values_list("id", "text"))
    return rows[:limit] if limit else rows


def _answer_write(*, prompt_id: int, model_id: int, endpoint_id: int, result: GenResult) -> bool:
    """Write one answer as soon as it is complete; False if one appeared meanwhile."""
    try:
        with transaction.atomic():
            answer = Answer.objects.create(
                prompt_id=prompt_id,
                model_id=model_id,
                text=result.text,
                html=markdown.render(result.text),
                latency_ms=result.duration_ms,
                token_count=result.completion_tokens,
            )
            GenerationStat.objects.create(
                answer=answer,
                endpoint_id=endpoint_id,
                time_to_first_token_ms=result.ttft_ms,
                duration_ms=result.duration_ms,
                tokens_per_s=result.tokens_per_s,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                usage_source=result.usage_source,
                finish_reason=result.finish_reason,
            )
    except IntegrityError:
        return False  # another run (or an upload) answered this prompt first
    return True


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
        todo = _missing_prompts(model, opts["prompts"], opts["limit"])
        if not todo:
            self.stdout.write(self.style.SUCCESS(f"{model.name}: nothing to generate."))
            return
        self.stdout.write(f"{model.name}: {len(todo)} prompts to answer")
        cfg = endpoints.endpoint_config(endpoint)
        progress = Progress(self.stdout, len(todo))
        failures = asyncio.run(self._run(cfg, model.id, todo, opts, progress))
        progress.draw(final=True)
        for prompt_id, error in failures[:10]:
            self.stderr.write(f"  prompt {prompt_id}: {error}")
        if failures:
            raise CommandError(f"{len(failures)} prompts failed after retries; re-run to resume.")
        self.stdout.write(self.style.SUCCESS(f"{model.name}: {progress.ok} answers written."))

    async def _run(self, cfg, model_id, todo, opts, progress) -> list:
        semaphore = asyncio.Semaphore(opts["concurrency"])
        write = sync_to_async(_answer_write)
        failures = []

        async def one(prompt_id: int, text: str):
            async with semaphore:
                for attempt in range(opts["retries"] + 1):
                    result = await stream_chat_slot(
                        cfg,
                        [{"role": "user", "content": text}],
                        slot_wait_s=settings.LIVE_SLOT_WAIT_S,
                        max_s=settings.LIVE_GENERATION_MAX_S,
                    )
                    if not result.failed:
                        break
                    if result.error_code not in RETRYABLE or attempt == opts["retries"]:
                        failures.append((prompt_id, result.error_code))
                        progress.failed += 1
                        progress.draw()
                        return
                    progress.retries += 1
                    # Exponential backoff with jitter, so that parallel retries
                    # do not hit a rate-limited endpoint in lockstep.
                    await asyncio.sleep(opts["backoff"] * 2**attempt * (1 + random.random() / 4))
            await write(
                prompt_id=prompt_id, model_id=model_id, endpoint_id=cfg.endpoint_id, result=result
            )
            progress.ok += 1
            progress.draw()

        await asyncio.gather(*(one(pid, text) for pid, text in todo))
        return failures
