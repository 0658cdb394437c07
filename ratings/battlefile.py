"""Read battle files in the public arena layouts (for the ratings CLI).

Layouts, detected from the columns (and winner values):

``arena-33k``
    The chatbot_arena_conversations release: ``model_a``, ``model_b``,
    ``winner`` in {model_a, model_b, tie, tie (bothbad)}; optional
    ``conversation_a`` / ``conversation_b`` (lists of {role, content}).
``arena-140k``
    The arena-human-preference-140k layout: same columns, ``winner`` in
    {model_a, model_b, tie, both_bad}; content may be a list of parts.
``kaggle``
    The Kaggle competition CSV (lmsys-chatbot-arena, 55k rows): ``model_a``,
    ``model_b``, ``winner_model_a``, ``winner_model_b``, ``winner_tie``
    (exactly one is 1); optional ``response_a`` / ``response_b`` (JSON-encoded
    lists of strings).
``search-arena``
    search-arena-24k: ``model_a``, ``model_b``, ``winner`` (empty on the
    conversations nobody voted on, about half), answers in ``messages_a`` /
    ``messages_b`` (lists of {role, content}).
``llmfao``
    evalica's LLMFAO comparisons (``crowd-comparisons.csv``): model names in
    ``left`` / ``right``, ``winner`` in {left, right, tie}.

Rows that cannot count (a model against itself, an unknown or missing winner,
a missing model name) are either refused, naming the row, or skipped and
tallied by reason (``on_error``); the ratings CLI skips and sums them up by
default, as the public releases hold a few (the 140k file has ten
self-battles).

Formats: JSONL, JSON (an array, parsed incrementally), CSV and Parquet
(pyarrow), chosen by file extension or explicitly. Files are streamed; a
``progress(done, total)`` callback receives bytes (text formats) or rows
(Parquet) so a CLI can draw a progress bar.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ijson
import numpy as np

from ratings.style import extract_features

__all__ = ["BadRowError", "BattleFile", "BattleFileError", "read_battles"]

Progress = Callable[[int, int], None]

_WINNERS = {
    "model_a": (1.0, False),
    "model_b": (0.0, False),
    "tie": (0.5, False),
    "tie (bothbad)": (0.5, True),
    "both_bad": (0.5, True),
}
_LLMFAO_WINNERS = {"left": (1.0, False), "right": (0.0, False), "tie": (0.5, False)}
_KAGGLE = ("winner_model_a", "winner_model_b", "winner_tie")
_TEXT_COLUMNS = (
    ("conversation_a", "conversation_b"),
    ("messages_a", "messages_b"),
    ("response_a", "response_b"),
)
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
_FORMATS |= {".parquet": "parquet", ".pq": "parquet"}


class BattleFileError(ValueError):
    """A battle file that cannot be read: unknown layout, format or bad row."""


class BadRowError(BattleFileError):
    """A row that cannot count; ``reason`` is its short, countable cause."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class BattleFile:
    """Battles read from a file.

    Attributes
    ----------
    model_a, model_b : ndarray of str, shape (n,)
        Model names per battle.
    outcome : ndarray of float64, shape (n,)
        1 A wins, 0 B wins, 0.5 tie or both bad.
    both_bad : ndarray of bool, shape (n,)
    layout : str
        ``arena-33k``, ``arena-140k``, ``arena`` (winner values fit both),
        ``kaggle``, ``search-arena`` or ``llmfao``.
    format : str
        ``jsonl``, ``json``, ``csv`` or ``parquet``.
    skipped : int
        Bad rows skipped (only with ``on_error="skip"``).
    skip_reasons : dict of str to int
        How many rows were skipped for each reason.
    rows : int
        Rows read, counted or not.
    features_a, features_b : ndarray of float64, shape (n, 4), or None
        Style features of the answers (:func:`ratings.style.extract_features`)
        when asked for and the answer texts are in the file.
    """

    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    both_bad: np.ndarray
    layout: str
    format: str
    skipped: int
    features_a: np.ndarray | None = None
    features_b: np.ndarray | None = None
    skip_reasons: dict[str, int] = field(default_factory=dict)
    rows: int = 0

    def skip_summary(self) -> str:
        """One line: how many rows were skipped, and why (empty when none were)."""
        if not self.skipped:
            return ""
        reasons = ", ".join(
            f"{n:,} {why}" for why, n in sorted(self.skip_reasons.items(), key=lambda x: -x[1])
        )
        noun = "row" if self.rows == 1 else "rows"
        return f"skipped {self.skipped:,} of {self.rows:,} {noun} that cannot count: {reasons}"


class _Counting(io.RawIOBase):
    """Binary file wrapper that reports the bytes read so far."""

    def __init__(self, raw, total: int, progress: Progress | None):
        self._raw = raw
        self._total = total
        self._progress = progress
        self.done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.done += n or 0
        if self._progress is not None and n:
            self._progress(self.done, self._total)
        return n


def _open_text(path: str, progress: Progress | None):
    total = os.path.getsize(path)
    raw = _Counting(open(path, "rb"), total, progress)  # noqa: SIM115 - closed by the wrapper
    return io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding="utf-8-sig", newline="")


def _iter_jsonl(path, progress) -> Iterator[tuple[int, Any]]:
    with _open_text(path, progress) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise BattleFileError(f"line {lineno}: not valid JSON ({exc.msg})") from None


def _iter_json_array(path, progress) -> Iterator[tuple[int, Any]]:
    """Objects of a top-level JSON array, decoded one at a time (ijson), so a
    syntax error is reported where it is, not after reading the whole file."""
    total = os.path.getsize(path)
    with io.BufferedReader(_Counting(open(path, "rb"), total, progress), 1 << 20) as f:  # noqa: SIM115
        head = f.peek(1 << 10)[: 1 << 10]
        start = 3 if head.startswith(b"\xef\xbb\xbf") else 0  # a UTF-8 byte order mark
        if not head[start:].lstrip().startswith(b"["):
            raise BattleFileError("JSON file must hold an array of battle objects")
        f.read(start)
        index = 0
        try:
            for obj in ijson.items(f, "item", use_float=True):
                yield index, obj
                index += 1
        except ijson.IncompleteJSONError as exc:
            if "premature EOF" in str(exc):
                raise BattleFileError("JSON array is not closed") from None
            raise BattleFileError(_json_error(index, exc)) from None
        except ijson.JSONError as exc:
            raise BattleFileError(_json_error(index, exc)) from None


def _json_error(index: int, exc: Exception) -> str:
    reason = str(exc).splitlines()[0].removeprefix("parse error: ").strip()
    return f"item {index}: not valid JSON ({reason})"


def _iter_csv(path, progress) -> Iterator[tuple[int, Any]]:
    csv.field_size_limit(1 << 30)
    with _open_text(path, progress) as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None:
            raise BattleFileError("CSV file is empty")
        for row in reader:
            yield reader.line_num, row


def _iter_parquet(path, progress, want_text) -> Iterator[tuple[int, Any]]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    cols = set(pf.schema_arrow.names)
    keep = ["model_a", "model_b", "winner", "left", "right", *_KAGGLE]
    if want_text:
        keep += [c for pair in _TEXT_COLUMNS for c in pair]
    columns = [c for c in keep if c in cols]
    # Answer columns are not read without style control (they are most of the
    # file), but their presence tells the layouts apart.
    unread = dict.fromkeys(
        c for pair in _TEXT_COLUMNS for c in pair if c in cols and c not in columns
    )
    total, done = pf.metadata.num_rows, 0
    for batch in pf.iter_batches(batch_size=65536, columns=columns):
        for row in batch.to_pylist():
            if unread:
                row.update(unread)
            yield done + 1, row
            done += 1
        if progress is not None:
            progress(done, total)


def _answer_text(value: Any) -> str:
    """Assistant text of a conversation / response cell, in any public shape."""
    if value is None:
        return ""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                return _answer_text(json.loads(stripped))
            except json.JSONDecodeError:
                return value
        return value
    if isinstance(value, dict):
        content = value.get("content", value.get("text", ""))
        return _answer_text(content)
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            if isinstance(item, dict) and item.get("role") not in (None, "assistant"):
                continue
            parts.append(_answer_text(item))
        return "\n".join(p for p in parts if p)
    return str(value)


def _detect(row: dict, where: str) -> str:
    keys = set(row)
    if {"left", "right", "winner"} <= keys and not {"model_a", "model_b"} <= keys:
        return "llmfao"
    if not {"model_a", "model_b"} <= keys:
        raise BattleFileError(
            f"{where}: unknown layout: columns model_a and model_b are required "
            f"(found: {', '.join(sorted(keys)) or 'none'})"
        )
    if set(_KAGGLE) <= keys:
        return "kaggle"
    if "winner" in keys:
        return "search-arena" if {"messages_a", "messages_b"} <= keys else "arena"
    raise BattleFileError(
        f"{where}: unknown layout: expected a 'winner' column (arena layouts) or "
        f"{', '.join(_KAGGLE)} (Kaggle layout)"
    )


def _flag(value: Any, where: str, column: str) -> bool:
    if isinstance(value, str):
        value = value.strip()
    if value in (1, "1", True, "1.0", "true", "True"):
        return True
    if value in (0, "0", False, "0.0", "false", "False"):
        return False
    raise BadRowError(f"{where}: {column} must be 0 or 1, got {value!r}", "unknown winner")


def _names(row: dict, layout: str) -> tuple[Any, Any]:
    if layout == "llmfao":
        return row.get("left"), row.get("right")
    return row.get("model_a"), row.get("model_b")


def _outcome(row: dict, layout: str, where: str) -> tuple[float, bool]:
    if layout == "kaggle":
        flags = [_flag(row.get(c), where, c) for c in _KAGGLE]
        if sum(flags) != 1:
            raise BadRowError(
                f"{where}: exactly one of {', '.join(_KAGGLE)} must be 1", "unknown winner"
            )
        return (1.0, 0.0, 0.5)[flags.index(True)], False
    table = _LLMFAO_WINNERS if layout == "llmfao" else _WINNERS
    winner = row.get("winner")
    if winner is None or winner == "":
        raise BadRowError(f"{where}: no winner (nobody voted)", "no vote")
    if winner not in table:
        raise BadRowError(
            f"{where}: winner {winner!r} is not one of {', '.join(table)}", "unknown winner"
        )
    return table[winner]


def read_battles(
    path: str | os.PathLike,
    *,
    format: str | None = None,  # noqa: A002 - the natural name for a CLI flag
    progress: Progress | None = None,
    style: bool = False,
    on_error: str = "raise",
) -> BattleFile:
    """Read a battle file in one of the public arena layouts.

    Parameters
    ----------
    path : str or PathLike
        The file.
    format : {"jsonl", "json", "csv", "parquet"}, optional
        Default: from the extension.
    progress : callable(done, total), optional
        Called as the file is read, with bytes (text) or rows (Parquet).
    style : bool
        Also extract style features from the answer texts when present.
    on_error : {"raise", "skip"}
        What to do with a row that cannot count (unknown or missing winner,
        missing model, a model against itself): raise
        :class:`BattleFileError` naming the row, or skip it and tally it in
        ``skipped`` / ``skip_reasons``.

    Returns
    -------
    BattleFile

    Raises
    ------
    BattleFileError
        Unknown format or layout, invalid JSON, or a bad row.
    """
    path = os.fspath(path)
    fmt = format or _FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt not in ("jsonl", "json", "csv", "parquet"):
        raise BattleFileError(
            f"unknown battle file format for {path!r}: use .jsonl, .json, .csv or .parquet"
        )
    if on_error not in ("raise", "skip"):
        raise ValueError("on_error must be 'raise' or 'skip'")
    if fmt == "jsonl":
        rows = _iter_jsonl(path, progress)
    elif fmt == "json":
        rows = _iter_json_array(path, progress)
    elif fmt == "csv":
        rows = _iter_csv(path, progress)
    else:
        rows = _iter_parquet(path, progress, style)
    label = {"jsonl": "line", "json": "item", "csv": "line", "parquet": "row"}[fmt]

    layout = None
    model_a: list[str] = []
    model_b: list[str] = []
    outcome: list[float] = []
    both_bad: list[bool] = []
    feat_a: list[np.ndarray] = []
    feat_b: list[np.ndarray] = []
    text_cols = None
    seen_33k = seen_140k = False
    reasons: Counter = Counter()
    n_rows = 0
    for number, row in rows:
        n_rows += 1
        where = f"{label} {number}"
        if not isinstance(row, dict):
            raise BattleFileError(f"{where}: expected an object with model_a, model_b, ...")
        if layout is None:
            layout = _detect(row, where)
            for cols in _TEXT_COLUMNS:
                if style and set(cols) <= set(row):
                    text_cols = cols
                    break
        try:
            a, b = _names(row, layout)
            if not a or not b or not isinstance(a, str) or not isinstance(b, str):
                cols = "left and right" if layout == "llmfao" else "model_a and model_b"
                raise BadRowError(f"{where}: {cols} must be non-empty names", "missing model")
            if a == b:
                raise BadRowError(
                    f"{where}: model {a!r} cannot battle itself", "a model against itself"
                )
            s, bb = _outcome(row, layout, where)
            winner = row.get("winner")
            seen_33k |= winner == "tie (bothbad)"
            seen_140k |= winner == "both_bad"
        except BadRowError as exc:
            if on_error == "raise":
                raise
            reasons[exc.reason] += 1
            continue
        model_a.append(a)
        model_b.append(b)
        outcome.append(s)
        both_bad.append(bb)
        if text_cols is not None:
            feat_a.append(extract_features(_answer_text(row.get(text_cols[0]))))
            feat_b.append(extract_features(_answer_text(row.get(text_cols[1]))))
    if layout is None:
        raise BattleFileError(f"{path!r} holds no battles")
    if layout == "arena":
        layout = "arena-140k" if seen_140k and not seen_33k else "arena-33k" if seen_33k else layout
    features = text_cols is not None and len(feat_a) == len(model_a)
    return BattleFile(
        model_a=np.array(model_a, dtype=object).astype(str),
        model_b=np.array(model_b, dtype=object).astype(str),
        outcome=np.array(outcome, dtype=np.float64),
        both_bad=np.array(both_bad, dtype=bool),
        layout=layout,
        format=fmt,
        skipped=sum(reasons.values()),
        features_a=np.array(feat_a).reshape(-1, 4) if features else None,
        features_b=np.array(feat_b).reshape(-1, 4) if features else None,
        skip_reasons=dict(reasons),
        rows=n_rows,
    )
