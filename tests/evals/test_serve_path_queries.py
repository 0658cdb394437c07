"""Exact statement counts of the voter round (serve, then vote) over HTTP.

The serve and the vote are every voter's hot path: a change that adds a query
to either must change these numbers on purpose.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evals import services
from tests.conftest import build_arena, session_queries


def _round(client):
    with CaptureQueriesContext(connection) as serve:
        resp = client.get("/api/arena/next")
    assert resp.status_code == 200
    battle_id = resp.json()["id"]
    with CaptureQueriesContext(connection) as vote:
        resp = client.post(
            f"/arena/battles/{battle_id}/vote",
            data=json.dumps({"choice": "tie"}),
            content_type="application/json",
        )
    assert resp.status_code == 200
    return [q["sql"] for q in serve.captured_queries], [q["sql"] for q in vote.captured_queries]


@pytest.mark.parametrize("prompts", [6, 30])
def test_a_steady_state_round_costs_a_fixed_number_of_queries(client, alice, settings, prompts):
    settings.QUALITY_GOLD_RATE = 0
    settings.VOTE_FOLD = "deferred"  # folded by a worker, as deployed
    models = build_arena(prompts=prompts)["models"]
    for i, a in enumerate(models):  # every pair has its stats row already
        for b in models[i + 1 :]:
            services.pair_stat_bump(a.id, b.id, voted=0)
    client.force_login(alice)
    _round(client)  # loads the per-process copies (catalogue, pair stats, fit)
    serve, vote = _round(client)
    # The session (unless read through Redis), the user, the voter's state (open
    # battle, prompts seen, languages), the two answers; then the battle and its
    # sampling record, in a transaction (a savepoint here: the test runs in one).
    assert len(serve) == session_queries() + 1 + 2 + 4, "\n".join(serve)
    assert sum(q.startswith("INSERT") for q in serve) == 2
    assert not any("evals_pairstat" in q for q in serve)
    # The session, the user; the flip of the battle, the rate counters, the vote.
    assert len(vote) == session_queries() + 1 + 3 + 2, "\n".join(vote)
