"""Preference datasets, streamed with constant memory.

The rows are read with one streaming query (a server-side cursor on
PostgreSQL) of ids and small columns; prompt and answer texts come from
bounded caches filled one chunk at a time, since a few thousand answers are
repeated across a million battles. Each format turns a chunk of rows into one
``bytes`` piece, so memory depends on the chunk size, never on the row count.

One consistent point in time: on PostgreSQL the whole read runs in a
REPEATABLE READ, READ ONLY transaction opened *inside the generator* (a
streaming response outlives the view, so a transaction opened in the view
would have ended before the first row is sent); every statement of the export
then sees the same snapshot, however many votes or exclusions commit
meanwhile. SQLite has no such isolation level across statements, and a long
read transaction there would hold the database lock against voters, so on
SQLite the rows come from a single statement (which SQLite reads from one
snapshot) bounded by ``voted_at <= export start``; texts are read in later
statements and could show an answer edited during the export, which the
upload service forbids for answers that fought battles anyway.
"""

import csv
import functools
import io
import json
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

from django.db import connection, transaction
from django.db.models import F, FloatField, Func, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from datafi import csvsafe
from evals.models import Answer, Battle, EvalModel, Prompt, Vote
from evals.provider.selectors import testing_elsewhere, voter_pseudonym

FORMATS = ("arena-jsonl", "kaggle-csv", "dpo-jsonl", "parquet")
COMPRESSIONS = ("none", "gzip")
CONTENT_TYPES = {
    "arena-jsonl": "application/x-ndjson",
    "dpo-jsonl": "application/x-ndjson",
    "kaggle-csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}
EXTENSIONS = {
    "arena-jsonl": "jsonl",
    "dpo-jsonl": "jsonl",
    "kaggle-csv": "csv",
    "parquet": "parquet",
}
# The public release spells languages out.
LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "id": "Indonesian",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
}
ARENA_WINNER = {
    "model_a": "model_a",
    "model_b": "model_b",
    "tie": "tie",
    "both_bad": "tie (bothbad)",
}

CHUNK_ROWS = 2000
PARQUET_ROW_GROUP = 10_000
CACHE_SIZE = 8192


class ExportError(ValueError):
    pass


def _check(format: str, compression: str) -> None:
    if format not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}.")
    if compression not in COMPRESSIONS:
        raise ExportError(f"compression must be one of {', '.join(COMPRESSIONS)}.")


@dataclass(frozen=True)
class ExportSpec:
    format: str
    organization_ids: frozenset[int] | None = None  # None: every battle (operators)
    compression: str = "none"

    def __post_init__(self):
        _check(self.format, self.compression)

    @property
    def content_type(self) -> str:
        return "application/gzip" if self.compression == "gzip" else CONTENT_TYPES[self.format]

    def filename(self, label: str) -> str:
        stamp = timezone.now().strftime("%Y%m%d")
        name = f"datafi-{label}-{self.format}-{stamp}.{EXTENSIONS[self.format]}"
        return name + ".gz" if self.compression == "gzip" else name


class _Lru:
    """id -> value, bounded; loads the missing ids of a chunk in one query."""

    def __init__(self, load: Callable[[list], dict], maxsize: int | None = None):
        self._load, self._data = load, OrderedDict()
        self._maxsize = CACHE_SIZE if maxsize is None else maxsize

    def ensure(self, ids: set) -> dict:
        missing = [i for i in ids if i not in self._data]
        for start in range(0, len(missing), 500):
            self._data.update(self._load(missing[start : start + 500]))
        for i in ids:
            self._data.move_to_end(i)
        # The ids of this chunk were just moved to the end: never evicted here.
        while len(self._data) > max(self._maxsize, len(ids)):
            self._data.popitem(last=False)
        return self._data


@dataclass(slots=True)
class _Text:
    raw: str
    _json: str | None = None
    # An answer's two-turn conversation as JSON, built once: an answer always
    # belongs to the same prompt, and it recurs in many battles.
    conversation: str | None = None

    @property
    def json(self) -> str:
        if self._json is None:
            self._json = json.dumps(self.raw, ensure_ascii=False)
        return self._json


@dataclass(slots=True)
class _Prompt:
    text: _Text
    category: str
    language: str


@dataclass(slots=True)
class Row:
    id: str  # the battle's UUID as 32 hex digits
    tstamp: float
    prompt: _Prompt
    answer_a: _Text
    answer_b: _Text
    model_a: str
    model_b: str
    judge: str
    choice: str
    reasons: str  # JSON text
    time_to_vote_ms: int | None  # None: not recorded (the market's frozen rows)


def row_from_record(record: Mapping) -> Row:
    """A row from plain values, for rows read elsewhere than ``_rows`` (the data market's
    frozen versions); the writers below then treat it exactly like an export's row.

    Keys: ``id`` (32 hex digits), ``tstamp`` (seconds since 1970), ``prompt``,
    ``category``, ``language`` (ISO 639-1), ``response_a``, ``response_b``, ``model_a``,
    ``model_b``, ``judge``, ``choice`` (``model_a``, ``model_b``, ``tie``, ``both_bad``),
    ``reasons`` (a list of strings) and ``time_to_vote_ms`` (an int, or None).
    """
    if record["choice"] not in ARENA_WINNER:
        raise ExportError(f"unknown choice {record['choice']!r}")
    return Row(
        record["id"],
        float(record["tstamp"]),
        _Prompt(_Text(record["prompt"]), record["category"], record["language"]),
        _Text(record["response_a"]),
        _Text(record["response_b"]),
        record["model_a"],
        record["model_b"],
        record["judge"],
        record["choice"],
        json.dumps(list(record["reasons"])),
        record["time_to_vote_ms"],
    )


def export_queryset(spec: ExportSpec, *, until=None):
    """Voted, non-excluded battles with both answers stored, oldest vote first."""
    qs = Battle.objects.filter(
        status=Battle.Status.REVEALED,
        excluded=False,
        answer_a__isnull=False,
        answer_b__isnull=False,
    )
    if until is not None:
        qs = qs.filter(voted_at__lte=until)
    if spec.organization_ids is not None:
        from django.db.models import Q

        ids = spec.organization_ids
        qs = qs.filter(Q(model_a__organization_id__in=ids) | Q(model_b__organization_id__in=ids))
        qs = qs.exclude(testing_elsewhere(ids))
    if spec.format == "dpo-jsonl":
        qs = qs.filter(vote__choice__in=[Vote.Choice.MODEL_A, Vote.Choice.MODEL_B])
    return qs


def export_count(spec: ExportSpec) -> int:
    return export_queryset(spec, until=timezone.now()).count()


def _epoch(field: str):
    """Seconds since 1970 computed by the database: parsing a million timestamps
    into datetimes in Python is a large share of an export's time."""
    if connection.vendor == "postgresql":
        return Func(
            F(field), template="date_part('epoch', %(expressions)s)", output_field=FloatField()
        )
    return F(field)  # SQLite: a datetime, converted below


def _rows(spec: ExportSpec, until) -> Iterator[list[Row]]:
    # Ids, the voter's handle and the reasons come as text: no UUID objects
    # or JSON parsing per row (reasons are parsed only when not empty).
    qs = (
        export_queryset(spec, until=until)
        .order_by("voted_at", "id")
        .annotate(
            x_id=Cast("id", TextField()),
            x_ts=_epoch("voted_at"),
            x_voter=Cast("voter__public_id", TextField()),
            x_reasons=Cast("vote__reasons", TextField()),
        )
        .values_list(
            "x_id",
            "x_ts",
            "prompt_id",
            "answer_a_id",
            "answer_b_id",
            "model_a_id",
            "model_b_id",
            "x_voter",
            "vote__choice",
            "x_reasons",
            "vote__time_to_vote_ms",
        )
    )
    prompts = _Lru(
        lambda ids: {
            pk: _Prompt(_Text(text), category, language)
            for pk, text, category, language in Prompt.objects.filter(pk__in=ids).values_list(
                "pk", "text", "category", "language"
            )
        }
    )
    answers = _Lru(
        lambda ids: {
            pk: _Text(text)
            for pk, text in Answer.objects.filter(pk__in=ids).values_list("pk", "text")
        }
    )
    models = _Lru(
        lambda ids: dict(EvalModel.objects.filter(pk__in=ids).values_list("pk", "slug")), 4096
    )
    judges: OrderedDict = OrderedDict()
    it = qs.iterator(chunk_size=CHUNK_ROWS)
    while True:
        chunk = list(islice(it, CHUNK_ROWS))
        if not chunk:
            return
        p = prompts.ensure({r[2] for r in chunk})
        a = answers.ensure({r[3] for r in chunk} | {r[4] for r in chunk})
        m = models.ensure({r[5] for r in chunk} | {r[6] for r in chunk})
        out = []
        for bid, ts, pid, aa, ab, ma, mb, public_id, choice, reasons, ttv in chunk:
            judge = judges.get(public_id)
            if judge is None:
                judge = judges[public_id] = voter_pseudonym(public_id)
                if len(judges) > CACHE_SIZE:
                    judges.popitem(last=False)
            out.append(
                Row(
                    bid.replace("-", ""),
                    ts if isinstance(ts, float) else ts.timestamp(),
                    p[pid],
                    a[aa],
                    a[ab],
                    m[ma],
                    m[mb],
                    judge,
                    choice,
                    reasons,
                    ttv,
                )
            )
        yield out


def _consistent_chunks(spec: ExportSpec) -> Iterator[list[Row]]:
    until = timezone.now()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield from _rows(spec, until)
    else:
        # SQLite, or already inside a transaction (tests): see the module docstring.
        yield from _rows(spec, until)


# --- formats --------------------------------------------------------------------


def _language(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


@functools.lru_cache(maxsize=1024)
def _compact_json(text: str) -> str:
    """The reasons as stored (JSON text from the database) in one spelling."""
    return json.dumps(json.loads(text)) if text else "[]"


@functools.lru_cache(maxsize=256)
def _json_str(value: str) -> str:
    """JSON for a short, repeated string (a language, a category)."""
    return json.dumps(value, ensure_ascii=False)


def _arena_jsonl(chunks: Iterable[list[Row]]) -> Iterator[bytes]:
    # Lines are assembled from pre-encoded JSON pieces: the texts repeat, so
    # json.dumps runs once per text, not once per row.
    def conversation(prompt: _Prompt, answer: _Text) -> str:
        if answer.conversation is None:
            answer.conversation = (
                f'[{{"role": "user", "content": {prompt.text.json}}}, '
                f'{{"role": "assistant", "content": {answer.json}}}]'
            )
        return answer.conversation

    for rows in chunks:
        lines = []
        for r in rows:
            lines.append(
                f'{{"question_id": "{r.id}", "model_a": {_json_str(r.model_a)}, '
                f'"model_b": {_json_str(r.model_b)}, "winner": "{ARENA_WINNER[r.choice]}", '
                f'"judge": "{r.judge}", '
                f'"conversation_a": {conversation(r.prompt, r.answer_a)}, '
                f'"conversation_b": {conversation(r.prompt, r.answer_b)}, '
                f'"turn": 1, "anony": true, "language": {_json_str(_language(r.prompt.language))}, '
                f'"tstamp": {r.tstamp!r}}}\n'
            )
        yield "".join(lines).encode()


def _dpo_jsonl(chunks: Iterable[list[Row]]) -> Iterator[bytes]:
    for rows in chunks:
        lines = []
        for r in rows:
            if r.choice == "model_a":
                chosen, rejected, chosen_model, rejected_model = (
                    r.answer_a,
                    r.answer_b,
                    r.model_a,
                    r.model_b,
                )
            elif r.choice == "model_b":
                chosen, rejected, chosen_model, rejected_model = (
                    r.answer_b,
                    r.answer_a,
                    r.model_b,
                    r.model_a,
                )
            else:  # ties and both_bad say nothing about which answer is preferred
                continue
            lines.append(
                f'{{"prompt": {r.prompt.text.json}, "chosen": {chosen.json}, '
                f'"rejected": {rejected.json}, "chosen_model": {_json_str(chosen_model)}, '
                f'"rejected_model": {_json_str(rejected_model)}, "question_id": "{r.id}", '
                f'"judge": "{r.judge}", "category": {_json_str(r.prompt.category)}, '
                f'"language": {_json_str(r.prompt.language)}, '
                f'"reasons": {_compact_json(r.reasons)}, '
                f'"time_to_vote_ms": {"null" if r.time_to_vote_ms is None else r.time_to_vote_ms}, '
                f'"tstamp": {r.tstamp!r}}}\n'
            )
        yield "".join(lines).encode()


KAGGLE_COLUMNS = [
    "id",
    "model_a",
    "model_b",
    "prompt",
    "response_a",
    "response_b",
    "winner_model_a",
    "winner_model_b",
    "winner_tie",
]


def _kaggle_csv(chunks: Iterable[list[Row]]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(KAGGLE_COLUMNS)
    for rows in chunks:
        # The competition's prompt/response cells are JSON lists of strings
        # (one per turn); ours are single-turn.
        writer.writerows(
            (
                # Names are the providers' own text: never a formula (prompt and
                # response cells start with "[", the rest are numbers).
                csvsafe.cell(r.id),
                csvsafe.cell(r.model_a),
                csvsafe.cell(r.model_b),
                f"[{r.prompt.text.json}]",
                f"[{r.answer_a.json}]",
                f"[{r.answer_b.json}]",
                int(r.choice == "model_a"),
                int(r.choice == "model_b"),
                int(r.choice in ("tie", "both_bad")),
            )
            for r in rows
        )
        yield buf.getvalue().encode()
        buf.seek(0)
        buf.truncate()
    if buf.tell():  # no rows at all: the header alone
        yield buf.getvalue().encode()


class Sink(io.RawIOBase):
    """A write-only, unseekable file that a writer (pyarrow, zipfile) writes into and a
    generator drains: what was written since the last drain is one streamed piece."""

    def __init__(self):
        self._parts: list[bytes] = []
        self._pos = 0

    def writable(self):
        return True

    def write(self, b):
        data = bytes(b)
        self._parts.append(data)
        self._pos += len(data)
        return len(data)

    def tell(self):
        return self._pos

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def parquet_schema():
    import pyarrow as pa

    turn = pa.struct([("role", pa.string()), ("content", pa.string())])
    return pa.schema(
        [
            ("question_id", pa.string()),
            ("model_a", pa.string()),
            ("model_b", pa.string()),
            ("winner", pa.string()),
            ("judge", pa.string()),
            ("conversation_a", pa.list_(turn)),
            ("conversation_b", pa.list_(turn)),
            ("turn", pa.int32()),
            ("anony", pa.bool_()),
            ("language", pa.string()),
            ("tstamp", pa.float64()),
        ]
    )


def parquet_pieces(schema, batches: Iterable) -> Iterator[bytes]:
    """A parquet file of ``schema`` written from pyarrow record batches (one row group per
    ``PARQUET_ROW_GROUP`` rows), as one piece per batch and the footer last."""
    import pyarrow.parquet as pq

    sink = Sink()
    writer = pq.ParquetWriter(sink, schema, compression="zstd")
    for batch in batches:
        writer.write_batch(batch, row_group_size=PARQUET_ROW_GROUP)
        yield sink.drain()
    writer.close()
    yield sink.drain()


def _parquet(chunks: Iterable[list[Row]]) -> Iterator[bytes]:
    yield from parquet_pieces(parquet_schema(), _arena_batches(chunks))


def _arena_batches(chunks: Iterable[list[Row]]):
    import pyarrow as pa

    schema = parquet_schema()
    turn_type = schema.field("conversation_a").type
    pending: list[Row] = []

    def flush():
        n = len(pending)
        # Conversations as list<struct>: offsets 0, 2, 4, ... over a flat
        # array of (user, assistant) turns built column-wise, not per dict.
        offsets = pa.array(range(0, 2 * n + 1, 2), pa.int32())
        roles = pa.array(["user", "assistant"] * n, pa.string())

        def conversation(side):
            contents = []
            for r in pending:
                contents.append(r.prompt.text.raw)
                contents.append(getattr(r, side).raw)
            turns = pa.StructArray.from_arrays(
                [roles, pa.array(contents, pa.string())], fields=list(turn_type.value_type)
            )
            return pa.ListArray.from_arrays(offsets, turns, type=turn_type)

        return pa.record_batch(
            [
                pa.array([r.id for r in pending], pa.string()),
                pa.array([r.model_a for r in pending], pa.string()),
                pa.array([r.model_b for r in pending], pa.string()),
                pa.array([ARENA_WINNER[r.choice] for r in pending], pa.string()),
                pa.array([r.judge for r in pending], pa.string()),
                conversation("answer_a"),
                conversation("answer_b"),
                pa.array([1] * n, pa.int32()),
                pa.array([True] * n, pa.bool_()),
                pa.array([_language(r.prompt.language) for r in pending], pa.string()),
                pa.array([r.tstamp for r in pending], pa.float64()),
            ],
            schema=schema,
        )

    for rows in chunks:
        pending.extend(rows)
        if len(pending) >= PARQUET_ROW_GROUP:
            yield flush()
            pending.clear()
    if pending:
        yield flush()


_WRITERS = {
    "arena-jsonl": _arena_jsonl,
    "kaggle-csv": _kaggle_csv,
    "dpo-jsonl": _dpo_jsonl,
    "parquet": _parquet,
}


def gzip_pieces(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Pieces gzip-compressed as they come (a .gz file of their concatenation)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip container
    for piece in pieces:
        out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()


def stream_rows(
    format: str, chunks: Iterable[list[Row]], *, compression: str = "none"
) -> Iterator[bytes]:
    """Chunks of rows as a file of ``format``, streamed as non-empty ``bytes`` pieces (one
    or so per chunk): the one encoder of the provider export and the market's downloads."""
    _check(format, compression)
    return _stream_rows(format, chunks, compression)


def _stream_rows(format: str, chunks: Iterable[list[Row]], compression: str) -> Iterator[bytes]:
    # A generator apart from stream_rows, so that a bad format fails at the call.
    pieces = _WRITERS[format](chunks)
    if compression == "gzip":
        pieces = gzip_pieces(pieces)
    for piece in pieces:
        if piece:
            yield piece


def export_stream(
    spec: ExportSpec, *, on_progress: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The dataset as a stream of ``bytes`` pieces (a few hundred KB each)."""

    def counted(chunks):
        done = 0
        for rows in chunks:
            done += len(rows)
            yield rows
            if on_progress is not None:
                on_progress(done)

    yield from stream_rows(
        spec.format, counted(_consistent_chunks(spec)), compression=spec.compression
    )
