"""Reads of ratings data for pages, the API and the quality work."""

from __future__ import annotations

from django.db.models import Sum

from ratings.models import BattleOutcome, LeaderboardSnapshot, PairCount


def leaderboard_latest(
    *, method: str = "bt", category: str = "", language: str = ""
) -> LeaderboardSnapshot | None:
    """The newest snapshot of a leaderboard ('' = all categories / languages), or None."""
    return (
        LeaderboardSnapshot.objects.filter(method=method, category=category, language=language)
        .order_by("-id")
        .first()
    )


def leaderboard_history(*, method: str = "bt", category: str = "", language: str = ""):
    """Snapshots of a leaderboard, newest first (a queryset, for cursor pagination)."""
    return LeaderboardSnapshot.objects.filter(
        method=method, category=category, language=language
    ).order_by("-id")


def pair_outcome_counts(*, model_a_id: int, model_b_id: int) -> dict[str, int]:
    """Counted votes between two models over all slices, oriented to (a, b).

    Keys: wins_a, wins_b, ties, both_bad (ties excludes both_bad).
    """
    lo, hi = sorted((model_a_id, model_b_id))
    sums = PairCount.objects.filter(model_lo_id=lo, model_hi_id=hi).aggregate(
        wins_lo=Sum("wins_lo"), wins_hi=Sum("wins_hi"), ties=Sum("ties"), both_bad=Sum("both_bad")
    )
    sums = {k: int(v or 0) for k, v in sums.items()}
    a_is_lo = model_a_id == lo
    return {
        "wins_a": sums["wins_lo"] if a_is_lo else sums["wins_hi"],
        "wins_b": sums["wins_hi"] if a_is_lo else sums["wins_lo"],
        "ties": sums["ties"],
        "both_bad": sums["both_bad"],
    }


def pair_outcome_totals(*, pairs) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Counted votes of each (lo, hi) pair over all slices, in one query:
    (lo won, hi won, tie, both bad); a pair without votes is all zeros."""
    pairs = set(pairs)
    out = dict.fromkeys(pairs, (0, 0, 0, 0))
    if not pairs:
        return out
    rows = (
        PairCount.objects.filter(
            model_lo_id__in={lo for lo, _ in pairs}, model_hi_id__in={hi for _, hi in pairs}
        )
        .values("model_lo_id", "model_hi_id")
        .annotate(
            lo_won=Sum("wins_lo"), hi_won=Sum("wins_hi"), tie=Sum("ties"), bad=Sum("both_bad")
        )
        .order_by()
    )
    for row in rows:
        key = (row["model_lo_id"], row["model_hi_id"])
        if key in pairs:
            out[key] = (row["lo_won"], row["hi_won"], row["tie"], row["bad"])
    return out


def battles_counted(*, battle_ids) -> set:
    """Which of these battles' votes the ratings count now."""
    return set(
        BattleOutcome.objects.filter(battle_id__in=list(battle_ids)).values_list(
            "battle_id", flat=True
        )
    )


def known_slices() -> tuple[list[str], list[str]]:
    """Categories and languages that have at least one snapshot, sorted."""
    pairs = LeaderboardSnapshot.objects.values_list("category", "language").distinct().order_by()
    cats, langs = set(), set()
    for c, lang in pairs:
        cats.add(c)
        langs.add(lang)
    return sorted(cats - {""}), sorted(langs - {""})


def pair_count_totals() -> list[tuple[int, int, int, int, int, int]]:
    """Counted votes per unordered pair over all slices.

    Rows of (model_lo, model_hi, wins_lo, wins_hi, ties, both_bad): O(models²)
    rows, for whoever needs a fit of their own (e.g. quality's predictions).
    """
    return [
        (lo, hi, int(wl), int(wh), int(t), int(bb))
        for lo, hi, wl, wh, t, bb in PairCount.objects.values("model_lo_id", "model_hi_id")
        .annotate(wl=Sum("wins_lo"), wh=Sum("wins_hi"), t=Sum("ties"), bb=Sum("both_bad"))
        .values_list("model_lo_id", "model_hi_id", "wl", "wh", "t", "bb")
        .order_by()
    ]


def snapshot_newest_created() -> object | None:
    """When the newest leaderboard snapshot was taken (None: never)."""
    newest = LeaderboardSnapshot.objects.order_by("-id").values_list("created_at", flat=True)
    return newest.first()
