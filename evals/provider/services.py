"""Writes of the provider API: models, prompt sets and bulk answer uploads."""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from datafi.api import ApiError
from evals import markdown
from evals.models import Answer, Battle, EvalModel, Prompt, PromptSet
from evals.services import token_count_estimate


def prompt_set_upsert(
    *, slug: str, name: str, prompts: list[Prompt], description: str = ""
) -> PromptSet:
    """Create or update a prompt set and make its prompts exactly ``prompts``."""
    prompt_set, _ = PromptSet.objects.update_or_create(
        slug=slug, defaults={"name": name, "description": description}
    )
    prompt_set.prompts.set(prompts)
    return prompt_set


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
        raise ApiError("invalid_name", "name must be 1 to 120 characters.")
    name = name.strip()
    if not slugify(name):
        raise ApiError("invalid_name", "name needs at least one letter or digit.")
    return name


@transaction.atomic(durable=True)
def model_create(*, organization, name: str, description: str = "") -> EvalModel:
    """Register an answers-only model for ``organization``; 409 if the name is taken."""
    name = _clean_name(name)
    slug = slugify(name)[:80]
    if EvalModel.objects.filter(Q(slug=slug) | Q(name__iexact=name)).exists():
        raise ApiError("model_exists", f"A model named {name!r} already exists.", 409)
    try:
        with transaction.atomic():
            return EvalModel.objects.create(
                slug=slug, name=name, organization=organization, description=description or ""
            )
    except IntegrityError:
        # A concurrent request registered the same name between check and insert.
        raise ApiError("model_exists", f"A model named {name!r} already exists.", 409) from None


@transaction.atomic(durable=True)
def model_update(*, model: EvalModel, name: str | None = None, description=None) -> EvalModel:
    """Rename or re-describe a model. The slug never changes: it identifies the
    model in battles and datasets."""
    fields = []
    if name is not None:
        name = _clean_name(name)
        if EvalModel.objects.filter(name__iexact=name).exclude(pk=model.pk).exists():
            raise ApiError("model_exists", f"A model named {name!r} already exists.", 409)
        model.name = name
        fields.append("name")
    if description is not None:
        model.description = description
        fields.append("description")
    if fields:
        try:
            with transaction.atomic():
                model.save(update_fields=fields)
        except IntegrityError:
            raise ApiError("model_exists", f"A model named {name!r} already exists.", 409) from None
    return model


def model_retire(*, model: EvalModel) -> EvalModel:
    """Take a model out of the arena; its battles and answers stay."""
    EvalModel.objects.filter(pk=model.pk).update(status=EvalModel.Status.RETIRED)
    model.status = EvalModel.Status.RETIRED
    return model


# --- bulk answer upload --------------------------------------------------------

_LINE_FIELDS = {"model", "prompt", "text", "latency_ms", "token_count"}


@dataclass
class UploadReport:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    results: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "lines": self.lines,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "results": self.results,
        }


@dataclass(frozen=True)
class _Line:
    number: int
    model: str
    prompt: str
    text: str
    latency_ms: int
    token_count: int | None


def _int_field(obj, name):
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31 - 1:
        raise ValueError(f"{name} must be a non-negative integer.")
    return value


def _parse_line(number: int, raw: str) -> _Line:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object.")
    unknown = sorted(set(obj) - _LINE_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}.")
    model, prompt, text = obj.get("model"), obj.get("prompt"), obj.get("text")
    if not isinstance(model, str) or not model:
        raise ValueError("model (the model's slug) is required.")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt (the prompt's key) is required.")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string.")
    if len(text) > settings.PROVIDER_ANSWER_MAX_CHARS:
        raise ValueError(f"text is longer than {settings.PROVIDER_ANSWER_MAX_CHARS} characters.")
    return _Line(
        number=number,
        model=model,
        prompt=prompt,
        text=text,
        latency_ms=_int_field(obj, "latency_ms") or 0,
        token_count=_int_field(obj, "token_count"),
    )


def answers_upload(*, principal, body: bytes) -> UploadReport:
    """Store answers from a JSONL body, all or nothing.

    Each line is ``{"model": slug, "prompt": key, "text": ..., "latency_ms"?,
    "token_count"?}``. Idempotent per (model, prompt): the same text again is
    "unchanged", a new text replaces the old one, unless the old one was
    already shown in a battle (then the votes would describe a text that no
    longer exists). Any invalid line rejects the whole upload and the report
    lists every invalid line, so that a provider fixes the file and resends it.
    """
    report = UploadReport()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("invalid_encoding", "The body must be UTF-8 encoded JSON lines.") from None
    parsed: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        report.lines += 1
        if report.lines > settings.PROVIDER_UPLOAD_MAX_LINES:
            raise ApiError(
                "too_many_lines",
                f"At most {settings.PROVIDER_UPLOAD_MAX_LINES} answers per upload.",
                413,
            )
        try:
            parsed.append(_parse_line(number, raw))
        except ValueError as exc:
            report.errors.append({"line": number, "code": "invalid_line", "detail": str(exc)})
    if report.lines == 0:
        raise ApiError("empty_upload", "The body holds no JSON lines.")

    models = {m.slug: m for m in EvalModel.objects.filter(slug__in={line.model for line in parsed})}
    prompts = {
        p.key: p
        for p in Prompt.objects.filter(
            key__in={line.prompt for line in parsed}, prompt_sets__is_published=True
        ).distinct()
    }
    seen: set[tuple[int, int]] = set()
    valid: list[tuple[_Line, EvalModel, Prompt]] = []
    for line in parsed:
        model = models.get(line.model)
        if model is None or not principal.can_see_org(model.organization_id):
            # Another organisation's model reads as unknown: no probing for names.
            report.errors.append(
                {
                    "line": line.number,
                    "code": "unknown_model",
                    "detail": f"No model {line.model!r} in your organisation.",
                }
            )
            continue
        prompt = prompts.get(line.prompt)
        if prompt is None:
            report.errors.append(
                {
                    "line": line.number,
                    "code": "unknown_prompt",
                    "detail": f"No prompt {line.prompt!r} in a published prompt set.",
                }
            )
            continue
        if (model.pk, prompt.pk) in seen:
            report.errors.append(
                {
                    "line": line.number,
                    "code": "duplicate",
                    "detail": f"A second answer of {line.model!r} to {line.prompt!r}.",
                }
            )
            continue
        seen.add((model.pk, prompt.pk))
        valid.append((line, model, prompt))
    if report.errors:
        return report
    _answers_store(valid, report)
    return report


@transaction.atomic(durable=True)
def _answers_store(valid, report: UploadReport) -> None:
    existing = {
        (a.model_id, a.prompt_id): a
        for a in Answer.objects.filter(
            model_id__in={m.pk for _, m, _ in valid}, prompt_id__in={p.pk for _, _, p in valid}
        )
    }
    changed = [
        existing[(m.pk, p.pk)].pk
        for line, m, p in valid
        if (m.pk, p.pk) in existing and existing[(m.pk, p.pk)].text != line.text
    ]
    in_battles = set()
    if changed:
        for a_id, b_id in Battle.objects.filter(
            Q(answer_a_id__in=changed) | Q(answer_b_id__in=changed)
        ).values_list("answer_a_id", "answer_b_id"):
            in_battles |= {a_id, b_id}
    rows = []
    for line, model, prompt in valid:
        old = existing.get((model.pk, prompt.pk))
        token_count = (
            token_count_estimate(line.text) if line.token_count is None else line.token_count
        )
        if old is not None and old.text == line.text:
            status = "unchanged"
            if old.latency_ms != line.latency_ms or old.token_count != token_count:
                status = "updated"
        elif old is not None and old.pk in in_battles:
            report.errors.append(
                {
                    "line": line.number,
                    "code": "answer_in_use",
                    "detail": "This answer was already shown in battles; it cannot be replaced.",
                }
            )
            continue
        else:
            status = "updated" if old is not None else "created"
        setattr(report, status, getattr(report, status) + 1)
        report.results.append(
            {"line": line.number, "model": model.slug, "prompt": prompt.key, "status": status}
        )
        if status == "unchanged":
            continue
        rows.append(
            Answer(
                prompt=prompt,
                model=model,
                text=line.text,
                html=markdown.render(line.text),
                latency_ms=line.latency_ms,
                token_count=token_count,
            )
        )
    if report.errors:
        # Nothing was written yet; keep "all or nothing".
        report.created = report.updated = report.unchanged = 0
        report.results = []
        return
    if rows:
        # update_conflicts makes a concurrent upload of the same (model, prompt)
        # an update instead of an IntegrityError.
        Answer.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["prompt", "model"],
            update_fields=["text", "html", "latency_ms", "token_count"],
        )
