"""Pair sampling: which prompt and which two answers a voter sees next.

Everything goes through :func:`pick`. Version three:

- Only models an operator approved, and answers not withheld (an answer that
  names a model or provider), are ever served. Candidates come from a
  per-process copy (:mod:`evals.catalogue`); the two answers chosen are read
  under the same conditions, so a stale copy can only waste a draw, never
  serve an answer that is no longer servable.
- With probability ``QUALITY_GOLD_RATE`` the draw is a gold pair (two answers to
  one prompt whose better side operators know) on a prompt the voter has not
  seen. It becomes an ordinary battle: nothing served to the voter differs.
- Otherwise a pair of active models is drawn with weight
  ``QUALITY_SAMPLER_BASE + U / mean U``, where ``U`` is the pair's share of
  the next ``QUALITY_SAMPLER_PLAN_VOTES`` votes as the greedy design plans them
  (:func:`ratings.active.design_allocation`): each planned vote goes to the
  pair where one more vote would settle the order of the table most (the
  chance that neighbouring models are shown in the wrong order, given the
  current fit and its covariance, times the share of that doubt the vote
  would remove, weighted towards the top of the table), and the covariance is
  updated as if it had been cast, so returns diminish. Close pairs near the
  top with wide intervals come up most; settled pairs get only the base
  weight. The plan is made once per refit of the cached fit, never per pick.
  A pair with a model the fit has not seen yet weighs as the average pair.
  Times ``QUALITY_SAMPLER_NEW_MODEL_BOOST`` for each model with fewer than
  ``QUALITY_SAMPLER_NEW_MODEL_VOTES`` votes. The distribution is then mixed
  with the uniform one just enough that every active model holds at least
  ``QUALITY_SAMPLER_FLOOR`` times the seats uniform pairs would give it.
- The prompt is one the voter has not seen that both models answered; sides are
  random. The probability of the pair is recorded with the battle so that
  each provider's share can be published and audited.
"""

import json
import random
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from evals import catalogue
from evals.models import Answer, Battle, EvalModel, PairStat, Prompt, VoterPreference
from evals.quality.selectors import Predictions, current_predictions


@dataclass(frozen=True)
class Pick:
    prompt: Prompt
    answer_a: Answer
    answer_b: Answer
    # The weight the sampler gave this pair (recorded for fairness reports).
    weight: float
    # Probability of this unordered pair on this draw, and how much uniform
    # mass the per-model floor mixed in.
    probability: float = 1.0
    floor_mix: float = 0.0
    gold_pair_id: int | None = None


class NothingToServe(Exception):
    """No prompt with two answers from active models is left for this voter."""


def voter_languages(user) -> list[str]:
    """The languages ``user`` reads; empty when they have not said (any is served)."""
    row = VoterPreference.objects.filter(user_id=user.pk).values_list("languages", flat=True)
    return list(row.first() or [])


@dataclass(frozen=True)
class VoterState:
    """What the serve needs to know of the voter, read in one query."""

    # Their open stored battle, if any (it is served again until voted or skipped).
    open_battle_id: object
    # Every prompt of every battle they were served (the unseen-prompt rule).
    seen_prompts: frozenset
    languages: list[str]


_VOTER_STATE = (
    # Raw: the same statement through the ORM (a Subquery, a Cast, DISTINCT)
    # cost more CPU to compile than the rest of the sampler on every serve.
    f"SELECT DISTINCT b.prompt_id, "  # noqa: S608
    f"(SELECT CAST(p.languages AS TEXT) FROM {VoterPreference._meta.db_table} p "
    "WHERE p.user_id = %s), "
    f"(SELECT o.id FROM {Battle._meta.db_table} o "
    "WHERE o.voter_id = %s AND o.status = %s AND o.mode = %s LIMIT 1) "
    f"FROM {Battle._meta.db_table} b WHERE b.voter_id = %s"
)


def voter_state(user) -> VoterState:
    """The voter's open battle, the prompts they have seen and their languages.

    One statement: the voter's distinct prompts, with the languages and the open
    battle as uncorrelated scalar subqueries (evaluated once, the same on every
    row; the languages as text, so they are decoded once, not per row). A voter
    with no battle yet gets no row: their languages are then read on their own.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            _VOTER_STATE,
            [user.pk, user.pk, Battle.Status.SERVED, Battle.Mode.STORED, user.pk],
        )
        rows = cursor.fetchall()
    if not rows:
        return VoterState(
            open_battle_id=None, seen_prompts=frozenset(), languages=voter_languages(user)
        )
    _, text, open_battle_id = rows[0]
    return VoterState(
        open_battle_id=None
        if open_battle_id is None
        else Battle._meta.pk.to_python(open_battle_id),
        seen_prompts=frozenset(r[0] for r in rows),
        languages=list(json.loads(text)) if text else [],
    )


def _candidate_prompt_ids(
    copy: catalogue.Catalogue, voter: VoterState, pool: int, rng: random.Random
) -> list[int]:
    prompts = copy.prompts_in(voter.languages)
    unseen = [p for p in prompts if p not in voter.seen_prompts]
    if not unseen:
        # Everything seen once: fall back to the whole set (pairs still vary).
        unseen = list(prompts)
    return rng.sample(unseen, min(pool, len(unseen)))


_stats: dict = {"at": float("-inf"), "pair_votes": {}, "model_votes": {}}
_stats_lock = threading.Lock()


def _vote_counts() -> tuple[dict[tuple[int, int], int], dict[int, int]]:
    """Votes per pair and per model, from a per-process copy of the pair stats
    at most ARENA_SAMPLER_STATS_TTL seconds old: they only weigh the draw (the
    new-model boost, whether the fit is stale), and the weights actually used
    are the ones recorded with the battle."""
    now = time.monotonic()
    with _stats_lock:
        cached = dict(_stats)
    if now - cached["at"] < settings.ARENA_SAMPLER_STATS_TTL:
        return cached["pair_votes"], cached["model_votes"]
    pair_votes: dict[tuple[int, int], int] = {}
    model_votes: dict[int, int] = {}
    for lo, hi, voted in PairStat.objects.values_list("model_lo_id", "model_hi_id", "voted"):
        pair_votes[(lo, hi)] = voted
        model_votes[lo] = model_votes.get(lo, 0) + voted
        model_votes[hi] = model_votes.get(hi, 0) + voted
    with _stats_lock:
        _stats.update(at=now, pair_votes=pair_votes, model_votes=model_votes)
    return pair_votes, model_votes


def vote_counts_forget() -> None:
    """Drop this process's copy of the pair stats (tests; after a fold in this process)."""
    with _stats_lock:
        _stats.update(at=float("-inf"), pair_votes={}, model_votes={})


def pair_weights(
    pairs: list[tuple[int, int]],
    *,
    predictions: Predictions,
    model_votes: dict[int, int],
) -> list[float]:
    """Raw sampling weight of each unordered pair (see the module docstring).

    ``QUALITY_SAMPLER_BASE`` plus the pair's planned share of votes relative
    to the mean share over ``pairs``; a pair with a model the fit has not seen
    yet counts as the average pair (the plan puts most votes on a few pairs,
    so "as the most useful pair" would hand a newcomer most of the arena until
    the next refit). Times the new-model boost.
    """
    utilities = [predictions.pair_utility(lo, hi) for lo, hi in pairs]
    known = [u for u in utilities if u is not None]
    mean = sum(known) / len(known) if known else 0.0
    out = []
    for (lo, hi), u in zip(pairs, utilities, strict=True):
        relative = 1.0 if u is None or mean <= 0 else u / mean
        w = settings.QUALITY_SAMPLER_BASE + relative
        for model_id in (lo, hi):
            if model_votes.get(model_id, 0) < settings.QUALITY_SAMPLER_NEW_MODEL_VOTES:
                w *= settings.QUALITY_SAMPLER_NEW_MODEL_BOOST
        out.append(w)
    return out


def floor_mix(pairs: list[tuple[int, int]], weights: list[float], floor: float):
    """Pair probabilities with each model's seat share lifted to ``floor`` times
    the share uniform pairs would give it.

    Returns ``(probabilities, lam)``: the mixture ``(1 - lam) * w / sum(w) +
    lam * uniform`` with the smallest ``lam`` in [0, 1] that gives every model at
    least ``floor * (its share under the uniform pair distribution)``.

    A fraction of the uniform share, not a fixed share of the seats: a fixed
    5% was every model's whole uniform share from 20 models on, so the floor
    then forced uniform pairs and the sampler chose nothing.
    """
    n = len(pairs)
    total = sum(weights)
    pw = [w / total for w in weights] if total > 0 else [1.0 / n] * n
    pu = [1.0 / n] * n
    models = {m for pair in pairs for m in pair}
    share_w = dict.fromkeys(models, 0.0)
    share_u = dict.fromkeys(models, 0.0)
    for (lo, hi), w, u in zip(pairs, pw, pu, strict=True):
        for m in (lo, hi):
            share_w[m] += w / 2
            share_u[m] += u / 2
    lam = 0.0
    fraction = min(max(floor, 0.0), 1.0)
    for m in models:
        target = fraction * share_u[m]
        if share_w[m] < target and share_u[m] > share_w[m]:
            lam = max(lam, (target - share_w[m]) / (share_u[m] - share_w[m]))
    lam = min(1.0, lam)
    return [(1 - lam) * w + lam * u for w, u in zip(pw, pu, strict=True)], lam


def _gold_pick(copy: catalogue.Catalogue, voter: VoterState, rng: random.Random) -> Pick | None:
    """A gold pair on a prompt the voter has not seen, in a language they read,
    from ``copy``; None if there is none (or its answers stopped being servable)."""
    languages = set(voter.languages)
    candidates = [
        (gold_id, better, worse)
        for gold_id, prompt_id, better, worse in copy.gold
        if prompt_id not in voter.seen_prompts
        and (not languages or copy.language_of.get(prompt_id) in languages)
    ]
    if not candidates:
        return None
    gold_id, better, worse = rng.choice(candidates)
    left, right = (better, worse) if rng.random() < 0.5 else (worse, better)
    by_id = catalogue.answers_servable_pair(left, right)
    if len(by_id) < 2:
        return None  # withheld or unapproved between the two reads: an ordinary draw
    return Pick(
        prompt=by_id[left].prompt,
        answer_a=by_id[left],
        answer_b=by_id[right],
        weight=0.0,
        probability=settings.QUALITY_GOLD_RATE / len(candidates),
        gold_pair_id=gold_id,
    )


def pick(*, user, rng: random.Random | None = None, voter: VoterState | None = None) -> Pick:
    """Choose the next prompt and pair for ``user``; raise NothingToServe if none.

    ``voter``: the voter's state when the caller has just read it (the serve has).
    """

    rng = rng or random.Random()
    voter = voter or voter_state(user)
    copy = catalogue.catalogue_current()
    if settings.QUALITY_GOLD_RATE > 0 and rng.random() < settings.QUALITY_GOLD_RATE:
        gold = _gold_pick(copy, voter, rng)
        if gold is not None:
            return gold
    for _attempt in range(3):
        chosen = _stored_pick(copy, voter, rng)
        if chosen is not None:
            return chosen
        # The copy proposed an answer that is no longer servable: read it again.
        catalogue.catalogue_forget()
        copy = catalogue.catalogue_current()
    raise NothingToServe


# The last draw's distribution: the fit, the vote counts and the candidate
# pairs change far less often than serves come (every prompt usually offers
# every pair), and weighing every pair again cost about a tenth of a serve.
_last_distribution: tuple | None = None


def _pair_distribution(pairs: list[tuple[int, int]], predictions, model_votes: dict[int, int]):
    """(weights, probabilities, floor mix) of ``pairs``: pair_weights and floor_mix,
    reused while the fit and the vote counts are the same objects as last time."""
    global _last_distribution
    knobs = (
        settings.QUALITY_SAMPLER_BASE,
        settings.QUALITY_SAMPLER_NEW_MODEL_VOTES,
        settings.QUALITY_SAMPLER_NEW_MODEL_BOOST,
        settings.QUALITY_SAMPLER_FLOOR,
    )
    last = _last_distribution  # one read: another thread may replace it
    if (
        last is not None
        and last[0] is predictions
        and last[1] is model_votes
        and last[2] == pairs
        and last[3] == knobs
    ):
        return last[4]
    weights = pair_weights(pairs, predictions=predictions, model_votes=model_votes)
    probs, lam = floor_mix(pairs, weights, settings.QUALITY_SAMPLER_FLOOR)
    value = (weights, probs, lam)
    _last_distribution = (predictions, model_votes, pairs, knobs, value)
    return value


def _stored_pick(copy: catalogue.Catalogue, voter: VoterState, rng: random.Random) -> Pick | None:
    """A weighted pair on an unseen prompt from ``copy``; None if the answers it
    chose are no longer servable (the copy is stale)."""
    prompt_ids = _candidate_prompt_ids(copy, voter, settings.ARENA_SAMPLER_PROMPT_POOL, rng)
    if not prompt_ids:
        raise NothingToServe
    # Answers of active, approved models only; a withheld answer (it names a
    # model) is never proposed: its pair is simply not available on that prompt.
    answers, pairs_of = copy.answers, copy.pairs
    available = frozenset().union(*(pairs_of.get(p, ()) for p in prompt_ids))
    if not available:
        raise NothingToServe
    pair_votes, model_votes = _vote_counts()
    pairs = sorted(available)
    weights, probs, lam = _pair_distribution(
        pairs, current_predictions(votes=sum(pair_votes.values())), model_votes
    )
    k = rng.choices(range(len(pairs)), weights=probs)[0]
    lo, hi = pairs[k]
    prompt_id = rng.choice([p for p in prompt_ids if (lo, hi) in pairs_of.get(p, ())])
    left, right = (lo, hi) if rng.random() < 0.5 else (hi, lo)
    answer_a, answer_b = answers[prompt_id][left], answers[prompt_id][right]
    by_id = catalogue.answers_servable_pair(answer_a, answer_b)
    if len(by_id) < 2:
        return None
    return Pick(
        prompt=by_id[answer_a].prompt,
        answer_a=by_id[answer_a],
        answer_b=by_id[answer_b],
        weight=weights[k],
        probability=probs[k],
        floor_mix=lam,
    )


def pick_live_pair(*, user, rng: random.Random | None = None) -> tuple[EvalModel, EvalModel]:
    """Two active models with a working endpoint for a live battle: the pair with
    the fewest votes first (ties at random), sides randomised.

    Raises NothingToServe if fewer than two such models exist.
    """
    rng = rng or random.Random()
    models = list(
        EvalModel.objects.filter(
            status=EvalModel.Status.ACTIVE,
            approval=EvalModel.Approval.APPROVED,
            endpoint__isnull=False,
            endpoint__paused=False,
        )
    )
    if len(models) < 2:
        raise NothingToServe
    votes = {
        (lo, hi): voted
        for lo, hi, voted in PairStat.objects.values_list("model_lo_id", "model_hi_id", "voted")
    }
    models.sort(key=lambda m: m.id)
    best = None
    for i, lo in enumerate(models):
        for hi in models[i + 1 :]:
            key = (votes.get((lo.id, hi.id), 0), rng.random())
            if best is None or key < best[0]:
                best = (key, lo, hi)
    _, lo, hi = best
    return (lo, hi) if rng.random() < 0.5 else (hi, lo)
