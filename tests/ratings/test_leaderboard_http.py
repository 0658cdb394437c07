"""The leaderboard page, its CSV download and the REST endpoints."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ratings.models import LeaderboardSnapshot
from tests.conftest import session_queries
from tests.ratings.conftest import cast_votes


@pytest.fixture
def voted(arena, alice, refresh, settings):
    settings.RATINGS_PRELIMINARY_VOTES = 5
    cast_votes(alice, 16, seed=4)
    refresh()
    return arena


def test_the_page_says_so_when_there_are_no_votes(client, db):
    resp = client.get("/leaderboard/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "No leaderboard yet" in body
    assert "Methodology" in body
    assert "plot-scores" not in body


def test_the_page_with_one_model_and_no_votes(client, db):
    from datafi.accounts.services import organization_get_or_create
    from evals import services

    services.model_upsert(
        name="Lonely", organization=organization_get_or_create(slug="o", name="O")
    )
    resp = client.get("/leaderboard/?category=math")
    assert resp.status_code == 200
    assert "No votes have been counted in this slice" in resp.content.decode()


def test_the_page_shows_ranks_scores_intervals_and_badges(client, voted):
    snap = LeaderboardSnapshot.objects.filter(method="bt", category="", language="").latest("id")
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/leaderboard/")
    assert resp.status_code == 200
    # The snapshot, and the slices that have snapshots (for the selectors).
    assert len(ctx.captured_queries) == 2, [q["sql"] for q in ctx.captured_queries]
    body = resp.content.decode()
    for row in snap.rows:
        assert row["model"] in body
        assert f"{round(row['score'])}" in body
        assert row["provider"] in body
    assert ('title="Fewer than 5 votes">preliminary' in body) == any(
        r["preliminary"] for r in snap.rows
    )
    assert 'id="lb-data"' in body and "chart.umd.min.js" in body


def test_the_page_query_count_for_a_logged_in_visitor(client, voted, carol):
    client.force_login(carol)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/leaderboard/?method=style&category=coding")
    assert resp.status_code == 200
    # Session (unless read through Redis) and user, then the snapshot and the slices.
    assert len(ctx.captured_queries) == session_queries() + 3


def test_the_page_marks_models_under_the_minimum_as_preliminary(client, voted, settings):
    LeaderboardSnapshot.objects.all().delete()
    settings.RATINGS_PRELIMINARY_VOTES = 10_000
    from ratings.services import leaderboard_refresh

    leaderboard_refresh()
    body = client.get("/leaderboard/").content.decode()
    assert body.count('<span class="badge" title="Fewer than 10000 votes">preliminary') == 4


def test_the_page_rejects_a_bad_filter_with_a_400(client, voted):
    for query in ("method=glicko", "category=cooking", "language=english!!"):
        resp = client.get(f"/leaderboard/?{query}")
        assert resp.status_code == 400, query
        assert "Bad leaderboard filter" in resp.content.decode()


def test_every_bt_snapshot_carries_a_verified_robustness_figure(client, voted):
    from ratings.aggregate import counts_from_pairs
    from ratings.bt import fit_bt
    from ratings.models import PairCount

    snap = LeaderboardSnapshot.objects.filter(method="bt", category="", language="").latest("id")
    rob = snap.meta["robustness"]
    assert rob["top"] == snap.rows[0]["model"]
    assert rob["method"] == "greedy upper bound"
    if rob["votes"] is not None:
        assert 1 <= rob["votes"] <= snap.vote_count
        assert rob["top_wins_removed"] + rob["challenger_losses_removed"] == rob["votes"]
    body = client.get("/leaderboard/").content.decode()
    assert "Robustness" in body
    assert (
        f"{rob['votes']} of {rob['n_battles']}" in body
        if rob["votes"] is not None
        else "No removal of votes changes the top model" in body
    )
    # The figure matches the snapshot's own counts: the top model by a refit is
    # the one the figure names.
    rows = list(
        PairCount.objects.values_list(
            "model_lo__name", "model_hi__name", "wins_lo", "wins_hi", "ties", "both_bad"
        )
    )
    names = sorted({r[0] for r in rows} | {r[1] for r in rows})
    ix = {n: k for k, n in enumerate(names)}
    import numpy as np

    arr = np.array([r[2:] for r in rows], dtype=float)
    counts = counts_from_pairs(
        len(names),
        np.array([ix[r[0]] for r in rows]),
        np.array([ix[r[1]] for r in rows]),
        arr[:, 0],
        arr[:, 2] + arr[:, 3],
        arr[:, 1],
    )
    # Refit with the snapshot's own prior and ridge: with 16 votes a plain
    # maximum-likelihood fit can order a near-tie differently (it failed CI once).
    params = snap.params
    fit = fit_bt(counts, reg=params["reg"], prior_sd=params["prior_sd"])
    assert fit.theta[names.index(rob["top"])] == pytest.approx(fit.theta.max(), abs=1e-9)


def test_the_csv_download_has_the_snapshot_rows(client, voted):
    snap = LeaderboardSnapshot.objects.filter(method="elo", category="", language="").latest("id")
    resp = client.get("/leaderboard/leaderboard.csv?method=elo")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert [r["model"] for r in rows] == [r["model"] for r in snap.rows]
    assert [float(r["score"]) for r in rows] == [r["score"] for r in snap.rows]
    assert client.get("/leaderboard/leaderboard.csv?method=nope").status_code == 400
    assert client.get("/leaderboard/leaderboard.csv?category=math&language=de").status_code == 404


def test_the_api_serves_the_latest_snapshot_anonymously(client, voted):
    snap = LeaderboardSnapshot.objects.filter(method="bt", category="", language="").latest("id")
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/api/v1/leaderboard")
    assert resp.status_code == 200
    assert len(ctx.captured_queries) == 1
    data = resp.json()
    assert data["id"] == snap.id and data["rows"] == snap.rows
    assert data["vote_count"] == 16
    assert set(data["meta"]["matrices"]) == {"models", "predicted", "observed", "battles"}


def test_the_api_filters_by_method_category_and_language(client, voted):
    for method in ("bt", "style", "elo"):
        data = client.get(f"/api/v1/leaderboard?method={method}&language=fr").json()
        assert (data["method"], data["language"], data["category"]) == (method, "fr", "")
        expected = LeaderboardSnapshot.objects.filter(method=method, language="fr", category="")
        assert data["id"] == expected.latest("id").id
    coding = client.get("/api/v1/leaderboard?category=coding").json()
    assert coding["category"] == "coding" and coding["vote_count"] < 16


@pytest.mark.parametrize(
    "query,code",
    [
        ("method=glicko", "invalid_filter"),
        ("category=cooking", "invalid_filter"),
        ("language=EN_us!", "invalid_filter"),
        ("language=toolonglanguage", "invalid_filter"),
    ],
)
def test_the_api_rejects_bad_filters(client, voted, query, code):
    for url in ("/api/v1/leaderboard", "/api/v1/leaderboard/snapshots"):
        resp = client.get(f"{url}?{query}")
        assert resp.status_code == 400, (url, query)
        assert resp.json()["code"] == code
        assert query.split("=")[0] in resp.json()["detail"]


def test_the_api_says_404_for_a_slice_without_votes(client, voted):
    resp = client.get("/api/v1/leaderboard?category=math&language=de")
    assert resp.status_code == 404
    assert resp.json()["code"] == "no_leaderboard"


def test_the_api_refuses_writes(client, voted, carol):
    client.force_login(carol)
    assert client.post("/api/v1/leaderboard", {}).status_code in (403, 405)
    assert LeaderboardSnapshot.objects.filter(method="bt").count() >= 1


def test_snapshot_history_pages_with_a_cursor(client, voted):
    from ratings.services import leaderboard_refresh

    for _ in range(2):
        leaderboard_refresh()
    ids = list(
        LeaderboardSnapshot.objects.filter(method="bt", category="", language="")
        .order_by("-id")
        .values_list("id", flat=True)
    )
    assert len(ids) == 3
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/api/v1/leaderboard/snapshots?page_size=2").json()
    assert len(ctx.captured_queries) == 1
    assert [s["id"] for s in page["results"]] == ids[:2]
    rest = client.get(page["next"]).json()
    assert [s["id"] for s in rest["results"]] == ids[2:]
    assert rest["next"] is None
    bad = client.get("/api/v1/leaderboard/snapshots?cursor=garbage")
    assert bad.status_code == 404 and bad.json()["code"] == "not_found"
