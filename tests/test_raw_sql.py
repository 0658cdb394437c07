"""Raw statements on models write every column they must (issue #16, item 5).

A raw INSERT skips the model's Python defaults, and a raw UPDATE that writes a
row back field by field drops any field it does not name. Each statement here
is checked against its model's fields, so a field added to the model without
the statement being updated fails this test instead of silently writing NULL
or a stale value. (They stay raw: each replaced an ORM call that cost more; see
their docstrings.)
"""

import re

import pytest

from evals import services as evals_services
from evals.models import Battle, Vote
from evals.quality import limits
from evals.quality import services as quality_services
from evals.quality.models import RateCounter, VoterReliability
from ratings import services as ratings_services
from ratings.models import PairCount


def _columns(model) -> set[str]:
    return {f.column for f in model._meta.concrete_fields if not f.primary_key}


def insert_columns(sql: str) -> set[str]:
    match = re.search(r"INSERT INTO \S+ \(([^)]*)\)", sql)
    assert match, sql
    return {c.strip() for c in match.group(1).split(",")}


def update_columns(sql: str) -> set[str]:
    match = re.search(r"\bSET (.*?) WHERE\b", sql, re.S)
    assert match, sql
    return {part.split("=")[0].strip() for part in match.group(1).split(",")}


def missing_from_insert(sql: str, model) -> set[str]:
    return _columns(model) - insert_columns(sql)


@pytest.mark.parametrize(
    "sql, model",
    [(limits._UPSERT, RateCounter), (ratings_services._PAIR_COUNT_UPSERT, PairCount)],
    ids=["rate counter upsert", "pair count upsert"],
)
def test_each_raw_insert_writes_every_column_of_its_model(sql, model):
    assert missing_from_insert(sql, model) == set()


def test_the_reliability_write_back_names_every_field():
    assert update_columns(quality_services._RELIABILITY_UPDATE) == _columns(VoterReliability)


@pytest.mark.parametrize(
    "sql, model",
    [(evals_services._BATTLE_FLIP, Battle), (evals_services._VOTE_FOLDED, Vote)],
    ids=["battle flip", "vote folded"],
)
def test_the_partial_updates_name_real_columns(sql, model):
    # These set a few columns on purpose; a renamed column must not slip by.
    assert update_columns(sql) <= _columns(model)


def test_the_check_catches_a_column_the_statement_forgets():
    forgetful = limits._UPSERT.replace("(key, window_start, count)", "(key, window_start)")
    assert missing_from_insert(forgetful, RateCounter) == {"count"}
