"""Writes of the provider API: models, prompt sets and bulk answer uploads."""

import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from datafi.api import ApiError
from evals import catalogue, identity, markdown
from evals.models import Answer, Battle, EvalModel, GenerationJob, Prompt, PromptSet
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
    """Register an answers-only model for ``organization``, pending an operator's
    review; 409 if the name is taken."""
    return model_insert(organization=organization, name=name, description=description)


def _refuse_taken_name(name: str, *, other_than: int | None = None) -> None:
    """409 if another model has the name in any case, or one that makes the
    same slug ("Halcyon 9" for Halcyon-9), which voters and the identity check
    read as the same name: registration, rename and release alike."""
    taken = EvalModel.objects.filter(Q(slug=slugify(name)[:80]) | Q(name__iexact=name))
    if taken.exclude(pk=other_than).exists():
        raise _model_exists(name)


def _model_exists(name: str) -> ApiError:
    return ApiError("model_exists", f"A model named {name!r} already exists.", 409)


def model_insert(*, organization, name: str, description: str = "") -> EvalModel:
    """``model_create`` inside the caller's transaction (a live model's
    registration writes its endpoint in the same one)."""
    name = _clean_name(name)
    slug = slugify(name)[:80]
    _refuse_taken_name(name)
    try:
        with transaction.atomic():
            return EvalModel.objects.create(
                slug=slug, name=name, organization=organization, description=description or ""
            )
    except IntegrityError:
        # A concurrent request registered the same name between check and insert.
        raise _model_exists(name) from None


# Held (exclusively) while a model's name changes and its consequences are
# written, and (shared) while an upload stores answers it checked against the
# names: an upload never stores, unchecked, a name that a concurrent rename
# commits, and a rename's re-check sees every upload that committed before it.
# PostgreSQL only (SQLite runs one write transaction at a time anyway).
_NAMES_LOCK = 0x646174616669  # "datafi"


def _names_lock(*, shared: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_NAMES_LOCK])  # noqa: S608 (a constant)


def _servable_answers():
    # Live turns (user prompts) are never in the catalogue: masked when shown.
    return Answer.objects.exclude(prompt__source=Prompt.Source.USER)


def answers_withhold_naming(names, *, model_id: int | None = None) -> int:
    """Withhold every servable answer (of the model ``model_id`` only, if given)
    that shows one of ``names`` (a model's name that was no name when the
    answers were checked). In the caller's transaction; returns how many were
    withheld."""
    pattern = identity.build_pattern(names)
    candidates = _servable_answers().filter(withheld_reason="")
    if model_id is not None:
        candidates = candidates.filter(model_id=model_id)
    found = {}
    for pk, text, html in candidates.values_list("pk", "text", "html").iterator(chunk_size=2000):
        reason = identity.withheld_reason(text, pattern, html or None)
        if reason:
            found[pk] = reason
    for pk, reason in found.items():
        Answer.objects.filter(pk=pk).update(withheld_reason=reason)
    return len(found)


@dataclass(frozen=True)
class AnswerRecheck:
    """One withheld answer whose reason the current names change: ``new`` is
    "" when it is served again."""

    answer_id: int
    model: str
    prompt: str
    old: str
    new: str


@dataclass(frozen=True)
class AnswersRecheck:
    """What ``answers_recheck`` found: how many withheld answers it checked,
    restored (served again) and re-worded (still withheld, naming other names),
    and each change."""

    checked: int = 0
    restored: int = 0
    reworded: int = 0
    changes: tuple[AnswerRecheck, ...] = ()

    @property
    def kept(self) -> int:
        return self.checked - self.restored


def answers_recheck_locked(*, dry_run: bool = False) -> AnswersRecheck:
    """Check every answer withheld as an identity leak again against the names
    that count now, as an upload is checked (``identity.known_names`` and the
    model's own names): those that show none are served again, the others
    keep a reason naming what they show now. ``dry_run``: write nothing.

    Reasons are written when the answer is stored or a sweep withholds it, and
    nothing checked them again when the names changed: answers withheld under
    older rules (an organisation or a pending model nobody approved, a name
    of one character), or for a name that counts no more (a rejected model, a
    vendor dropped from ``LIVE_KNOWN_VENDORS``), stayed out of battles for
    good. In the caller's transaction, which took the names lock (exclusive)
    unless ``dry_run``: an upload or a review cannot change the names between
    the check and the write. Never withholds an answer that is served."""
    prefix = identity.LEAK_REASON_PREFIX
    candidates = _servable_answers().filter(withheld_reason__startswith=prefix)
    rows = candidates.order_by("pk").values_list(
        "pk",
        "model_id",
        "model__slug",
        "prompt_id",
        "prompt__key",
        "text",
        "html",
        "withheld_reason",
    )
    known = None
    patterns = {}  # by model: its own names count too
    checked = 0
    changes = []
    notes = {}  # (model id, prompt key or id) -> the new reason, for the jobs' notes
    for pk, model_id, slug, prompt_id, key, text, html, old in rows.iterator(chunk_size=2000):
        checked += 1
        if model_id not in patterns:
            known = identity.known_names() if known is None else known
            own = identity.own_names(EvalModel.objects.get(pk=model_id))
            patterns[model_id] = identity.build_pattern(known | own)
        new = identity.withheld_reason(text, patterns[model_id], html or None)
        if new == old:
            continue
        changes.append(AnswerRecheck(answer_id=pk, model=slug, prompt=key, old=old, new=new))
        # A job's note names the prompt by its key (its id if it had none).
        notes[(model_id, key or str(prompt_id))] = new
    restored = sum(1 for change in changes if not change.new)
    result = AnswersRecheck(
        checked=checked,
        restored=restored,
        reworded=len(changes) - restored,
        changes=tuple(changes),
    )
    if dry_run or not changes:
        return result
    for change in changes:
        # Only if the reason is still the one checked: an answer stored again
        # since (answer_upsert takes no names lock) was checked as it was stored.
        Answer.objects.filter(pk=change.answer_id, withheld_reason=change.old).update(
            withheld_reason=change.new
        )
    _generation_notes_recheck(notes)
    catalogue.catalogue_changed()
    return result


def _generation_notes_recheck(notes: dict) -> None:
    # The provider page and the jobs API list a job's withheld answers with
    # their reason (GenerationJob.notes): a restored answer is no longer listed
    # (nor counted as withheld), a re-worded one shows its new reason. The
    # notes keep the first few prompts of a job only: a job with more withheld
    # answers than notes keeps counting those it has no note of.
    model_ids = sorted({model_id for model_id, _ in notes})
    # Row locks, as a running job's writer takes them to append a note.
    jobs = GenerationJob.objects.select_for_update().filter(model_id__in=model_ids).order_by("pk")
    for job in jobs:
        kept, dropped, changed = [], 0, False
        for note in job.notes:
            reason = None
            if isinstance(note, dict) and note.get("kind") == "withheld":
                reason = notes.get((job.model_id, note.get("prompt")))
            if reason is None:
                kept.append(note)
            elif not reason:
                dropped += 1
                changed = True
            else:
                kept.append({**note, "reason": reason})
                changed = changed or reason != note.get("reason")
        if changed:
            GenerationJob.objects.filter(pk=job.pk).update(
                notes=kept, withheld=max(0, job.withheld - dropped)
            )


@transaction.atomic(durable=True)
def answers_recheck(*, dry_run: bool = False) -> AnswersRecheck:
    """``answers_recheck_locked`` under the names lock (operators: ``manage.py
    answers_recheck`` after the names' inputs changed, e.g. LIVE_KNOWN_VENDORS)."""
    if not dry_run:
        _names_lock(shared=False)
    return answers_recheck_locked(dry_run=dry_run)


@transaction.atomic(durable=True)
def model_update(*, model: EvalModel, name: str | None = None, description=None) -> EvalModel:
    """Rename or re-describe a model. The slug never changes: it identifies the
    model in battles and datasets.

    A new name was no name when the stored answers were checked: this model's
    answers that show it are withheld, and an approved model goes back to the
    operators' review queue (they approved it under its old name), in the same
    transaction as the rename. Other models' answers that show it are withheld
    only when an operator approves the name (``model_approve``): a provider's
    rename alone (to a rival's product, or a common word) must not take other
    providers' answers out of the arena.
    """
    fields = []
    if name is not None and model.prerelease == EvalModel.Prerelease.TESTING:
        # Its name is the codename it committed to; the real name comes at release.
        raise ApiError(
            "in_testing",
            gettext("A model in pre-release testing keeps its codename until it is released."),
            409,
        )
    renamed_from = None
    if name is not None:
        name = _clean_name(name)
        _names_lock(shared=False)
        current = EvalModel.objects.select_for_update().get(pk=model.pk)
        _refuse_taken_name(name, other_than=model.pk)
        if name != current.name:
            renamed_from = current.name
            model.approval = current.approval
        model.name = name
        fields.append("name")
    if description is not None:
        model.description = description
        fields.append("description")
    if renamed_from is not None and model.approval == EvalModel.Approval.APPROVED:
        model.approval = EvalModel.Approval.PENDING
        model.approval_reason = (
            f"Renamed from {renamed_from!r} to {name!r}: waiting for an operator's review."
        )[:1000]
        model.reviewed_by, model.reviewed_at = None, None
        fields += ["approval", "approval_reason", "reviewed_by", "reviewed_at"]
    if fields:
        try:
            with transaction.atomic():
                model.save(update_fields=fields)
        except IntegrityError:
            raise _model_exists(name) from None
    if renamed_from is not None:
        answers_withhold_naming([name], model_id=model.pk)
        catalogue.catalogue_changed()
    return model


def _answers_withhold_for_accepted_name(model: EvalModel) -> int:
    # The operator accepts the name: every answer that shows it, any model's,
    # is withheld (a rename withheld only the model's own). Its slug too (the
    # upload check counts slugs as names) when it is the name's own, as the
    # review page shows the name alone: a slug left from an earlier name
    # ("python", renamed to "Nice Model") is not what the operator accepted,
    # and was swept when that name was approved, if ever.
    names = [model.name]
    if model.slug == slugify(model.name)[:80]:
        names.append(model.slug)
    # Its provider's names and its endpoint's model id count from now on too
    # (identity.known_names counts those of approved models only).
    names += sorted(identity.own_names(model) - {model.slug})
    withheld = answers_withhold_naming(names)
    if model.slug not in names:
        # Its own answers that show that slug are, though: they name the model
        # itself (by the name it was served under, if ever), and a rejection in
        # between served them again ("Halcyon-9" renamed, rejected, renamed
        # again and approved) or let its upload store them.
        withheld += answers_withhold_naming([model.slug], model_id=model.pk)
    return withheld


def names_lock() -> None:
    """The names lock, exclusive, until the caller's transaction ends: taken
    before a model's row by whatever changes its name (the admin's change form
    too, as ``model_update`` takes them)."""
    _names_lock(shared=False)


def model_renamed_by_operator_locked(*, model: EvalModel) -> int:
    """After an operator renamed ``model`` in the admin, in the caller's
    transaction (which took ``names_lock`` before writing the row): an approved
    model is served under the new name from the commit, and the operator
    accepted it by giving it, so every answer that shows it is withheld, as at
    an approval. (A model waiting for review is swept when it is approved.)
    Returns how many answers were withheld."""
    if model.approval != EvalModel.Approval.APPROVED:
        return 0
    withheld = _answers_withhold_for_accepted_name(model)
    catalogue.catalogue_changed()
    return withheld


@dataclass(frozen=True)
class ModelReview:
    """An operator's review: the model, and the answers it withheld (an
    approval: they show the name it accepted) or served again (a rejection:
    they were withheld only for the name it dropped)."""

    model: EvalModel
    withheld: int = 0
    restored: int = 0


@transaction.atomic
def _model_review(
    *, model: EvalModel, approval: str, by, reason: str, shown_name: str | None
) -> ModelReview:
    # Not durable: the admin adds a model in its own transaction, then approves it.
    if by is not None and not by.is_staff:
        raise ApiError("forbidden", "Only operators review models.", 403)
    reason = (reason or "").strip()
    if approval == EvalModel.Approval.REJECTED and not reason:
        raise ApiError("reason_required", "Say why the model is rejected: the provider sees it.")
    # The names, then the row, as a rename takes them: a rename cannot slip
    # between the review and the re-check of the answers, and an upload that
    # checked its lines against the names stores them before or after both.
    _names_lock(shared=False)
    current = EvalModel.objects.select_for_update().get(pk=model.pk)
    if shown_name is not None and current.name != shown_name:
        # Renamed since the review page showed it: the operator would accept
        # (or refuse) a name they never saw, which is what a rename sends a
        # model back to review for.
        raise ApiError(
            "renamed",
            gettext(
                "%(shown)r was renamed to %(name)r after the page showed it: nothing "
                "was changed, review it again under its new name."
            )
            % {"shown": shown_name, "name": current.name},
            409,
        )
    now = timezone.now()
    EvalModel.objects.filter(pk=model.pk).update(
        approval=approval, approval_reason=reason, reviewed_by=by, reviewed_at=now
    )
    model.name = current.name
    model.approval, model.approval_reason = approval, reason
    model.reviewed_by, model.reviewed_at = by, now
    withheld = restored = 0
    if approval == EvalModel.Approval.APPROVED:
        withheld = _answers_withhold_for_accepted_name(current)
    else:
        # A rejected model's names count no more (identity.known_names), nor
        # its organisation's and endpoint's if no other model makes them count:
        # the answers withheld for them alone are served again (and any left
        # withheld under older rules, which nothing checked again before).
        restored = answers_recheck_locked().restored
    catalogue.catalogue_changed()
    return ModelReview(model=model, withheld=withheld, restored=restored)


def model_approve(
    *, model: EvalModel, by, reason: str = "", shown_name: str | None = None
) -> ModelReview:
    """Let a model into the arena, and withhold every answer that shows its
    name; records who (None: an operator command), when and why.
    ``shown_name``: the name the operator's page showed (a 409 if it changed)."""
    return _model_review(
        model=model,
        approval=EvalModel.Approval.APPROVED,
        by=by,
        reason=reason,
        shown_name=shown_name,
    )


def model_reject(
    *, model: EvalModel, by, reason: str, shown_name: str | None = None
) -> ModelReview:
    """Keep a model out of the arena, with the reason the provider will read;
    answers withheld only for showing its names (or names that no longer count
    for any other reason) are served again (``answers_recheck_locked``).
    ``shown_name``: as for ``model_approve``."""
    return _model_review(
        model=model,
        approval=EvalModel.Approval.REJECTED,
        by=by,
        reason=reason,
        shown_name=shown_name,
    )


def model_retire(*, model: EvalModel) -> EvalModel:
    """Take a model out of the arena; its battles and answers stay."""
    if model.prerelease == EvalModel.Prerelease.TESTING:
        # Retiring would end its testing without disclosing its results.
        raise ApiError(
            "in_testing",
            gettext("This model is in pre-release testing: release or withdraw it instead."),
            409,
        )
    EvalModel.objects.filter(pk=model.pk).update(status=EvalModel.Status.RETIRED)
    model.status = EvalModel.Status.RETIRED
    catalogue.catalogue_changed()
    return model


# --- pre-release testing (datafi.flows.prerelease orchestrates) -------------------


def model_testing_insert(*, organization, codename: str, description: str = "") -> EvalModel:
    """Register a model in pre-release testing under ``codename``, in the caller's
    transaction (which also stores its commitment). Pending review as any model."""
    model = model_insert(organization=organization, name=codename, description=description)
    # Whole seconds: the commitment's preimage states the start to the second.
    started = timezone.now().replace(microsecond=0)
    EvalModel.objects.filter(pk=model.pk).update(
        prerelease=EvalModel.Prerelease.TESTING, codename=model.name, testing_started_at=started
    )
    model.refresh_from_db()
    return model


def model_testing_end_locked(*, model_id: int, outcome: str, name: str = "") -> EvalModel:
    """End a model's testing: released under ``name``, or withdrawn (retired).

    In the caller's transaction: the row lock makes a second release or
    withdrawal, concurrent or later, a 409 instead of a second disclosure.
    """
    if outcome == EvalModel.Prerelease.RELEASED:
        _names_lock(shared=False)  # before the row, as a rename takes them
    model = EvalModel.objects.select_for_update().get(pk=model_id)
    if model.prerelease != EvalModel.Prerelease.TESTING:
        raise ApiError(
            "not_in_testing",
            gettext("Model %(slug)r is not in pre-release testing (%(state)s).")
            % {"slug": model.slug, "state": model.get_prerelease_display()},
            409,
        )
    now = timezone.now()
    fields = {"testing_ended_at": now}
    if outcome == EvalModel.Prerelease.RELEASED:
        name = _clean_name(name)
        _refuse_taken_name(name, other_than=model.pk)
        fields.update(prerelease=EvalModel.Prerelease.RELEASED, name=name)
    elif outcome == EvalModel.Prerelease.WITHDRAWN:
        fields.update(prerelease=EvalModel.Prerelease.WITHDRAWN, status=EvalModel.Status.RETIRED)
    else:
        raise ValueError(f"not an end of testing: {outcome!r}")
    try:
        with transaction.atomic():
            EvalModel.objects.filter(pk=model.pk).update(**fields)
    except IntegrityError:
        raise _model_exists(name) from None
    if outcome == EvalModel.Prerelease.RELEASED:
        # The public name was no name while the answers were checked. Unlike a
        # rename, the model stays approved (an operator reviewed it in testing)
        # and is served under this name from the commit: every answer that
        # shows it, any model's, is withheld now, not at a later review.
        answers_withhold_naming([name])
    catalogue.catalogue_changed()
    model.refresh_from_db()
    return model


# --- bulk answer upload --------------------------------------------------------

_LINE_FIELDS = {"model", "prompt", "text", "latency_ms", "token_count"}
# As the schema states (and a NUL would never reach the database).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")
# Line errors that mean "no such model or prompt of yours" (the upload is a 404).
NOT_FOUND_CODES = frozenset({"unknown_model", "unknown_prompt"})


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
    if name not in obj:
        return None
    value = obj[name]
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
    if not isinstance(model, str) or not _SLUG.fullmatch(model):
        raise ValueError("model (the model's slug: letters, digits, - and _) is required.")
    if not isinstance(prompt, str) or not _SLUG.fullmatch(prompt):
        raise ValueError("prompt (the prompt's key: letters, digits, - and _) is required.")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string.")
    if "\x00" in text:
        # PostgreSQL text cannot hold NUL: refuse it here, not with a 500.
        raise ValueError("text may not contain NUL characters (\\u0000).")
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
    # Lines end at "\n" only: str.splitlines() would also cut at U+2028 and other
    # separators that a JSON string may hold unescaped.
    for number, raw in enumerate(text.split("\n"), 1):
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
    valid: list[tuple[_Line, EvalModel, Prompt, str]] = []
    known = identity.known_names()
    patterns: dict[int, identity.NamePattern] = {}  # by model: its own names count too
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
        # Voters judge answers blind: one that names a model or provider would
        # tell them who is who, so it is refused here rather than stored. The
        # name is looked for as the voter would see it too (rendered: entities,
        # emphasis, invisible characters), so the rendering is checked and kept.
        html = markdown.render(line.text)
        if model.pk not in patterns:
            patterns[model.pk] = identity.build_pattern(known | identity.own_names(model))
        named = patterns[model.pk].find(line.text, html)
        if named:
            report.errors.append(_identity_leak(line, named))
            continue
        valid.append((line, model, prompt, html))
    if report.errors:
        return report
    _answers_store(valid, report, known)
    return report


def _identity_leak(line: _Line, named: list[str]) -> dict:
    return {
        "line": line.number,
        "code": "identity_leak",
        "detail": (
            f"The text names a model or provider ({', '.join(named)}); "
            "answers are shown anonymously, so remove the names."
        ),
    }


@transaction.atomic(durable=True)
def _answers_store(valid, report: UploadReport, known: set[str]) -> None:
    # A model renamed since the lines were checked: check them against its new
    # name too, under the lock a rename holds while it re-checks stored answers.
    _names_lock(shared=True)
    added = identity.known_names() - known
    if added:
        pattern = identity.build_pattern(added)
        for line, _, _, html in valid:
            named = pattern.find(line.text, html)
            if named:
                report.errors.append(_identity_leak(line, named))
        if report.errors:
            return
    existing = {
        (a.model_id, a.prompt_id): a
        for a in Answer.objects.filter(
            model_id__in={m.pk for _, m, _, _ in valid},
            prompt_id__in={p.pk for _, _, p, _ in valid},
        )
    }
    changed = [
        existing[(m.pk, p.pk)].pk
        for line, m, p, _ in valid
        if (m.pk, p.pk) in existing and existing[(m.pk, p.pk)].text != line.text
    ]
    in_battles = set()
    if changed:
        for a_id, b_id in Battle.objects.filter(
            Q(answer_a_id__in=changed) | Q(answer_b_id__in=changed)
        ).values_list("answer_a_id", "answer_b_id"):
            in_battles |= {a_id, b_id}
    rows = []
    for line, model, prompt, html in valid:
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
                html=html,
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
        catalogue.catalogue_changed()
