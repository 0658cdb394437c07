"""What the arena can serve, as a per-process copy: the sampler's candidates.

Every serve chooses from the same slowly changing sets: the active operator
prompts (with their languages), per prompt, the answers of active, approved
models that are not withheld, and the active gold pairs among them. Reading
them from the database on each serve was most of the serve's queries; each
process keeps a copy instead, tagged with a version token kept in the Django
cache (Redis in production, so every process sees it). The writes that change
any of it (gold pairs included) call ``catalogue_changed``: this process drops
its copy at once, and the shared token is replaced when the transaction
commits, so every other process reloads on its next serve.

The copy only proposes. The two answers a serve returns are read with the
same conditions in the query that fetches them (``answers_servable``), so an
answer withheld, a model unapproved or retired, or a prompt deactivated is
never served once its change has committed, even by a process whose copy is
older or after a write that did not call ``catalogue_changed`` (a shell
``update()``); such a copy is also reloaded after ``ARENA_CATALOGUE_TTL``
seconds, so additions made that way show up too.
"""

import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from evals.models import Answer, EvalModel, Prompt
from evals.quality.models import GoldPair

VERSION_KEY = "evals:catalogue:version"


@dataclass(frozen=True)
class Catalogue:
    version: str | None
    loaded_at: float
    # Servable prompt ids, ascending: all of them and by language.
    prompts: tuple[int, ...] = ()
    by_language: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # prompt id -> {model id: answer id}, servable answers only.
    answers: dict[int, dict[int, int]] = field(default_factory=dict)
    # prompt id -> its model pairs (lo, hi), lo < hi: what a draw can pick there.
    pairs: dict[int, frozenset[tuple[int, int]]] = field(default_factory=dict)
    # prompt id -> its language.
    language_of: dict[int, str] = field(default_factory=dict)
    # Active gold pairs whose two answers are servable, newest first:
    # (gold pair id, prompt id, better answer id, worse answer id).
    gold: tuple[tuple[int, int, int, int], ...] = ()

    def prompts_in(self, languages) -> tuple[int, ...]:
        """The servable prompts in ``languages`` (all of them when it is empty)."""
        if not languages:
            return self.prompts
        if len(languages) == 1:
            return self.by_language.get(languages[0], ())
        return tuple(sorted(p for lang in set(languages) for p in self.by_language.get(lang, ())))


_copy: dict = {"catalogue": None, "checked_at": float("-inf")}
_lock = threading.Lock()


def _servable_prompts():
    return Prompt.objects.filter(is_active=True).exclude(source=Prompt.Source.USER)


def answers_servable():
    """Answers a voter may be shown: of an active, approved model, not withheld
    (it names no model), on an active operator prompt."""
    return Answer.objects.filter(
        withheld_reason="",
        model__status=EvalModel.Status.ACTIVE,
        model__approval=EvalModel.Approval.APPROVED,
        prompt__is_active=True,
    ).exclude(prompt__source=Prompt.Source.USER)


# The conditions of answers_servable(), as one statement for the two answers a
# serve returns, with their prompt's columns: compiling the ORM query with its
# joins cost about 1.3 ms of CPU on every serve, this about 0.25 ms.
# tests/evals/test_serve_catalogue.py holds the two equal on every condition.
# Only table names (constants) are formatted in; every value is a parameter.
_SERVABLE_PAIR = (
    "SELECT a.id, a.prompt_id, a.model_id, a.text, a.html, p.text, p.category, p.language "  # noqa: S608
    f"FROM {Answer._meta.db_table} a "
    f"JOIN {EvalModel._meta.db_table} m ON m.id = a.model_id "
    f"JOIN {Prompt._meta.db_table} p ON p.id = a.prompt_id "
    "WHERE a.id IN (%s, %s) AND a.withheld_reason = %s AND m.status = %s "
    "AND m.approval = %s AND p.is_active = %s AND p.source <> %s"
)
_ANSWER_COLUMNS = ["id", "prompt_id", "model_id", "text", "html"]
_PROMPT_COLUMNS = ["id", "text", "category", "language"]


def answers_servable_pair(first: int, second: int) -> dict[int, Answer]:
    """The two answers by id, each with its prompt, that may be served now: the
    same conditions as answers_servable(). An id missing from the result is not
    servable (any more). The instances hold the columns a serve reads (answer
    text and HTML; prompt text, category, language); any other loads on access."""
    params = [
        first,
        second,
        "",
        EvalModel.Status.ACTIVE,
        EvalModel.Approval.APPROVED,
        True,
        Prompt.Source.USER,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SERVABLE_PAIR, params)
        rows = cursor.fetchall()
    out = {}
    for answer_id, prompt_id, model_id, answer_text, html, text, category, language in rows:
        # Model.from_db: instances as the ORM loads them, the other fields deferred.
        answer = Answer.from_db(
            connection.alias, _ANSWER_COLUMNS, [answer_id, prompt_id, model_id, answer_text, html]
        )
        answer.prompt = Prompt.from_db(
            connection.alias, _PROMPT_COLUMNS, [prompt_id, text, category, language]
        )
        out[answer_id] = answer
    return out


def _shared_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # First reader after a cache flush: start a token (add: never replace one).
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _load(version) -> Catalogue:
    by_language: dict[str, list[int]] = {}
    prompts = []
    for prompt_id, language in _servable_prompts().order_by("id").values_list("id", "language"):
        prompts.append(prompt_id)
        by_language.setdefault(language, []).append(prompt_id)
    answers: dict[int, dict[int, int]] = {}
    for answer_id, prompt_id, model_id in answers_servable().values_list(
        "id", "prompt_id", "model_id"
    ):
        answers.setdefault(prompt_id, {})[model_id] = answer_id
    servable = {a for by_model in answers.values() for a in by_model.values()}
    gold = tuple(
        row
        # Newest first (GoldPair's own ordering, said here): a serve's random
        # draw walks this tuple, so its order is part of what a seed reproduces.
        for row in GoldPair.objects.filter(is_active=True)
        .order_by("-created_at")
        .values_list("id", "prompt_id", "answer_better_id", "answer_worse_id")
        if row[2] in servable and row[3] in servable
    )
    pairs = {}
    for prompt_id, by_model in answers.items():
        models = sorted(by_model)
        pairs[prompt_id] = frozenset(
            (lo, hi) for i, lo in enumerate(models) for hi in models[i + 1 :]
        )
    return Catalogue(
        version=version,
        loaded_at=time.monotonic(),
        prompts=tuple(prompts),
        by_language={lang: tuple(ids) for lang, ids in by_language.items()},
        answers=answers,
        pairs=pairs,
        language_of={p: lang for lang, ids in by_language.items() for p in ids},
        gold=gold,
    )


def catalogue_current() -> Catalogue:
    """This process's copy, reloaded when the shared version moved or it is too old.

    The shared version is read at most every ARENA_CATALOGUE_CHECK_S seconds
    (a cache read per serve was 2% of a web worker's CPU): another process's
    change reaches this copy that much later. Nothing unservable gets out in
    between: the serve re-reads its two answers' conditions in the database
    (answers_servable_pair), and this process's own writes drop the copy at once.
    """
    now = time.monotonic()
    with _lock:
        current = _copy["catalogue"]
        checked_at = _copy["checked_at"]
    fresh_enough = current is not None and now - current.loaded_at < settings.ARENA_CATALOGUE_TTL
    if fresh_enough and now - checked_at < settings.ARENA_CATALOGUE_CHECK_S:
        return current
    version = _shared_version()
    if fresh_enough and current.version == version:
        with _lock:
            _copy["checked_at"] = now
        return current
    fresh = _load(version)
    with _lock:
        _copy.update(catalogue=fresh, checked_at=now)
    return fresh


def catalogue_forget() -> None:
    """Drop this process's copy (the next serve reloads it)."""
    with _lock:
        _copy.update(catalogue=None, checked_at=float("-inf"))


def _version_bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def catalogue_changed() -> None:
    """Call after writing prompts, answers or models: this process forgets its copy
    now, every process once the write commits."""
    catalogue_forget()
    # After the commit: a process that reloaded in between read the old rows
    # under the old token; the new token makes it read them again.
    transaction.on_commit(_version_bump)
    transaction.on_commit(catalogue_forget)
