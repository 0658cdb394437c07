"""The leaderboard page and its CSV download."""

import csv

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from datafi import csvsafe
from datafi.api import ApiError
from evals import languages as voter_langs
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


def _robustness_items(value) -> list[tuple[str, str]]:
    """The snapshot's robustness figure as (label, text) pairs for the methodology."""
    if not isinstance(value, dict):
        return []
    if value.get("votes") is None:
        return [("", _("No removal of votes changes the top model of this leaderboard."))]
    share = value.get("share") or 0
    wins = value.get("top_wins_removed", 0)
    losses = value.get("challenger_losses_removed", 0)
    return [
        (
            _("fewest votes that change the top"),
            _(
                "%(votes)s of %(battles)s (%(share)s): removing them puts "
                "%(challenger)s above %(top)s."
            )
            % {
                # In the reader's notation, as the page's other figures ("1.095", "0,2%").
                "votes": intcomma(value["votes"]),
                "battles": intcomma(value["n_battles"]),
                "share": f"{floatformat(100 * share, 1)}%",
                "challenger": value["challenger"],
                "top": value["top"],
            },
        ),
        (
            # Translators: how the figure above was found.
            _("how"),
            _(
                "%(wins)s of the leader and %(losses)s of the challenger, found by a "
                "greedy search and verified by refitting: an upper bound on the true minimum."
            )
            % {
                "wins": ngettext("%(n)s win", "%(n)s wins", wins) % {"n": wins},
                "losses": ngettext("%(n)s loss", "%(n)s losses", losses) % {"n": losses},
            },
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
            {
                "status": 400,
                "detail": _("Bad leaderboard filter: %(problem)s") % {"problem": exc.detail},
            },
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
        "categories": [(c, str(Category(c).label)) for c in Category.values],
        "active_categories": set(categories),
        "languages": [(code, voter_langs.reader_name(code)) for code in languages],
        "min_votes": settings.RATINGS_PRELIMINARY_VOTES,
        "rounds": settings.RATINGS_BOOTSTRAP_ROUNDS,
        "style_rounds": settings.RATINGS_STYLE_ROUNDS,
        "anchor": settings.RATINGS_ANCHOR,
        "elo_k": settings.RATINGS_ELO_K,
        "prior_sd": settings.RATINGS_PRIOR_SD,
        "interval": settings.RATINGS_INTERVAL,
        "reweight": settings.RATINGS_REWEIGHT,
        "prompt_cap": settings.RATINGS_PROMPT_CAP,
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
            _("No counted votes in this slice yet."),
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
    # Model and provider names are the providers' own text: never a formula.
    writer.writerows(csvsafe.dict_row(row) for row in snap.rows)
    return response
