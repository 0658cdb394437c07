import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from datafi.accounts.services import organization_get_or_create
from evals import services
from evals.provider.services import prompt_set_upsert

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "demo.json"


class Command(BaseCommand):
    help = "Load the demo models, prompts and answers shipped with datafi (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEMO_FILE))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read demo data from {path}: {exc}") from exc
        with transaction.atomic():
            orgs = {
                p["slug"]: organization_get_or_create(
                    slug=p["slug"], name=p["name"], website=p.get("website", "")
                )
                for p in data["providers"]
            }
            models = {
                m["name"]: services.model_upsert(
                    name=m["name"], organization=orgs[m["provider"]], description=m["description"]
                )
                for m in data["models"]
            }
            prompts = {
                p["key"]: services.prompt_upsert(
                    key=p["key"],
                    text=p["text"],
                    category=p["category"],
                    language=p["language"],
                    source="demo",
                )
                for p in data["prompts"]
            }
            prompt_set_upsert(
                slug="demo",
                name="Demo prompts",
                description="The prompts shipped with the demo data.",
                prompts=list(prompts.values()),
            )
            total = len(data["answers"])
            for n, a in enumerate(data["answers"], 1):
                services.answer_upsert(
                    prompt=prompts[a["prompt"]],
                    model=models[a["model"]],
                    text=a["text"],
                    latency_ms=a.get("latency_ms", 0),
                )
                if n % 200 == 0 or n == total:
                    self.stdout.write(f"\r  answers {n}/{total}", ending="")
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {len(orgs)} providers, {len(models)} models, "
                f"{len(prompts)} prompts (prompt set 'demo'), {total} answers."
            )
        )
