"""Point a few demo models at the local OpenAI-compatible stub server."""

from django.core.management.base import BaseCommand

from datafi.accounts.services import organization_get_or_create
from evals import endpoints, services

# (name, provider model id = the stub's behaviour switches, description)
STUB_MODELS = [
    ("Quillfeather 2", "quill+words:40", "Answers at the stub's default pace."),
    ("Brightloom Mini", "loom+slow:0.12+words:50", "Slower, a little longer."),
    ("Corvina 7B", "corvina+words:30", "Short and quick."),
]
FAILING = ("Wobbleton Beta", "fail:500", "Always fails with HTTP 500: shows the error path.")


class Command(BaseCommand):
    help = (
        "Register stub-backed live models "
        "(start the stub first: python -m tests.openai_stub_server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:9100/v1")
        parser.add_argument(
            "--with-failing", action="store_true", help="add a model that always fails"
        )

    def handle(self, *args, **opts):
        org = organization_get_or_create(slug="stubworks", name="Stubworks")
        chosen = STUB_MODELS + ([FAILING] if opts["with_failing"] else [])
        for name, model_id, description in chosen:
            model = services.model_upsert(name=name, organization=org, description=description)
            endpoints.endpoint_upsert(
                model=model,
                base_url=opts["base_url"],
                provider_model_id=model_id,
                api_key="stub-key",
                default_params={"temperature": 0.7},
                timeout_s=20,
                concurrency_limit=8,
            )
            self.stdout.write(f"  {name} -> {opts['base_url']} ({model_id})")
        self.stdout.write(self.style.SUCCESS("Stub models ready: open /live/."))
