"""JSON arrays of battles are read as a stream (ijson)."""

import json

import pytest

from ratings.battlefile import BattleFileError, read_battles

ROW = {"model_a": "alpha", "model_b": "beta", "winner": "model_a"}


def test_a_syntax_error_is_reported_where_it_is_without_reading_the_rest(tmp_path):
    path = tmp_path / "battles.json"
    rest = ", ".join([json.dumps(ROW)] * 200_000)  # about 12 MB after the error
    path.write_text(f'[{json.dumps(ROW)}, {{"model_a": "alpha",, }}, {rest}]')
    seen = []
    with pytest.raises(BattleFileError, match=r"item 1: not valid JSON \(invalid object key"):
        read_battles(str(path), progress=lambda done, total: seen.append((done, total)))
    done, total = seen[-1]
    assert done < total / 4, (done, total)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"model_a": "alpha"}', "must hold an array"),
        (f"[{json.dumps(ROW)}, {json.dumps(ROW)}", "not closed"),
    ],
)
def test_a_file_that_is_not_an_array_of_battles_says_why(tmp_path, text, message):
    path = tmp_path / "battles.json"
    path.write_text(text)
    with pytest.raises(BattleFileError, match=message):
        read_battles(str(path))


def test_a_byte_order_mark_and_floats_are_read(tmp_path):
    path = tmp_path / "battles.json"
    rows = [ROW, {**ROW, "winner": "tie"}, {**ROW, "model_a": "gamma", "winner": "model_b"}]
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(rows).encode())
    data = read_battles(str(path))
    assert data.rows == 3 and data.skipped == 0
