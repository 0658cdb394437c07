"""Battle file readers: every public layout in every format."""

import csv
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ratings.battlefile import BattleFileError, read_battles

ROWS_33K = [
    {
        "model_a": "alpha",
        "model_b": "beta",
        "winner": "model_a",
        "conversation_a": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "# Hello\n- a\n- b"},
        ],
        "conversation_b": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
        ],
    },
    {
        "model_a": "beta",
        "model_b": "gamma",
        "winner": "tie (bothbad)",
        "conversation_a": [],
        "conversation_b": [],
    },
    {
        "model_a": "gamma",
        "model_b": "alpha",
        "winner": "model_b",
        "conversation_a": [],
        "conversation_b": [],
    },
    {
        "model_a": "alpha",
        "model_b": "gamma",
        "winner": "tie",
        "conversation_a": [],
        "conversation_b": [],
    },
]
ROWS_140K = [
    {"model_a": "alpha", "model_b": "beta", "winner": "both_bad"},
    {"model_a": "beta", "model_b": "alpha", "winner": "model_b"},
]
ROWS_KAGGLE = [
    {
        "id": 1,
        "model_a": "alpha",
        "model_b": "beta",
        "prompt": '["q"]',
        "response_a": '["**bold** answer"]',
        "response_b": '["short"]',
        "winner_model_a": 1,
        "winner_model_b": 0,
        "winner_tie": 0,
    },
    {
        "id": 2,
        "model_a": "beta",
        "model_b": "alpha",
        "prompt": '["q"]',
        "response_a": '["x"]',
        "response_b": '["y"]',
        "winner_model_a": 0,
        "winner_model_b": 0,
        "winner_tie": 1,
    },
]


def write(path, fmt, rows):
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "json":
        path.write_text(json.dumps(rows, indent=1))
    elif fmt == "csv":
        flat = [
            {k: json.dumps(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows
        ]
        with path.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(flat[0]))
            writer.writeheader()
            writer.writerows(flat)
    else:
        pq.write_table(pa.Table.from_pylist(rows), path)
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_it_reads_the_33k_release_layout(tmp_path, fmt):
    seen = []
    bf = read_battles(
        write(tmp_path / f"b.{fmt}", fmt, ROWS_33K),
        progress=lambda d, t: seen.append((d, t)),
        style=True,
    )
    assert bf.layout == "arena-33k"
    assert bf.format == fmt
    assert bf.model_a.tolist() == ["alpha", "beta", "gamma", "alpha"]
    assert bf.outcome.tolist() == [1.0, 0.5, 0.0, 0.5]
    assert bf.both_bad.tolist() == [False, True, False, False]
    assert seen and seen[-1][0] == seen[-1][1]
    assert bf.features_a.shape == (4, 4)
    assert bf.features_a[0, 1] == 1 and bf.features_a[0, 2] == 2  # header, two list items


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_it_reads_the_140k_layout(tmp_path, fmt):
    bf = read_battles(write(tmp_path / f"b.{fmt}", fmt, ROWS_140K))
    assert bf.layout == "arena-140k"
    assert bf.outcome.tolist() == [0.5, 0.0]
    assert bf.both_bad.tolist() == [True, False]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet"])
def test_it_reads_the_kaggle_layout(tmp_path, fmt):
    bf = read_battles(write(tmp_path / f"b.{fmt}", fmt, ROWS_KAGGLE), style=True)
    assert bf.layout == "kaggle"
    assert bf.outcome.tolist() == [1.0, 0.5]
    assert bf.features_a[0, 3] == 1  # one bold span


def test_it_names_the_bad_row(tmp_path):
    rows = ROWS_140K + [{"model_a": "a", "model_b": "b", "winner": "draw"}]
    path = write(tmp_path / "b.jsonl", "jsonl", rows)
    with pytest.raises(BattleFileError, match="line 3: winner 'draw'"):
        read_battles(path)
    assert read_battles(path, on_error="skip").skipped == 1


def test_it_rejects_an_unknown_layout_and_format(tmp_path):
    path = write(tmp_path / "b.jsonl", "jsonl", [{"left": "a", "right": "b"}])
    with pytest.raises(BattleFileError, match="unknown layout"):
        read_battles(path)
    path = write(tmp_path / "c.jsonl", "jsonl", [{"model_a": "a", "model_b": "b", "score": 1}])
    with pytest.raises(BattleFileError, match="unknown layout"):
        read_battles(path)
    (tmp_path / "b.txt").write_text("x")
    with pytest.raises(BattleFileError, match="unknown battle file format"):
        read_battles(tmp_path / "b.txt")


def test_it_streams_a_json_array_larger_than_its_buffer(tmp_path):
    rows = [
        {
            "model_a": f"m{k % 7}",
            "model_b": f"m{(k + 1) % 7}",
            "winner": "model_a",
            "pad": "x" * 300,
        }
        for k in range(2000)
    ]
    bf = read_battles(write(tmp_path / "big.json", "json", rows))
    assert bf.outcome.size == 2000
    assert np.all(bf.outcome == 1.0)
