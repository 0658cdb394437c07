"""The leaderboard page and its CSV download."""

import csv

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from datafi.api import ApiError
from evals.models import Category
from ratings import selectors
from ratings.api import SnapshotSerializer, parse_query
from ratings.models import LeaderboardSnapshot

CSV_COLUMNS = [
    "rank",
    "model",
    "provider",
    "score",
    "lower",
    "upper",
    "votes",
    "win_rate",
    "both_bad_rate",
    "component",
    "preliminary",
]
LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "de": "German"}


def _robustness_items(value) -> list[tuple[str, str]]:
    """The snapshot's robustness figure as (label, text) pairs for the methodology."""
    if not isinstance(value, dict):
        return []
    if value.get("votes") is None:
        return [("", "No removal of votes changes the top model of this leaderboard.")]
    share = value.get("share") or 0
    return [
        (
            "fewest votes that change the top",
            f"{value['votes']} of {value['n_battles']} ({share:.1%}): removing them puts "
            f"{value['challenger']} above {value['top']}.",
        ),
        (
            "how",
            f"{value.get('top_wins_removed', 0)} wins of the leader and "
            f"{value.get('challenger_losses_removed', 0)} losses of the challenger, found by a "
            "greedy search and verified by refitting: an upper bound on the true minimum.",
        ),
    ]


@require_GET
def leaderboard_page(request):
    try:
        query = parse_query(request.GET)
    except ApiError as exc:
        return render(
            request,
            "error.html",
            {"status": 400, "detail": f"Bad leaderboard filter: {exc.detail}"},
            status=400,
        )
    snap = selectors.leaderboard_latest(**query)
    categories, languages = selectors.known_slices()
    if query["language"] and query["language"] not in languages:
        languages = sorted([*languages, query["language"]])
    data = SnapshotSerializer(snap).data if snap is not None else None
    context = {
        "query": query,
        "snapshot": snap,
        "snapshot_data": data,
        "methods": LeaderboardSnapshot.Method.choices,
        "categories": [(c, Category(c).label) for c in Category.values],
        "active_categories": set(categories),
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in languages],
        "min_votes": settings.RATINGS_PRELIMINARY_VOTES,
        "rounds": settings.RATINGS_BOOTSTRAP_ROUNDS,
        "style_rounds": settings.RATINGS_STYLE_ROUNDS,
        "anchor": settings.RATINGS_ANCHOR,
        "elo_k": settings.RATINGS_ELO_K,
        "robustness": _robustness_items(snap.meta.get("robustness")) if snap else [],
    }
    return render(request, "ratings/leaderboard.html", context)


@require_GET
def leaderboard_csv(request):
    try:
        query = parse_query(request.GET)
    except ApiError as exc:
        return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
    snap = selectors.leaderboard_latest(**query)
    if snap is None:
        return HttpResponse(
            "No counted votes in this slice yet.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    name = "-".join(
        ["leaderboard", query["method"], query["category"] or "all", query["language"] or "all"]
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{snap.id}.csv"'
    writer = csv.DictWriter(response, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(snap.rows)
    return response
