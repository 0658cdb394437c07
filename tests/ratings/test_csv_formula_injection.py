"""CSV downloads never hand a spreadsheet a formula (OWASP "CSV Injection").

Repro: a provider named a model ``=HYPERLINK("https://evil.example/","Aurelon")``
and the public /leaderboard/leaderboard.csv wrote the cell as it was.
"""

import csv
import io

import pytest
from django.utils import timezone

from datafi import csvsafe
from evals.provider import exports
from ratings.models import LeaderboardSnapshot

EVIL = '=HYPERLINK("https://evil.example/","Aurelon")'


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (EVIL, "'" + EVIL),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Aurelon-70B", "Aurelon-70B"),
        ("", ""),
        # Numbers stay numbers, written as text or not.
        (-12.5, -12.5),
        (-3, -3),
        ("-12.5", "-12.5"),
        ("+4", "+4"),
        ("-1e-3", "-1e-3"),
        (None, None),
        (True, True),
    ],
)
def test_a_cell_that_would_be_a_formula_is_quoted(value, cell):
    assert csvsafe.cell(value) == cell


def test_the_leaderboard_csv_quotes_a_formula_name_and_keeps_negative_numbers(client, db):
    row = {
        "rank": 1,
        "model": EVIL,
        "provider": "@evil",
        "score": -12.5,
        "lower": -40.25,
        "upper": 15.0,
        "votes": 30,
        "win_rate": 0.5,
        "both_bad_rate": 0.0,
        "component": 0,
        "preliminary": False,
    }
    LeaderboardSnapshot.objects.create(
        method="bt", vote_count=30, created_at=timezone.now(), rows=[row]
    )
    resp = client.get("/leaderboard/leaderboard.csv")
    assert resp.status_code == 200
    [got] = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert got["model"] == "'" + EVIL
    assert got["provider"] == "'@evil"
    assert float(got["score"]) == -12.5 and float(got["lower"]) == -40.25
    assert got["score"] == "-12.5" and got["rank"] == "1"


def test_the_kaggle_csv_quotes_a_formula_model_name():
    row = exports.row_from_record(
        {
            "id": "0" * 32,
            "tstamp": 1.0,
            "prompt": "Hi?",
            "category": "knowledge",
            "language": "en",
            "response_a": "=1+1",
            "response_b": "Hello.",
            "model_a": EVIL,
            "model_b": "-x",
            "judge": "arena_user_x",
            "choice": "model_a",
            "reasons": [],
            "time_to_vote_ms": None,
        }
    )
    body = b"".join(exports._kaggle_csv([[row]])).decode()
    [got] = list(csv.DictReader(io.StringIO(body)))
    assert got["model_a"] == "'" + EVIL and got["model_b"] == "'-x"
    assert got["response_a"] == '["=1+1"]'  # a JSON list: starts with "["
    assert got["winner_model_a"] == "1"
