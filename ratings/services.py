"""Writes for ratings: pair counts kept by the vote's fold, the refresh
queue shared by any number of workers, and leaderboard snapshots."""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
from collections import Counter, defaultdict
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from datafi.events import send_on_commit
from evals import selectors as evals_selectors
from evals.models import Battle, EvalModel, Prompt, Vote
from ratings.aggregate import aggregate_battles, counts_from_pairs
from ratings.matrices import battle_count_matrix, observed_win_matrix, predicted_win_matrix
from ratings.models import BattleOutcome, LeaderboardSnapshot, PairCount, RefreshRequest
from ratings.robustness import fewest_votes_to_change_top
from ratings.style import FEATURE_NAMES, extract_features
from ratings.table import elo_table, leaderboard_table

log = logging.getLogger(__name__)

LEADERBOARD_GROUP = "leaderboard"
OUTCOME = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "both_bad": 0.5}
_COUNT_FIELDS = ("wins_lo", "wins_hi", "ties", "both_bad")
_FEATURE_FIELDS = [f"{name}_{side}" for side in "ab" for name in FEATURE_NAMES]


def _slices(category: str, language: str) -> list[tuple[str, str]]:
    """The leaderboards a vote in (category, language) belongs to."""
    return [("", ""), (category, ""), ("", language), (category, language)]


def _pair_field(choice: str, model_a_id: int, model_b_id: int) -> str:
    if choice in ("tie", "both_bad"):
        return "ties" if choice == "tie" else "both_bad"
    winner = model_a_id if choice == "model_a" else model_b_id
    return "wins_lo" if winner == min(model_a_id, model_b_id) else "wins_hi"


def _pair_count_take_back(*, model_a_id, model_b_id, category, language, field) -> None:
    """One vote less in a pair's row (a retraction; ``battle_outcomes_record`` adds)."""
    lo, hi = sorted((model_a_id, model_b_id))
    key = {"model_lo_id": lo, "model_hi_id": hi, "category": category, "language": language}
    if not PairCount.objects.filter(**key).update(**{field: F(field) - 1}):
        raise ValueError(f"no pair count to decrement for {key}")


def _mark_dirty(slices, now) -> None:
    match = Q()
    for category, language in slices:
        match |= Q(category=category, language=language)
    # Only flips clean slices: a busy slice stays dirty without every vote
    # rewriting (and locking) its row until the worker claims it.
    RefreshRequest.objects.filter(match, dirty_since__isnull=True).update(dirty_since=now)
    RefreshRequest.objects.bulk_create(
        [RefreshRequest(category=c, language=lang, dirty_since=now) for c, lang in slices],
        ignore_conflicts=True,
    )


# Style features by (answer id, hash of its text): a fold meets the same few
# hundred answers again and again, and the regular expressions were a tenth of
# its CPU. A dict, not functools.lru_cache, so that no answer text is kept;
# emptied when full.
_FEATURES: dict[tuple[int, int], tuple[int, ...]] = {}
_FEATURES_MAX = 8192


def _answer_features(answer_id: int, text: str | None) -> tuple[int, ...]:
    key = (answer_id, hash(text))
    found = _FEATURES.get(key)
    if found is None:
        if len(_FEATURES) >= _FEATURES_MAX:
            _FEATURES.clear()
        found = _FEATURES[key] = tuple(int(x) for x in extract_features(text))
    return found


def _outcome_row(battle_id, *, choice, model_a_id, model_b_id, voted_at, slice_, answers):
    """``answers``: (id, text) of answer A and of answer B."""
    fa, fb = (_answer_features(*a) for a in answers)
    values = dict(zip(_FEATURE_FIELDS, (*fa, *fb), strict=True))
    return BattleOutcome(
        battle_id=battle_id,
        model_a_id=model_a_id,
        model_b_id=model_b_id,
        category=slice_[0],
        language=slice_[1],
        choice=choice,
        voted_at=voted_at,
        **values,
    )


_PAIR_COUNT_TABLE = PairCount._meta.db_table
# Only the table name (a constant) and the number of row groups are formatted
# in; every value is a bound parameter. PostgreSQL and SQLite (3.24+) both
# take this upsert.
_PAIR_COUNT_UPSERT = (
    f"INSERT INTO {_PAIR_COUNT_TABLE} "  # noqa: S608
    "(model_lo_id, model_hi_id, category, language, wins_lo, wins_hi, ties, both_bad) "
    "VALUES {values} ON CONFLICT (model_lo_id, model_hi_id, category, language) DO UPDATE SET "
    + ", ".join(f"{f} = {_PAIR_COUNT_TABLE}.{f} + excluded.{f}" for f in _COUNT_FIELDS)
)


def battle_outcomes_record(*, items: list[tuple[Battle, str]]) -> None:
    """Count votes in the pair counts and per-vote outcomes (caller's transaction).

    ``items``: (battle, choice) with each battle's prompt and answers selected.
    One upsert adds every pair's counts, rows in key order (so that two batches
    over the same pairs lock them in the same order and cannot deadlock); one
    insert writes the outcomes; one pass marks the slices dirty.
    """
    if not items:
        return
    deltas: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COUNT_FIELDS, 0))
    outcomes, slices = [], set()
    for battle, choice in items:
        if choice not in OUTCOME:
            raise ValueError(f"unknown choice {choice!r}")
        category, language = battle.prompt.category, battle.prompt.language
        lo, hi = sorted((battle.model_a_id, battle.model_b_id))
        deltas[(lo, hi, category, language)][
            _pair_field(choice, battle.model_a_id, battle.model_b_id)
        ] += 1
        outcomes.append(
            _outcome_row(
                battle.id,
                choice=choice,
                model_a_id=battle.model_a_id,
                model_b_id=battle.model_b_id,
                voted_at=battle.voted_at or timezone.now(),
                slice_=(category, language),
                answers=(
                    (battle.answer_a_id, battle.answer_a.text),
                    (battle.answer_b_id, battle.answer_b.text),
                ),
            )
        )
        slices.update(_slices(category, language))
    params: list = []
    for key in sorted(deltas):
        params += [*key, *(deltas[key][f] for f in _COUNT_FIELDS)]
    sql = _PAIR_COUNT_UPSERT.format(
        values=", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(deltas))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    BattleOutcome.objects.bulk_create(outcomes)
    _mark_dirty(sorted(slices), timezone.now())


@transaction.atomic
def battle_outcome_retract(*, battle: Battle, choice: str | None = None) -> bool:
    """Stop counting a battle's vote (e.g. excluded after the fact); idempotent.

    Returns False when the battle was not counted (never voted, or already
    retracted). ``choice``, when given, must be the recorded one.
    """
    outcome = BattleOutcome.objects.select_for_update().filter(battle_id=battle.id).first()
    if outcome is None:
        return False
    if choice is not None and choice != outcome.choice:
        raise ValueError(f"battle {battle.id} was counted as {outcome.choice!r}, not {choice!r}")
    # The row lock above makes concurrent retractions of one battle queue; the
    # delete's row count makes the second one a no-op on databases without locks.
    if BattleOutcome.objects.filter(battle_id=battle.id).delete()[0] != 1:
        return False
    _pair_count_take_back(
        model_a_id=outcome.model_a_id,
        model_b_id=outcome.model_b_id,
        category=outcome.category,
        language=outcome.language,
        field=_pair_field(outcome.choice, outcome.model_a_id, outcome.model_b_id),
    )
    _mark_dirty(_slices(outcome.category, outcome.language), timezone.now())
    return True


@transaction.atomic
def pair_counts_rebuild() -> int:
    """Recompute pair counts and outcomes from the counted votes; returns the vote count.

    Counted = revealed, not excluded. For operators after a data repair.
    """
    if connection.vendor == "postgresql":
        # A vote committing half-way through would be counted twice or not at
        # all; votes queue on these locks until the rebuild commits.
        with connection.cursor() as cur:
            cur.execute("LOCK TABLE ratings_paircount, ratings_battleoutcome IN EXCLUSIVE MODE")
    PairCount.objects.all().delete()
    BattleOutcome.objects.all().delete()
    votes = (
        Vote.objects.filter(battle__excluded=False, battle__status=Battle.Status.REVEALED)
        .order_by("battle__voted_at", "battle_id")
        .values_list(
            "battle_id",
            "choice",
            "battle__voted_at",
            "battle__model_a_id",
            "battle__model_b_id",
            "battle__prompt__category",
            "battle__prompt__language",
            "battle__answer_a_id",
            "battle__answer_a__text",
            "battle__answer_b_id",
            "battle__answer_b__text",
        )
    )
    pairs: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    outcomes = []
    slices = set()
    n = 0
    for battle_id, choice, voted_at, a, b, cat, lang, *answers in votes.iterator(2000):
        lo, hi = sorted((a, b))
        pairs[(lo, hi, cat, lang)][_pair_field(choice, a, b)] += 1
        outcomes.append(
            _outcome_row(
                battle_id,
                choice=choice,
                model_a_id=a,
                model_b_id=b,
                voted_at=voted_at,
                slice_=(cat, lang),
                answers=(answers[:2], answers[2:]),
            )
        )
        slices.update(_slices(cat, lang))
        n += 1
        if len(outcomes) >= 2000:
            BattleOutcome.objects.bulk_create(outcomes)
            outcomes = []
    BattleOutcome.objects.bulk_create(outcomes)
    PairCount.objects.bulk_create(
        PairCount(model_lo_id=lo, model_hi_id=hi, category=cat, language=lang, **fields)
        for (lo, hi, cat, lang), fields in pairs.items()
    )
    # Slices that lost all their votes must refresh too (to an empty board).
    slices.update(RefreshRequest.objects.values_list("category", "language"))
    _mark_dirty(sorted(slices), timezone.now())
    return n


# --- snapshots -------------------------------------------------------------


def _slice_filter(category: str, language: str) -> dict:
    out = {}
    if category:
        out["category"] = category
    if language:
        out["language"] = language
    return out


def _finite(x):
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def _matrices(rows, counts, index, params) -> dict:
    """Win-rate and battle-count matrices in leaderboard order (NaN -> None)."""
    order = [index[r["model"]] for r in rows]
    scores = np.array([r["score"] for r in rows])
    pred = predicted_win_matrix(scores, scale=params["scale"], base=params["base"])
    obs = observed_win_matrix(counts)[np.ix_(order, order)]
    battles = battle_count_matrix(counts)[np.ix_(order, order)]
    return {
        "models": [r["model"] for r in rows],
        "predicted": [[_finite(x) for x in row] for row in pred.tolist()],
        "observed": [[_finite(x) for x in row] for row in obs.tolist()],
        "battles": battles.astype(int).tolist(),
    }


def _decorate(rows, meta, counts, index, models, *, method, category, language) -> None:
    min_votes = settings.RATINGS_PRELIMINARY_VOTES
    for row in rows:
        model = models[row["model"]]
        row["model_id"] = model["id"]
        row["slug"] = model["slug"]
        row["provider"] = model["organization__name"]
        row["preliminary"] = row["votes"] < min_votes
    meta["matrices"] = _matrices(rows, counts, index, meta["params"])
    meta["min_votes"] = min_votes
    meta["slice"] = {"method": method, "category": category, "language": language}


def _common_params() -> dict:
    anchor = settings.RATINGS_ANCHOR or None
    return {
        "rounds": settings.RATINGS_BOOTSTRAP_ROUNDS,
        "anchor": anchor,
        "seed": 0,
        "prior_sd": settings.RATINGS_PRIOR_SD or None,
        "interval": settings.RATINGS_INTERVAL,
        "reweight": settings.RATINGS_REWEIGHT,
    }


def _votes_over_prompt_cap(where: dict, cap: int) -> list[tuple[int, int, int, str]]:
    """Votes on live-typed prompts beyond the ``cap`` first of the same text.

    The most frequent typed prompts ("hi", "write a poem") would otherwise
    weigh in a leaderboard as much as hundreds of distinct questions; LMArena
    drops its top 0.1%. Texts match up to case and surrounding spaces; the
    earliest votes of each text are the ones kept, so the choice is stable.
    Returns (battle_id, model_a_id, model_b_id, choice) of the votes to leave out.
    """
    if cap <= 0:
        return []
    live = BattleOutcome.objects.filter(
        **where, battle__prompt__source=Prompt.Source.USER
    ).annotate(text_key=Lower(Trim("battle__prompt__text")))
    heavy = list(
        live.values("text_key")
        .annotate(n=Count("battle_id"))
        .filter(n__gt=cap)
        .values_list("text_key", flat=True)
    )
    if not heavy:
        return []
    seen: Counter = Counter()
    out = []
    rows = (
        live.filter(text_key__in=heavy)
        .order_by("voted_at", "battle_id")
        .values_list("text_key", "battle_id", "model_a_id", "model_b_id", "choice")
    )
    for key, battle_id, a, b, choice in rows:
        seen[key] += 1
        if seen[key] > cap:
            out.append((battle_id, a, b, choice))
    return out


def _pairs_without(pairs: list[tuple], dropped: list[tuple]) -> list[tuple]:
    """Pair count rows merged per pair, minus the dropped votes."""
    merged: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for lo, hi, *fields in pairs:
        acc = merged[(lo, hi)]
        for k, v in enumerate(fields):
            acc[k] += v
    for _, a, b, choice in dropped:
        field = _pair_field(choice, a, b)
        merged[(min(a, b), max(a, b))][_COUNT_FIELDS.index(field)] -= 1
    return [(lo, hi, *fields) for (lo, hi), fields in merged.items()]


def _model_info(ids) -> dict[str, dict]:
    rows = EvalModel.objects.filter(id__in=ids).values("id", "name", "slug", "organization__name")
    return {r["name"]: r for r in rows}


def _robustness(counts, names, rows) -> dict | None:
    """The fewest votes whose removal changes the top model (a greedy upper bound);
    the top is the table's first row, whatever breaks a near-tie there."""
    if counts.n_models < 2:
        return None
    top = names.index(rows[0]["model"]) if rows and rows[0].get("rank") is not None else None
    result = fewest_votes_to_change_top(
        counts, max_challengers=settings.RATINGS_ROBUSTNESS_CHALLENGERS, top=top
    )
    return result.as_dict(names)


def _hidden_models(include_testing) -> set[int]:
    """Models left out of a fit: those in pre-release testing, but the ones asked for.

    The public leaderboards leave every model in testing out (its standing is
    the provider's until it is released or withdrawn); the provider's own view
    asks for its model. The votes between a model in testing and a public one
    are left out of the public fit with it, so no public score carries them.
    """
    return set(evals_selectors.models_in_testing_ids()) - set(include_testing or ())


def leaderboard_compute(
    *, category: str = "", language: str = "", include_testing=(), methods=("bt", "style", "elo")
) -> list[dict]:
    """The three leaderboards (bt, style, elo) of a slice, computed from the counts.

    Returns a list of dicts with method, vote_count, params, rows, meta; empty
    when the slice has no counted votes. Reads only; nothing is stored. Models in
    pre-release testing are left out unless their ids are in ``include_testing``.
    """
    where = _slice_filter(category, language)
    hidden = _hidden_models(include_testing)
    pairs = list(
        PairCount.objects.filter(**where)
        .exclude(model_lo_id__in=hidden)
        .exclude(model_hi_id__in=hidden)
        .values_list("model_lo_id", "model_hi_id", "wins_lo", "wins_hi", "ties", "both_bad")
    )
    dropped = [
        d
        for d in _votes_over_prompt_cap(where, settings.RATINGS_PROMPT_CAP)
        if d[1] not in hidden and d[2] not in hidden
    ]
    if dropped:
        pairs = _pairs_without(pairs, dropped)
    dropped_ids = {d[0] for d in dropped}
    pairs = [p for p in pairs if sum(p[2:])]
    if not pairs:
        return []
    arr = np.array(pairs, dtype=np.int64)
    models = _model_info(set(arr[:, 0]) | set(arr[:, 1]))
    by_id = {m["id"]: name for name, m in models.items()}
    # Index models by sorted name: the CLI (np.unique) does the same, so the
    # bootstrap resamples pairs in the same order and the numbers agree exactly.
    names = sorted(models)
    index = {name: k for k, name in enumerate(names)}
    i = np.array([index[by_id[x]] for x in arr[:, 0]], dtype=np.int64)
    j = np.array([index[by_id[x]] for x in arr[:, 1]], dtype=np.int64)
    m = len(names)
    bb = np.bincount(i, arr[:, 5], m) + np.bincount(j, arr[:, 5], m)
    counts = counts_from_pairs(
        m, i, j, arr[:, 2], arr[:, 4] + arr[:, 5], arr[:, 3], both_bad=bb.astype(np.float64)
    )
    common = _common_params()
    out = []
    rows, meta = leaderboard_table(names, counts, **common)
    meta["prompt_cap"] = {"cap": settings.RATINGS_PROMPT_CAP, "votes_left_out": len(dropped)}
    _decorate(rows, meta, counts, index, models, method="bt", category=category, language=language)
    meta["robustness"] = _robustness(counts, names, rows)
    out.append({"method": "bt", "vote_count": counts.n_battles, "rows": rows, "meta": meta})
    if not {"style", "elo"} & set(methods):
        out[0]["params"] = meta["params"]
        return out

    # Style control and Elo need single battles, in vote order.
    battles = list(
        BattleOutcome.objects.filter(**where)
        .order_by("voted_at", "battle_id")
        .values_list("battle_id", "model_a_id", "model_b_id", "choice", *_FEATURE_FIELDS)
    )
    battles = [
        b[1:] for b in battles if b[1] in by_id and b[2] in by_id and b[0] not in dropped_ids
    ]
    if battles:
        a = np.array([index[by_id[b[0]]] for b in battles], dtype=np.int64)
        b_ = np.array([index[by_id[b[1]]] for b in battles], dtype=np.int64)
        s = np.array([OUTCOME[b[2]] for b in battles])
        both_bad = np.array([b[2] == "both_bad" for b in battles])
        feats = np.array([b[3:] for b in battles], dtype=np.float64)
        b_counts = aggregate_battles(a, b_, s, n_models=m, both_bad=both_bad)
        style = {
            "model_a_idx": a,
            "model_b_idx": b_,
            "outcome": s,
            "features_a": feats[:, :4],
            "features_b": feats[:, 4:],
        }
        rows, meta = leaderboard_table(
            names,
            b_counts,
            **common,
            style=style,
            style_rounds=settings.RATINGS_STYLE_ROUNDS,
        )
        _decorate(
            rows,
            meta,
            b_counts,
            index,
            models,
            method="style",
            category=category,
            language=language,
        )
        out.append(
            {"method": "style", "vote_count": b_counts.n_battles, "rows": rows, "meta": meta}
        )
        rows, meta = elo_table(names, a, b_, s, both_bad=both_bad, k=settings.RATINGS_ELO_K)
        _decorate(
            rows, meta, b_counts, index, models, method="elo", category=category, language=language
        )
        out.append({"method": "elo", "vote_count": b_counts.n_battles, "rows": rows, "meta": meta})
    for item in out:
        item["params"] = item["meta"]["params"]
    return out


def model_standing(*, model_id: int, max_age: float = 0, token: str = "") -> dict:
    """A model's standing on the overall leaderboard, fitted with it included.

    For a model in pre-release testing this is the provider's private view (and,
    at release or withdrawal, the results that are disclosed): the same fit as
    the public board (other models in testing left out) plus this model.
    ``score``/``lower``/``upper``/``rank`` are None when it has no counted vote.
    ``max_age``: seconds a fit made earlier (for any caller) may be returned
    instead of a new one (its ``computed_at`` says when); 0 fits now. The fit
    costs about 0.15 s of CPU at a thousand votes and grows with them, so the
    polled API must not make one per request. ``token`` tells apart models that
    reuse an id (the caller's: when it changes, the cached fit is not used).
    """
    if max_age > 0:
        key = f"ratings:standing:{model_id}:{token}"
        standing = cache.get(key)
        if standing is None:
            standing = _model_standing_fit(model_id)
            cache.set(key, standing, timeout=max_age)
        return standing
    return _model_standing_fit(model_id)


def _model_standing_fit(model_id: int) -> dict:
    boards = leaderboard_compute(include_testing={model_id}, methods=("bt",))
    bt = next((b for b in boards if b["method"] == "bt"), None)
    row = None
    if bt is not None:
        row = next((r for r in bt["rows"] if r["model_id"] == model_id), None)
    return {
        "method": "bt",
        "score": row["score"] if row else None,
        "lower": row["lower"] if row else None,
        "upper": row["upper"] if row else None,
        "rank": row["rank"] if row else None,
        "votes": row["votes"] if row else 0,
        "preliminary": row["preliminary"] if row else True,
        "models_in_fit": len(bt["rows"]) if bt else 0,
        "fit_vote_count": bt["vote_count"] if bt else 0,
        "interval": settings.RATINGS_INTERVAL,
        "computed_at": timezone.now().isoformat(),
    }


def leaderboards_invalidate() -> None:
    """Mark every known slice for a refresh (a model left or joined the public boards)."""
    slices = set(RefreshRequest.objects.values_list("category", "language"))
    slices.add(("", ""))
    _mark_dirty(sorted(slices), timezone.now())


def leaderboard_refresh(*, category: str = "", language: str = "") -> list[LeaderboardSnapshot]:
    """Compute and store the slice's snapshots; announce them on commit."""
    boards = leaderboard_compute(category=category, language=language)
    if not boards:
        return []
    now = timezone.now()
    with transaction.atomic():
        snaps = [
            LeaderboardSnapshot.objects.create(
                method=b["method"],
                category=category,
                language=language,
                params=b["params"],
                vote_count=b["vote_count"],
                created_at=now,
                rows=b["rows"],
                meta=b["meta"],
            )
            for b in boards
        ]
        send_on_commit(
            LEADERBOARD_GROUP,
            {
                "type": "leaderboard.snapshot",
                "category": category,
                "language": language,
                "vote_count": snaps[0].vote_count,
                "snapshots": {s.method: s.id for s in snaps},
            },
        )
    return snaps


# --- the refresh queue -------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def refresh_claim(*, worker: str, lease_seconds: int | None = None) -> RefreshRequest | None:
    """Claim one dirty slice for ``worker``, or None when nothing is claimable.

    Claimable: dirty and not leased, or leased by a worker whose lease ran out
    (it crashed mid-refresh). The claim is a conditional UPDATE; the one
    process whose UPDATE changed the row owns it, any other got there second.
    """
    now = timezone.now()
    lease = lease_seconds or settings.RATINGS_REFRESH_LEASE_SECONDS
    claimable = Q(dirty_since__isnull=False, claimed_until__isnull=True) | Q(claimed_until__lt=now)
    candidates = list(
        RefreshRequest.objects.filter(claimable)
        .order_by(F("dirty_since").asc(nulls_first=True), "id")
        .values_list("id", flat=True)[:20]
    )
    for pk in candidates:
        # Clearing dirty_since at claim time means a vote that lands while we
        # compute marks the slice dirty again, so it is never missed.
        won = RefreshRequest.objects.filter(claimable, pk=pk).update(
            dirty_since=None, claimed_by=worker, claimed_until=now + timedelta(seconds=lease)
        )
        if won == 1:
            return RefreshRequest.objects.get(pk=pk)
    return None


def refresh_release(*, request: RefreshRequest, worker: str, failed: bool = False) -> None:
    now = timezone.now()
    changes = {"claimed_by": "", "claimed_until": None}
    if failed:
        changes["dirty_since"] = now  # try again on the next pass
    else:
        changes["refreshed_at"] = now
    RefreshRequest.objects.filter(pk=request.pk, claimed_by=worker).update(**changes)


def refresh_dirty(*, worker: str | None = None, limit: int | None = None) -> int:
    """Refresh every dirty slice this worker can claim; returns how many it refreshed."""
    worker = worker or worker_name()
    done = 0
    while limit is None or done < limit:
        request = refresh_claim(worker=worker)
        if request is None:
            break
        try:
            leaderboard_refresh(category=request.category, language=request.language)
        except Exception:
            log.exception("leaderboard refresh of %s failed", request)
            refresh_release(request=request, worker=worker, failed=True)
            break
        refresh_release(request=request, worker=worker)
        done += 1
    return done


def snapshots_prune(*, now, keep_days: int, history_days: int) -> int:
    """Thin old leaderboard snapshots (each carries m x m matrices); return how many went.

    Snapshots of the last ``keep_days`` all stay. Older ones keep the last of
    each UTC day per board (method, category, language), which is what score
    histories read, up to ``history_days``; past that only each board's newest
    snapshot stays, so a board that stopped refreshing still serves its last table.
    """
    from django.db.models import Max
    from django.db.models.functions import TruncDate

    boards = LeaderboardSnapshot.objects.values("method", "category", "language")
    keep = set(boards.annotate(newest=Max("id")).values_list("newest", flat=True))
    history_cutoff = now - timedelta(days=history_days)
    daily = (
        LeaderboardSnapshot.objects.filter(created_at__gte=history_cutoff)
        .annotate(day=TruncDate("created_at"))
        .values("method", "category", "language", "day")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    keep.update(daily)
    old = LeaderboardSnapshot.objects.filter(created_at__lt=now - timedelta(days=keep_days))
    deleted, _ = old.exclude(id__in=keep).delete()
    return deleted
