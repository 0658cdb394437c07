"""A simulated voter population, honest voters plus a rigging ring, run through
the real services (``battle_serve`` / ``vote_cast``) on a simulated clock.

Used by ``bench/rigging.py`` (defences off and on, figures) and by
``manage.py load_quality_demo`` (so the operator dashboard shows real flags).

Honest voters are noisy but truthful: they prefer the answer of the model with
the higher ``true_strength`` of the demo set with Bradley-Terry probability on
a per-voter temperature, call ties and "both bad" now and then, and take the
time to read (plus the odd skim). Attackers create accounts, vote for the target
whenever it appears, vote at random otherwise, and (by default) vote fast.
"""

from __future__ import annotations

import math
import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from unittest import mock

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Q

from datafi.api import ApiError
from evals import services
from evals.models import Answer, Battle, EvalModel, Vote
from evals.quality.models import GoldPair, VoterReliability
from evals.quality.services import gold_pair_create


class SimClock:
    """A clock the services read through ``django.utils.timezone.now``."""

    def __init__(self, start: datetime):
        self.t = start

    def now(self) -> datetime:
        return self.t

    def advance(self, ms: float) -> None:
        self.t += timedelta(milliseconds=ms)


@contextmanager
def simulated_time(clock: SimClock):
    with mock.patch("django.utils.timezone.now", clock.now):
        yield


@dataclass
class Population:
    honest: int = 150
    honest_votes: tuple[int, int] = (15, 60)
    attackers: int = 30
    attack_votes: int = 1000
    target: str = ""
    attacker_speed: str = "fast"  # or "human"
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
        profile[u.pk] = {
            "kind": "honest",
            "tau": rng.uniform(0.8, 1.6),
            "wpm": rng.uniform(180, 500),
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
                ms = (
                    rng.uniform(800, 3000)
                    if pop.attacker_speed == "fast"
                    else _honest_ms(rng, battle, p["wpm"])
                )
            clock.t = max(clock.t, battle.served_at) + timedelta(milliseconds=ms)
            try:
                services.vote_cast(user=user, battle_id=battle.pk, choice=choice, ip=p["ip"])
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
    from evals.quality.services import ring_sweep

    return int(ring_sweep(now=clock.now()) is not None)


def leaderboard_ranks(*, voter_ids=None, counted_only: bool = True) -> dict[str, int]:
    """Rank (1 = best) of each model by a Bradley-Terry fit on the chosen votes."""
    from ratings.aggregate import aggregate_battles, index_models
    from ratings.bt import fit_bt

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


def caught(ids) -> tuple[int, int]:
    """(excluded, total) among the given voters."""
    ids = list(ids)
    excluded = VoterReliability.objects.filter(user_id__in=ids, excluded=True).count()
    return excluded, len(ids)


def flagged(ids) -> int:
    """Voters among ``ids`` with at least one flag."""
    from evals.quality.models import VoterFlag

    return VoterFlag.objects.filter(user_id__in=list(ids)).values("user_id").distinct().count()
