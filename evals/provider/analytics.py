"""Provider analytics: how one model fares, read from counted votes only.

Every figure is computed from revealed battles whose vote the ratings count
(``ratings.BattleOutcome``: one row per counted vote, which exists only after
the reveal), so an open battle never shows up in a figure, a count or a link,
and an opponent is named only where a voter has already seen its name. A
provider reads only its own models (operators: every model); the caller's
``Principal`` decides, as for the rest of the provider API.
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.db.models import Count, Q, QuerySet

from evals.models import Battle, EvalModel, GenerationStat, LiveTurn
from evals.provider import selectors as provider_selectors
from ratings.models import BattleOutcome
from ratings.selectors import leaderboard_history

OUTCOMES = ("win", "loss", "tie", "both_bad")
PERCENTILES = (50, 90, 99)
# A history point per snapshot; boards refresh every few seconds while votes
# arrive, so only the newest ones are read (older days are thinned to one a
# day by ratings.services.snapshots_prune anyway).
HISTORY_MAX_POINTS = 500
# Speed percentiles read the newest generations only: enough for stable
# percentiles, bounded however long a model has been live.
SPEED_MAX_SAMPLES = 20_000


def analytics_models(*, principal) -> QuerySet[EvalModel]:
    """The models whose analytics the caller may read."""
    return provider_selectors.models_for_principal(principal=principal)


def analytics_model(*, principal, slug: str) -> EvalModel | None:
    return provider_selectors.model_for_principal(principal=principal, slug=slug)


def _counted(model: EvalModel, *, category: str = "", language: str = "") -> QuerySet:
    # BattleOutcome is the counted set; the battle's own flags are checked too,
    # so that a battle excluded by a direct repair never shows up before its
    # outcome row is retracted.
    qs = BattleOutcome.objects.filter(Q(model_a=model) | Q(model_b=model)).filter(
        battle__status=Battle.Status.REVEALED, battle__excluded=False
    )
    if category:
        qs = qs.filter(category=category)
    if language:
        qs = qs.filter(language=language)
    return qs


def _outcome_for(model_id: int, model_a_id: int, choice: str) -> str:
    """The vote as the model saw it: win, loss, tie or both_bad."""
    if choice in ("tie", "both_bad"):
        return choice
    won_side = "model_a" if model_a_id == model_id else "model_b"
    return "win" if choice == won_side else "loss"


def _tally(counts: dict[str, int]) -> dict:
    battles = sum(counts.get(o, 0) for o in OUTCOMES)
    wins, ties, bad = counts.get("win", 0), counts.get("tie", 0), counts.get("both_bad", 0)
    return {
        "battles": battles,
        "wins": wins,
        "losses": counts.get("loss", 0),
        "ties": ties,
        "both_bad": bad,
        # As the ratings score a vote: a tie and "both bad" are half a win.
        "win_rate": round((wins + 0.5 * (ties + bad)) / battles, 6) if battles else None,
        "both_bad_rate": round(bad / battles, 6) if battles else None,
    }


def hidden_opponent(model: EvalModel, opponent: EvalModel) -> bool:
    """Another provider's model in pre-release testing: its head-to-head record is
    its standing, which only its own provider sees until it is released or
    withdrawn. Its votes still count in ``model``'s totals."""
    return (
        opponent.prerelease == EvalModel.Prerelease.TESTING
        and opponent.organization_id != model.organization_id
    )


def model_outcomes(*, model: EvalModel, category: str = "", language: str = "") -> dict:
    """Counted votes of ``model`` grouped by opponent, category and language.

    Returns ``{"total", "opponents", "categories", "languages"}``; each entry is
    a tally (battles, wins, losses, ties, both_bad, win_rate, both_bad_rate).
    One grouped query: O(opponents x slices) rows, never the votes.
    """
    rows = (
        _counted(model, category=category, language=language)
        .values("model_a_id", "model_b_id", "category", "language", "choice")
        .annotate(n=Count("battle_id"))
        .order_by()
    )
    total: dict[str, int] = defaultdict(int)
    by_opp: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_cat: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_lang: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        outcome = _outcome_for(model.pk, r["model_a_id"], r["choice"])
        opponent = r["model_b_id"] if r["model_a_id"] == model.pk else r["model_a_id"]
        total[outcome] += r["n"]
        by_opp[opponent][outcome] += r["n"]
        by_cat[r["category"]][outcome] += r["n"]
        by_lang[r["language"]][outcome] += r["n"]
    opponents = {
        m.pk: m for m in EvalModel.objects.select_related("organization").filter(pk__in=by_opp)
    }
    opp_rows = [
        {
            "opponent": opponents[pk].slug,
            "opponent_name": opponents[pk].name,
            "opponent_provider": opponents[pk].organization.name,
            **_tally(counts),
        }
        for pk, counts in by_opp.items()
        if not hidden_opponent(model, opponents[pk])
    ]
    opp_rows.sort(key=lambda r: (-r["battles"], r["opponent"]))
    return {
        "total": _tally(total),
        "opponents": opp_rows,
        "categories": [{"category": k, **_tally(v)} for k, v in sorted(by_cat.items())],
        "languages": [{"language": k, **_tally(v)} for k, v in sorted(by_lang.items())],
    }


def model_score_history(
    *,
    model: EvalModel,
    method: str = "bt",
    category: str = "",
    language: str = "",
    limit: int = HISTORY_MAX_POINTS,
) -> list[dict]:
    """The model's score and interval in each leaderboard snapshot, oldest first.

    Snapshots that do not rate the model (before its first counted vote) are
    left out.
    """
    snaps = leaderboard_history(method=method, category=category, language=language).values_list(
        "id", "created_at", "vote_count", "rows"
    )[:limit]
    points = []
    for snap_id, created_at, vote_count, rows in snaps:
        row = next((r for r in rows if r.get("model_id") == model.pk), None)
        if row is None:
            continue
        points.append(
            {
                "snapshot": snap_id,
                "created_at": created_at,
                "vote_count": vote_count,
                "score": row["score"],
                "lower": row.get("lower"),
                "upper": row.get("upper"),
                "rank": row.get("rank"),
                "votes": row.get("votes", 0),
                "models": len(rows),
            }
        )
    points.reverse()
    return points


def _percentile(sorted_values: list[float], q: int) -> float | None:
    """Nearest-rank percentile (a value that was measured, not interpolated)."""
    if not sorted_values:
        return None
    k = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)
    return round(float(sorted_values[k]), 3)


def _in_revealed_live_battles(model: EvalModel) -> Q:
    """Answers the model generated in revealed live battles (every turn)."""
    revealed = Q(battle__status=Battle.Status.REVEALED)
    turns = LiveTurn.objects.order_by()
    side_a = turns.filter(revealed, battle__model_a=model).values("answer_a_id")
    side_b = turns.filter(revealed, battle__model_b=model).values("answer_b_id")
    return Q(answer_id__in=side_a) | Q(answer_id__in=side_b)


def model_speed(*, model: EvalModel) -> dict:
    """Generation speed of the model in revealed live battles: percentiles of
    time to first token, tokens per second and total duration."""
    stats = list(
        GenerationStat.objects.filter(_in_revealed_live_battles(model), answer__model=model)
        .order_by("-created_at")
        .values_list("time_to_first_token_ms", "tokens_per_s", "duration_ms", "finish_reason")[
            :SPEED_MAX_SAMPLES
        ]
    )
    errors = sum(1 for s in stats if s[3] == GenerationStat.Finish.ERROR)
    ok = [s for s in stats if s[3] != GenerationStat.Finish.ERROR]
    columns = {
        "time_to_first_token_ms": sorted(s[0] for s in ok if s[0] is not None),
        "tokens_per_s": sorted(s[1] for s in ok if s[1] is not None),
        "duration_ms": sorted(s[2] for s in ok),
    }
    return {
        "generations": len(stats),
        "errors": errors,
        "error_rate": round(errors / len(stats), 6) if stats else None,
        "metrics": [
            {
                "metric": name,
                "samples": len(values),
                **{f"p{q}": _percentile(values, q) for q in PERCENTILES},
            }
            for name, values in columns.items()
        ],
    }


def battles_behind(
    *,
    model: EvalModel,
    opponent: EvalModel | None = None,
    category: str = "",
    language: str = "",
    outcome: str = "",
    live: bool | None = None,
) -> QuerySet[Battle]:
    """The revealed, counted battles behind one figure of ``model``'s analytics."""
    outcomes = _counted(model, category=category, language=language)
    if opponent is not None:
        outcomes = outcomes.filter(Q(model_a=opponent) | Q(model_b=opponent))
    if outcome in ("tie", "both_bad"):
        outcomes = outcomes.filter(choice=outcome)
    elif outcome == "win":
        outcomes = outcomes.filter(
            Q(model_a=model, choice="model_a") | Q(model_b=model, choice="model_b")
        )
    elif outcome == "loss":
        outcomes = outcomes.filter(
            Q(model_a=model, choice="model_b") | Q(model_b=model, choice="model_a")
        )
    qs = Battle.objects.filter(
        status=Battle.Status.REVEALED, id__in=outcomes.values("battle_id")
    ).select_related("prompt", "model_a", "model_b", "vote")
    if live is not None:
        qs = qs.filter(mode=Battle.Mode.LIVE if live else Battle.Mode.STORED)
    return qs


def battle_row(*, model: EvalModel, battle: Battle) -> dict:
    """One battle as the model's provider sees it in a drill-down."""
    is_a = battle.model_a_id == model.pk
    opponent = battle.model_b if is_a else battle.model_a
    return {
        "id": battle.id,
        "mode": battle.mode,
        "voted_at": battle.voted_at,
        "category": battle.prompt.category,
        "language": battle.prompt.language,
        "prompt": battle.prompt.text,
        "side": "a" if is_a else "b",
        "opponent": opponent.slug,
        "outcome": _outcome_for(model.pk, battle.model_a_id, battle.vote.choice),
    }
