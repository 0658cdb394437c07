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
    The Kaggle competition CSV: ``model_a``, ``model_b``, ``winner_model_a``,
    ``winner_model_b``, ``winner_tie`` (exactly one is 1); optional
    ``response_a`` / ``response_b`` (JSON-encoded lists of strings).

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ratings.style import extract_features

__all__ = ["BattleFile", "BattleFileError", "read_battles"]

Progress = Callable[[int, int], None]

_WINNERS = {
    "model_a": (1.0, False),
    "model_b": (0.0, False),
    "tie": (0.5, False),
    "tie (bothbad)": (0.5, True),
    "both_bad": (0.5, True),
}
_KAGGLE = ("winner_model_a", "winner_model_b", "winner_tie")
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
_FORMATS |= {".parquet": "parquet", ".pq": "parquet"}


class BattleFileError(ValueError):
    """A battle file that cannot be read: unknown layout, format or bad row."""


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
        ``arena-33k``, ``arena-140k``, ``arena`` (winner values fit both) or ``kaggle``.
    format : str
        ``jsonl``, ``json``, ``csv`` or ``parquet``.
    skipped : int
        Bad rows skipped (only with ``on_error="skip"``).
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
    """Objects of a top-level JSON array, decoded one at a time."""
    decoder = json.JSONDecoder()
    with _open_text(path, progress) as f:
        buf = f.read(1 << 16).lstrip()
        if not buf.startswith("["):
            raise BattleFileError("JSON file must hold an array of battle objects")
        pos, index, eof = 1, 0, False
        while True:
            while True:  # skip whitespace and the separating comma
                while pos < len(buf) and buf[pos] in " \t\r\n,":
                    pos += 1
                if pos < len(buf) or eof:
                    break
                chunk = f.read(1 << 16)
                eof = not chunk
                buf, pos = buf[pos:] + chunk, 0
            if pos >= len(buf):
                raise BattleFileError("JSON array is not closed")
            if buf[pos] == "]":
                return
            try:
                obj, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if eof:
                    raise BattleFileError(f"item {index}: not valid JSON ({exc.msg})") from None
                chunk = f.read(max(1 << 16, len(buf)))
                eof = not chunk
                buf, pos = buf[pos:] + chunk, 0
                continue
            yield index, obj
            index += 1
            pos = end
            if pos > 1 << 20:
                buf, pos = buf[pos:], 0


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
    keep = ["model_a", "model_b", "winner", *_KAGGLE]
    if want_text:
        keep += ["conversation_a", "conversation_b", "response_a", "response_b"]
    columns = [c for c in keep if c in cols]
    total, done = pf.metadata.num_rows, 0
    for batch in pf.iter_batches(batch_size=65536, columns=columns):
        for row in batch.to_pylist():
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
    if not {"model_a", "model_b"} <= keys:
        raise BattleFileError(
            f"{where}: unknown layout: columns model_a and model_b are required "
            f"(found: {', '.join(sorted(keys)) or 'none'})"
        )
    if set(_KAGGLE) <= keys:
        return "kaggle"
    if "winner" in keys:
        return "arena"
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
    raise BattleFileError(f"{where}: {column} must be 0 or 1, got {value!r}")


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
        What to do with a bad row (unknown winner, missing model, a model
        against itself): raise :class:`BattleFileError` naming the row, or
        skip it and count it in ``skipped``.

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
    skipped = 0
    for number, row in rows:
        where = f"{label} {number}"
        if not isinstance(row, dict):
            raise BattleFileError(f"{where}: expected an object with model_a, model_b, ...")
        if layout is None:
            layout = _detect(row, where)
            for cols in (("conversation_a", "conversation_b"), ("response_a", "response_b")):
                if style and set(cols) <= set(row):
                    text_cols = cols
                    break
        try:
            a, b = row.get("model_a"), row.get("model_b")
            if not a or not b or not isinstance(a, str) or not isinstance(b, str):
                raise BattleFileError(f"{where}: model_a and model_b must be non-empty names")
            if a == b:
                raise BattleFileError(f"{where}: model {a!r} cannot battle itself")
            if layout == "kaggle":
                flags = [_flag(row.get(c), where, c) for c in _KAGGLE]
                if sum(flags) != 1:
                    raise BattleFileError(f"{where}: exactly one of {', '.join(_KAGGLE)} must be 1")
                s, bb = (1.0, 0.0, 0.5)[flags.index(True)], False
            else:
                winner = row.get("winner")
                if winner not in _WINNERS:
                    raise BattleFileError(
                        f"{where}: winner {winner!r} is not one of {', '.join(_WINNERS)}"
                    )
                s, bb = _WINNERS[winner]
                seen_33k |= winner == "tie (bothbad)"
                seen_140k |= winner == "both_bad"
        except BattleFileError:
            if on_error == "raise":
                raise
            skipped += 1
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
        skipped=skipped,
        features_a=np.array(feat_a).reshape(-1, 4) if features else None,
        features_b=np.array(feat_b).reshape(-1, 4) if features else None,
    )
