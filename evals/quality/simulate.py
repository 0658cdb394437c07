"""A simulated voter population, honest voters plus a rigging ring, run through
the real services (``battle_serve`` / ``vote_cast``) on a simulated clock.

Used by ``bench/rigging.py`` (defences off and on, figures) and by
``manage.py load_quality_demo`` (so the operator dashboard shows real flags).

Honest voters are noisy but truthful: they prefer the answer of the model with
the higher ``true_strength`` of the demo set with Bradley-Terry probability on
a per-voter temperature, call ties and "both bad" now and then. Careful readers
take the time to read (plus the odd skim); skimmers (``Population.skimmers`` of
the honest voters) look at the structure and first lines and decide in 2-10 s
whatever the length, with the same noise in their choices. Attackers create
accounts, vote for the target whenever it appears, vote at random otherwise,
and (by default) vote fast.
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import time_machine
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from datafi.api import ApiError
from datafi.flows import fold
from evals import services
from evals.models import Answer, Battle, EvalModel, Vote
from evals.quality.limits import network_key
from evals.quality.models import BattleSampling, GoldPair, VoterFlag, VoterReliability
from evals.quality.services import gold_pair_create, ring_sweep
from ratings.aggregate import aggregate_battles, index_models
from ratings.bt import fit_bt


class SimClock:
    """The simulation's clock. Inside ``simulated_time`` it is the process's
    clock (time-machine moves it), so the services read it as they read the
    real one; outside, it is only a number."""

    def __init__(self, start: datetime):
        self._t = start
        self._traveller = None

    @property
    def t(self) -> datetime:
        return self._t

    @t.setter
    def t(self, value: datetime) -> None:
        self._t = value
        if self._traveller is not None:
            self._traveller.move_to(value)

    def now(self) -> datetime:
        return self._t

    def advance(self, ms: float) -> None:
        self.t = self._t + timedelta(milliseconds=ms)


@contextmanager
def simulated_time(clock: SimClock):
    with time_machine.travel(clock.t, tick=False) as traveller:
        clock._traveller = traveller
        try:
            yield
        finally:
            clock._traveller = None


@dataclass
class Population:
    honest: int = 150
    honest_votes: tuple[int, int] = (15, 60)
    # Share of honest voters who skim (decide in 2-10 s whatever the length).
    skimmers: float = 0.35
    attackers: int = 30
    attack_votes: int = 1000
    target: str = ""
    # "fast": 0.8-3 s (a person could skim that fast, so speed alone does not
    # catch it); "human": reads like an honest voter; "bot": 0.2-0.9 s, faster
    # than anyone can look at two answers (a script).
    attacker_speed: str = "fast"
    gold_pairs: int = 30
    # Network addresses the ring votes from (0: one of its own per account).
    ring_addresses: int = 4
    seed: int = 7
    # Votes between two runs of the ring sweep (the cron job in production);
    # 0 = never. It also runs once after the last vote.
    sweep_every: int = 250


@dataclass
class Outcome:
    honest_ids: list[int] = field(default_factory=list)
    attacker_ids: list[int] = field(default_factory=list)
    votes: int = 0
    rate_limited: int = 0
    target: str = ""
    sweeps: int = 0
    # user id -> the simulated voter's traits (kind, temperature, reading speed, address)
    profiles: dict = field(default_factory=dict)


def strengths() -> dict[int, float]:
    """True strength by model id, from the demo set's ``true_strength``."""
    import json
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "demo" / "demo.json"
    by_name = {m["name"]: float(m["true_strength"]) for m in json.loads(demo.read_text())["models"]}
    return {
        pk: by_name[name]
        for pk, name in EvalModel.objects.filter(name__in=by_name).values_list("pk", "name")
    }


def gold_pairs_make(n: int, strength: dict[int, float], rng: random.Random) -> int:
    """Mark ``n`` gold pairs: two answers to one prompt whose models are far apart."""
    made = 0
    answers: dict[int, list[Answer]] = {}
    for a in Answer.objects.filter(model_id__in=list(strength)).order_by("prompt_id", "model_id"):
        answers.setdefault(a.prompt_id, []).append(a)
    prompts = sorted(answers)
    rng.shuffle(prompts)
    for prompt_id in prompts:
        if made >= n:
            break
        pool = answers[prompt_id]
        x, y = rng.sample(pool, 2)
        if abs(strength[x.model_id] - strength[y.model_id]) < 150:
            continue
        better, worse = (x, y) if strength[x.model_id] > strength[y.model_id] else (y, x)
        if GoldPair.objects.filter(answer_better=better, answer_worse=worse).exists():
            continue
        gold_pair_create(answer_better=better, answer_worse=worse, note="simulation")
        made += 1
    return made


def _words(battle: Battle) -> int:
    return len(battle.answer_a.text.split()) + len(battle.answer_b.text.split())


def _honest_choice(rng, battle, strength, tau) -> str:
    u = rng.random()
    if u < 0.03:
        return "both_bad"
    if u < 0.12:
        return "tie"
    s_a, s_b = strength[battle.model_a_id], strength[battle.model_b_id]
    p_a = 1.0 / (1.0 + 10.0 ** ((s_b - s_a) / (400.0 * tau)))
    return "model_a" if rng.random() < p_a else "model_b"


def _honest_ms(rng, battle, wpm) -> float:
    if wpm is None:  # a skimmer: the length does not matter
        return rng.uniform(2000, 10000)
    if rng.random() < 0.04:  # a skim: one answer was obviously broken
        return rng.uniform(1000, 4000)
    return 2500 + _words(battle) / wpm * 60_000 * math.exp(rng.gauss(0, 0.35))


def _attacker_choice(rng, battle, target_id) -> str:
    if battle.model_a_id == target_id:
        return "model_a"
    if battle.model_b_id == target_id:
        return "model_b"
    return rng.choice(["model_a", "model_b", "model_a", "model_b", "tie"])


def run(pop: Population, *, start: datetime, prefix: str = "sim", progress=None) -> Outcome:
    """Create the population and cast every vote through the real services."""
    rng = random.Random(pop.seed)
    strength = strengths()
    if not strength:
        raise RuntimeError("load the demo set first (manage.py load_demo)")
    target = EvalModel.objects.get(name=pop.target) if pop.target else None
    gold_pairs_make(pop.gold_pairs, strength, rng)
    User = get_user_model()
    honest = [
        User.objects.create_user(username=f"{prefix}-voter-{i:03d}", password=None)
        for i in range(pop.honest)
    ]
    attackers = [
        User.objects.create_user(username=f"{prefix}-ring-{i:02d}", password=None)
        for i in range(pop.attackers)
    ]
    profile = {}
    for i, u in enumerate(honest):
        skims = rng.random() < pop.skimmers
        profile[u.pk] = {
            "kind": "honest",
            "group": "skimmer" if skims else "careful",
            "tau": rng.uniform(0.8, 1.6),
            "wpm": None if skims else rng.uniform(180, 500),
            "ip": f"198.51.100.{i % 250 + 1}",
        }
    for i, u in enumerate(attackers):
        profile[u.pk] = {
            "kind": "attacker",
            "wpm": rng.uniform(180, 500),
            "ip": f"203.0.113.{i % pop.ring_addresses}"
            if pop.ring_addresses
            else f"192.0.2.{i % 250 + 1}",
        }
    # Honest votes spread over the whole run; the ring starts a third of the way in.
    honest_actions = [u for u in honest for _ in range(rng.randint(*pop.honest_votes))]
    rng.shuffle(honest_actions)
    attack_actions = (
        [attackers[k % len(attackers)] for k in range(pop.attack_votes)] if attackers else []
    )
    rng.shuffle(attack_actions)
    cut = len(honest_actions) // 3
    tail = honest_actions[cut:] + attack_actions
    rng.shuffle(tail)
    actions = honest_actions[:cut] + tail
    clock = SimClock(start)
    out = Outcome(
        honest_ids=[u.pk for u in honest],
        attacker_ids=[u.pk for u in attackers],
        target=target.name if target else "",
        profiles=profile,
    )
    with simulated_time(clock):
        for n, user in enumerate(actions, 1):
            p = profile[user.pk]
            clock.advance(rng.expovariate(1 / 4000))
            try:
                # The simulation's own generator: the same seed, the same battles.
                battle = services.battle_serve(user=user, rng=rng)
            except ApiError:
                continue
            battle = Battle.objects.select_related("answer_a", "answer_b").get(pk=battle.pk)
            if p["kind"] == "honest":
                choice = _honest_choice(rng, battle, strength, p["tau"])
                ms = _honest_ms(rng, battle, p["wpm"])
            else:
                choice = _attacker_choice(rng, battle, target.pk if target else None)
                if pop.attacker_speed == "fast":
                    ms = rng.uniform(800, 3000)
                elif pop.attacker_speed == "bot":
                    ms = rng.uniform(200, 900)
                else:
                    ms = _honest_ms(rng, battle, p["wpm"])
            clock.t = max(clock.t, battle.served_at) + timedelta(milliseconds=ms)
            try:
                fold.vote_cast(user=user, battle_id=battle.pk, choice=choice, ip=p["ip"])
                out.votes += 1
            except ApiError as exc:
                if exc.code == "rate_limited":
                    out.rate_limited += 1
                else:
                    raise
            if pop.sweep_every and n % pop.sweep_every == 0:
                out.sweeps += _sweep(clock)
            if progress and n % 500 == 0:
                progress(n, len(actions))
        if pop.sweep_every:
            out.sweeps += _sweep(clock)
    return out


def _sweep(clock: SimClock) -> int:

    return int(ring_sweep(now=clock.now()) is not None)


def leaderboard_ranks(*, voter_ids=None, counted_only: bool = True) -> dict[str, int]:
    """Rank (1 = best) of each model by a Bradley-Terry fit on the chosen votes."""

    votes = Vote.objects.all()
    if counted_only:
        votes = votes.filter(battle__excluded=False)
    if voter_ids is not None:
        votes = votes.filter(Q(battle__voter_id__in=list(voter_ids)))
    rows = list(votes.values_list("battle__model_a__name", "battle__model_b__name", "choice"))
    names, a, b = index_models(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    outcome = np.array([{"model_a": 1.0, "model_b": 0.0}.get(r[2], 0.5) for r in rows])
    fit = fit_bt(aggregate_battles(a, b, outcome, n_models=len(names)))
    order = np.argsort(-fit.scores)
    return {str(names[k]): rank for rank, k in enumerate(order, 1)}


def honest_groups(out: Outcome) -> dict[str, list[int]]:
    """The honest voters' ids by group ("careful", "skimmer")."""
    groups: dict[str, list[int]] = {"careful": [], "skimmer": []}
    for user_id in out.honest_ids:
        groups[out.profiles[user_id]["group"]].append(user_id)
    return groups


def caught(ids) -> tuple[int, int]:
    """(excluded, total) among the given voters."""
    ids = list(ids)
    excluded = VoterReliability.objects.filter(user_id__in=ids, excluded=True).count()
    return excluded, len(ids)


def flagged(ids) -> int:
    """Voters among ``ids`` with at least one flag."""

    return VoterFlag.objects.filter(user_id__in=list(ids)).values("user_id").distinct().count()


# --- a recorded population: the demo's first run without simulating it again ------------

RECORD_VERSION = 1


def record(out: Outcome, *, start: datetime, prefix: str) -> dict:
    """What ``run`` produced, as a compact replayable record (see ``replay``).

    One row per vote, in vote order: voter, prompt, the two models as shown,
    the choice, the time to vote, when the battle was served (seconds after
    ``start``) and the address it came from. Names, not ids, so the record
    loads into any database that has the demo set.
    """
    ids = out.honest_ids + out.attacker_ids
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    users = [
        [names[u][len(prefix) + 1 :], out.profiles[u]["kind"], out.profiles[u].get("group", "")]
        for u in ids
    ]
    index = {u: k for k, u in enumerate(ids)}
    gold = [
        [g.prompt.key, g.answer_better.model.name, g.answer_worse.model.name]
        for g in GoldPair.objects.select_related(
            "prompt", "answer_better__model", "answer_worse__model"
        ).order_by("pk")
    ]
    votes = []
    rows = (
        Vote.objects.filter(battle__voter_id__in=ids)
        .select_related("battle__prompt", "battle__model_a", "battle__model_b")
        .order_by("created_at", "battle_id")
    )
    for v in rows:
        b = v.battle
        votes.append(
            [
                index[b.voter_id],
                b.prompt.key,
                b.model_a.name,
                b.model_b.name,
                v.choice,
                v.time_to_vote_ms,
                round((b.served_at - start).total_seconds(), 3),
                out.profiles[b.voter_id]["ip"],
            ]
        )
    return {
        "version": RECORD_VERSION,
        "target": out.target,
        "users": users,
        "gold": gold,
        "votes": votes,
    }


def replay(data: dict, *, start: datetime, prefix: str, sweep_every: int = 250) -> Outcome:
    """Load a recorded population: the same voters, battles and votes, with every
    consequence (pair counts, reliability, flags, exclusions, points) folded in by
    the real fold (``datafi.flows.fold.votes_fold``) and the ring sweep run every
    ``sweep_every`` votes, as the simulation did.

    Battles and votes are inserted in bulk rather than served and cast one by
    one: the sampler's choices and the vote limits are what the recording
    already went through, and replaying them cost the first run minutes.
    """

    if data.get("version") != RECORD_VERSION:
        raise ValueError(f"unknown record version {data.get('version')!r}")
    User = get_user_model()
    users = [
        User.objects.create_user(username=f"{prefix}-{name}", password=None)
        for name, _kind, _group in data["users"]
    ]
    out = Outcome(target=data.get("target", ""))
    for (
        user,
        (_name, kind, group),
    ) in zip(users, data["users"], strict=True):
        (out.honest_ids if kind == "honest" else out.attacker_ids).append(user.pk)
        out.profiles[user.pk] = {"kind": kind, "group": group}
    answers = {
        (key, name): (pk, words)
        for pk, key, name, words in (
            (a.pk, a.prompt.key, a.model.name, len(a.text.split()))
            for a in Answer.objects.select_related("prompt", "model")
        )
    }
    models = dict(EvalModel.objects.values_list("name", "pk"))
    gold_ids = {}
    for key, better, worse in data["gold"]:
        b_pk, w_pk = answers[(key, better)][0], answers[(key, worse)][0]
        pair = GoldPair.objects.filter(answer_better_id=b_pk, answer_worse_id=w_pk).first()
        if pair is None:
            pair = gold_pair_create(
                answer_better=Answer.objects.get(pk=b_pk),
                answer_worse=Answer.objects.get(pk=w_pk),
                note="simulation",
            )
        gold_ids[(b_pk, w_pk)] = gold_ids[(w_pk, b_pk)] = pair.pk
    prompts = dict(Answer.objects.values_list("prompt__key", "prompt_id").distinct())
    clock = SimClock(start)
    rows = data["votes"]
    step = max(1, sweep_every or len(rows))
    with simulated_time(clock):
        for first in range(0, len(rows), step):
            chunk = rows[first : first + step]
            battles, samplings, votes = [], [], []
            for user_k, key, model_a, model_b, choice, ms, served_s, ip in chunk:
                (a_pk, a_words), (b_pk, b_words) = answers[(key, model_a)], answers[(key, model_b)]
                served_at = start + timedelta(seconds=served_s)
                voted_at = served_at + timedelta(milliseconds=ms)
                battle = Battle(
                    prompt_id=prompts[key],
                    answer_a_id=a_pk,
                    answer_b_id=b_pk,
                    model_a_id=models[model_a],
                    model_b_id=models[model_b],
                    voter_id=users[user_k].pk,
                    status=Battle.Status.REVEALED,
                    served_at=served_at,
                    voted_at=voted_at,
                    revealed_at=voted_at,
                )
                battles.append(battle)
                samplings.append(
                    BattleSampling(
                        battle=battle,
                        gold_pair_id=gold_ids.get((a_pk, b_pk)),
                        probability=0.0,
                        weight=0.0,
                        words=a_words + b_words,
                    )
                )
                votes.append(
                    Vote(
                        battle=battle,
                        choice=choice,
                        time_to_vote_ms=ms,
                        created_at=voted_at,
                        network=network_key(ip) or "",
                    )
                )
                clock.t = max(clock.t, voted_at)
            with transaction.atomic():
                Battle.objects.bulk_create(battles)
                BattleSampling.objects.bulk_create(samplings)
                Vote.objects.bulk_create(votes)
            while fold.votes_fold(limit=500):
                pass
            out.votes += len(chunk)
            if sweep_every:
                out.sweeps += _sweep(clock)
    return out
