"""Pure statistics behind voter reliability (no Django import).

Outcomes of a battle are coded from the point of view of the unordered pair
``(lo, hi)`` (model ids with ``lo < hi``), so that the side a model was shown on
does not matter::

    0 = lo won, 1 = hi won, 2 = tie, 3 = both bad

Everything here works on plain floats and small numpy arrays so that the vote
transaction can call it without touching the database.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy import special as spf
from scipy import stats as sps

LO_WON, HI_WON, TIE, BOTH_BAD = 0, 1, 2, 3
N_OUTCOMES = 4


# --- Beta posteriors ----------------------------------------------------------------


def beta_mean(alpha: float, beta: float) -> float:
    """Posterior mean of a Beta(alpha, beta)."""
    return alpha / (alpha + beta)


# The regularized incomplete beta function itself, which scipy.stats.beta's cdf
# and sf evaluate: the same numbers without the distribution machinery's
# argument checks (about 110 µs a call, twice per vote in the fold; this 2 µs).


def beta_prob_below(alpha: float, beta: float, x: float) -> float:
    """P(rate < x) under Beta(alpha, beta)."""
    return float(spf.betainc(alpha, beta, min(max(x, 0.0), 1.0)))


def beta_prob_above(alpha: float, beta: float, x: float) -> float:
    """P(rate > x) under Beta(alpha, beta)."""
    return float(spf.betaincc(alpha, beta, min(max(x, 0.0), 1.0)))


# --- predicted outcomes ---------------------------------------------------------------


def win_probability(score_x: float, score_y: float, *, scale: float = 400.0) -> float:
    """P(x beats y) implied by Bradley-Terry scores on the 400 / base-10 scale."""
    diff = (score_y - score_x) / scale * math.log(10.0)
    return 1.0 / (1.0 + math.exp(max(-700.0, min(700.0, diff))))


def outcome_probabilities(
    history: tuple[float, float, float, float],
    *,
    p_lo: float,
    prior_strength: float,
    tie_rate: float = 0.12,
    both_bad_rate: float = 0.04,
) -> np.ndarray:
    """Probability of each outcome for the pair, shape (4,).

    A Dirichlet posterior mean: the pair's history of counts ``(lo won, hi won,
    tie, both bad)`` plus ``prior_strength`` pseudo-votes spread according to the
    ratings' prediction ``p_lo`` = P(lo beats hi). With no history the prediction
    alone speaks; with a long history the pair's own record does.
    """
    # No prediction is ever certain: a vote against a 99.9% favourite should
    # look surprising, not impossible.
    p_lo = min(0.98, max(0.02, p_lo))
    decisive = max(0.0, 1.0 - tie_rate - both_bad_rate)
    prior = np.array(
        [decisive * p_lo, decisive * (1.0 - p_lo), tie_rate, both_bad_rate], dtype=np.float64
    )
    counts = np.asarray(history, dtype=np.float64) + prior_strength * prior
    # Every outcome keeps a little mass: a p-value of exactly 0 would make one
    # vote flag a voter on its own.
    counts = np.maximum(counts, 1e-3)
    return counts / counts.sum()


def _uniform_from(key: str) -> float:
    """A deterministic draw in (0, 1) from a string (the battle id)."""
    digest = hashlib.sha256(key.encode()).digest()
    return (int.from_bytes(digest[:8], "big") + 0.5) / 2.0**64


def outcome_p_value(probs: np.ndarray, observed: int, *, key: str) -> float:
    """Randomised p-value of one vote's outcome under the pair's outcome distribution.

    Outcomes are ordered by how likely they are; the p-value is the probability
    of an outcome less likely than the one observed plus a uniform share of the
    outcomes exactly as likely. That makes it exactly Uniform(0, 1) when the
    voter follows the pair's distribution, so Fisher's combination below has
    its nominal chi-square law. The uniform draw is derived from ``key`` (the
    battle id) so a recomputation gives the same number.
    """
    q = np.asarray(probs, dtype=np.float64)
    q_obs = q[observed]
    below = float(q[q < q_obs].sum())
    same = float(q[q == q_obs].sum())
    return max(1e-12, below + _uniform_from(key) * same)


# --- sequential Fisher test -----------------------------------------------------------

FISHER_FIRST_CHECKPOINT = 8


def fisher_checkpoint(n: int) -> int | None:
    """The checkpoint index k (1, 2, ...) when ``n`` votes is a checkpoint, else None.

    Checkpoints are at 8, 16, 32, ... votes: testing after every vote would
    spend the error budget on tiny samples.
    """
    if n < FISHER_FIRST_CHECKPOINT:
        return None
    ratio = n / FISHER_FIRST_CHECKPOINT
    k = int(round(math.log2(ratio)))
    return k + 1 if 2**k == ratio else None


def fisher_level(k: int, alpha: float) -> float:
    """Level at checkpoint ``k``: alpha / (k (k + 1)), which sums to alpha over all k.

    This Bonferroni split keeps the chance that an honest voter is ever flagged
    by the sequential test below ``alpha``, however long they vote.
    """
    return alpha / (k * (k + 1))


def fisher_p_value(sum_neg2_log_p: float, n: int) -> float:
    """Combined p-value of ``n`` independent p-values from Fisher's statistic."""
    if n <= 0:
        return 1.0
    return float(sps.chi2.sf(sum_neg2_log_p, 2 * n))


# --- favouritism --------------------------------------------------------------------


def favouritism_z(wins: float, expected: float, variance: float) -> float:
    """How far a voter's wins for one model exceed what the ratings predict, in s.d."""
    if variance <= 0:
        return 0.0
    return (wins - expected) / math.sqrt(variance)


# --- coordinated favouritism (rings) ---------------------------------------------------


@dataclass(frozen=True)
class RingParams:
    z: float  # per-account bound (lower than the solo favouritism bound)
    min_battles: int  # decisive battles with the model an account needs to count
    null_rate: float  # share of honest accounts expected above ``z`` (conservative)
    alpha: float  # false-alarm budget of one sweep, split over the models tested
    min_accounts: int  # fewest accounts above ``z`` that can make a ring


@dataclass(frozen=True)
class RingFinding:
    model_id: int
    accounts: int  # accounts with at least ``min_battles`` decisive battles with the model
    above: int  # of which favour it by more than ``z``
    expected_above: float
    p_value: float
    level: float
    members: dict  # user id -> (battles, wins, expected wins, z)


def ring_test(rows, p: RingParams) -> list[RingFinding]:
    """Models that an unusual number of accounts favour at once, with those accounts.

    ``rows`` are ``(user_id, model_id, battles, wins, expected, variance)``, one per
    account and model: the account's decisive battles with the model, its wins for
    it and the wins the ratings predicted (with their variance) at each vote.

    A ring's accounts each favour the target a little (z near 3 with a few dozen
    votes, under the solo bound) but there are many of them. Per model, the count
    of accounts with z above ``p.z`` is tested against Binomial(accounts,
    ``p.null_rate``), at level ``alpha / models`` (Bonferroni over the models). A
    count rather than a sum of residuals: a Bradley-Terry fit makes each model's
    residuals sum to about zero over all voters (the ring lifts the target's
    predicted score, and honest voters' residuals go negative to match), but it
    cannot make thirty accounts at z > 2 look ordinary.
    """
    by_model: dict[int, list] = {}
    for user_id, model_id, n, wins, expected, variance in rows:
        if n < p.min_battles:
            continue
        by_model.setdefault(int(model_id), []).append(
            (int(user_id), int(n), float(wins), float(expected), float(variance))
        )
    if not by_model:
        return []
    level = p.alpha / len(by_model)
    found = []
    for model_id, accounts in sorted(by_model.items()):
        members = {}
        for user_id, n, wins, expected, variance in accounts:
            z = favouritism_z(wins, expected, variance)
            if z > p.z:
                members[user_id] = (n, wins, expected, z)
        if len(members) < p.min_accounts:
            continue
        p_value = float(sps.binom.sf(len(members) - 1, len(accounts), p.null_rate))
        if p_value < level:
            found.append(
                RingFinding(
                    model_id=model_id,
                    accounts=len(accounts),
                    above=len(members),
                    expected_above=len(accounts) * p.null_rate,
                    p_value=p_value,
                    level=level,
                    members=members,
                )
            )
    return found


def _accounts_by_network(user_ids, networks: dict) -> dict[str, set[int]]:
    """Address hash -> which of ``user_ids`` voted from it."""
    out: dict[str, set[int]] = {}
    for user_id in user_ids:
        for net in networks.get(user_id, ()):
            out.setdefault(net, set()).add(user_id)
    return out


def ring_confirmed(finding: RingFinding, networks: dict, *, alone_z: float) -> dict[int, str]:
    """Which of a found ring's suspects (its ``members``, above the ring's bound)
    to flag: user id -> the evidence of its own that it has.

    The group test says that a ring favours the model; it does not say which
    suspects are in it. About one honest account in 150 clears the ring's bound
    by chance, so a suspect is flagged only with one more piece of evidence:

    - ``"bound"``: it favours the model past ``alone_z`` (about one honest
      account in 800);
    - ``"address"``: it voted from an address that another suspect also used.

    Suspects with neither are left alone (the sweep's report counts those kept).
    Tried and dropped: keeping suspects whose votes as a whole are outliers. A
    noisy honest voter both favours an underdog target and votes unlike the
    pairs' histories, so that evidence is not independent of the favouritism.
    """
    by_net = _accounts_by_network(finding.members, networks)
    out = {}
    for user_id, (_n, _wins, _expected, z) in finding.members.items():
        others = set().union(*(by_net[net] for net in networks.get(user_id, ()))) - {user_id}
        if z > alone_z:
            out[user_id] = "bound"
        elif others:
            out[user_id] = "address"
    return out


@dataclass(frozen=True)
class RingLink:
    battles: int
    wins: float
    expected: float
    z: float
    shared: int  # network addresses shared with the ring's confirmed members
    linked_members: int  # confirmed members met on those addresses


def ring_linked(
    finding: RingFinding, rows, networks: dict, *, z: float, min_battles: int
) -> dict[int, RingLink]:
    """Accounts tied to a confirmed ring: they vote from a network address one of
    its members (the suspects :func:`ring_confirmed` kept) used, and favour the
    same model past ``z`` (a lower bound than the ring's own, because an account
    with three battles with the model cannot clear that one: three wins at even
    odds are z = 1.7).

    Both conditions are needed. A shared address alone is a household or a campus;
    mild favouritism alone is one honest voter in six. ``rows`` are the ring
    test's rows; ``networks`` maps user id -> iterable of address hashes.
    """
    member_nets = _accounts_by_network(finding.members, networks)
    if not member_nets:
        return {}
    out = {}
    for user_id, model_id, n, wins, expected, variance in rows:
        user_id = int(user_id)
        if int(model_id) != finding.model_id or user_id in finding.members or n < min_battles:
            continue
        shared = [net for net in networks.get(user_id, ()) if net in member_nets]
        if not shared:
            continue
        score = favouritism_z(float(wins), float(expected), float(variance))
        if score > z:
            met = set().union(*(member_nets[net] for net in shared))
            out[user_id] = RingLink(
                battles=int(n),
                wins=float(wins),
                expected=float(expected),
                z=score,
                shared=len(shared),
                linked_members=len(met),
            )
    return out


@dataclass(frozen=True)
class RingCohort:
    battles: int
    wins: float
    expected: float
    z: float
    likelihood_ratio: float  # the account's record on the model: ring against honest
    cohort: int  # other accounts whose first vote came within the window of its own
    ring_share: float  # estimated share of ring accounts among them
    posterior: float  # probability that the account is one of the ring's


def _record_likelihood_ratio(n: int, wins: float, expected: float, q: float) -> float:
    """P(record | ring account) / P(record | honest account) for ``wins`` of ``n``
    battles with the model: a ring account picks it with probability ``q``, an
    honest one as the ratings predicted (their mean ``expected / n``)."""
    if n <= 0:
        return 1.0
    p = min(0.98, max(0.02, expected / n))
    w = int(round(wins))
    return float(math.exp(sps.binom.logpmf(w, n, q) - sps.binom.logpmf(w, n, p)))


def ring_cohort(
    finding: RingFinding,
    rows,
    first_seen: dict,
    *,
    window: float,
    min_battles: int,
    posterior: float,
    iterations: int = 50,
) -> dict[int, RingCohort]:
    """Accounts of a confirmed ring singled out by when they started voting.

    Accounts bought or made for a ring start voting together; honest newcomers
    arrive spread out. For each account with at least ``min_battles`` decisive
    battles with the ring's model, the cohort is every tested account whose first
    vote (``first_seen``: user id -> seconds) lies within ``window`` seconds of
    its own. Each cohort member's record on the model gives a likelihood ratio,
    ring against honest (a ring account picks the model with the rate its
    suspects show, at most 0.95; an honest one as the ratings predicted); the
    share of ring accounts in the cohort is the mixing weight that fits these
    ratios best (EM), and the account is flagged when its posterior probability
    of being a ring account passes ``posterior``.

    A cohort of honest accounts that started together fits a share near zero
    (their records favour no model), so an honest voter whose first vote is
    far from the ring's is not at risk however lucky its record; one that
    started among the ring's accounts is flagged only on a record about as
    unlikely for an honest voter as its odds of being honest there (the
    ratio's mean is one under the honest law). ``rows`` are the ring test's
    rows.
    """
    record = {}
    for user_id, model_id, n, wins, expected, variance in rows:
        if int(model_id) == finding.model_id:
            record[int(user_id)] = (int(n), float(wins), float(expected), float(variance))
    members = [record[u] for u in finding.members if u in record]
    battles = sum(r[0] for r in members)
    q = min(0.95, max(0.5, sum(r[1] for r in members) / battles)) if battles else 0.95
    ratio = {
        u: _record_likelihood_ratio(*record[u][:3], q) if u in record else 1.0 for u in first_seen
    }
    users = sorted(first_seen, key=lambda u: (first_seen[u], u))
    times = np.array([first_seen[u] for u in users], dtype=np.float64)
    ratios = np.array([ratio[u] for u in users], dtype=np.float64)
    out = {}
    for user_id in users:
        n, wins, expected, variance = record.get(user_id, (0, 0.0, 0.0, 0.0))
        if n < min_battles:
            continue
        own = ratio[user_id]
        if own <= 1.0:
            continue
        t = first_seen[user_id]
        lo = int(np.searchsorted(times, t - window, side="left"))
        hi = int(np.searchsorted(times, t + window, side="right"))
        cohort = [k for k in range(lo, hi) if users[k] != user_id]
        if not cohort:
            continue
        lr = ratios[cohort]
        # No surer than one more honest account in the cohort would allow.
        cap = len(cohort) / (len(cohort) + 1.0)
        share = 0.5
        for _ in range(iterations):
            share = min(cap, float(np.mean(share * lr / (share * lr + 1.0 - share))))
        odds = share / (1.0 - share) * own
        post = odds / (1.0 + odds)
        if post > posterior:
            out[user_id] = RingCohort(
                battles=n,
                wins=wins,
                expected=expected,
                z=favouritism_z(wins, expected, variance),
                likelihood_ratio=own,
                cohort=len(cohort),
                ring_share=share,
                posterior=post,
            )
    return out


# --- reliability ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityParams:
    gold_prior: tuple[float, float]
    gold_min_accuracy: float
    agree_prior: tuple[float, float]
    agree_min: float
    fast_prior: tuple[float, float]
    fast_max_rate: float
    confidence: float
    outlier_alpha: float
    favouritism_z: float
    favouritism_min_votes: int
    # The gold rule's own bar: it is checked after every gold vote.
    gold_confidence: float
    weights: tuple[float, float, float] = (0.35, 0.35, 0.30)


@dataclass(frozen=True)
class VoterEvidence:
    """A voter's running sums (what VoterReliability stores)."""

    votes: int = 0
    gold_correct: int = 0
    gold_total: int = 0
    agree_weight: float = 0.0
    agree_total: float = 0.0
    fast_votes: int = 0
    fisher_sum: float = 0.0
    fisher_n: int = 0
    fisher_min_p: float = 1.0
    # model id (str) -> [votes with it, wins for it, expected wins, variance]
    model_bias: dict | None = None


@dataclass(frozen=True)
class Assessment:
    score: float
    gold_mean: float
    agree_mean: float
    fast_mean: float
    flags: dict  # reason -> evidence dict


def assess(ev: VoterEvidence, p: ReliabilityParams) -> Assessment:
    """Reliability score in [0, 1] and the flags raised by the evidence.

    The score is a weighted mean of three posterior means (gold accuracy,
    confidence-weighted agreement with the ratings, share of votes cast slower
    than reading speed); each flag halves it. A flag needs strong evidence (a
    posterior probability above ``confidence``, or a test at level
    ``outlier_alpha``), so a new voter is neither trusted nor damned after two
    votes: two gold misses move Beta(2, 1) to Beta(2, 3), whose P(accuracy < 0.6)
    is 0.82, short of 0.95 (and of the gold rule's own 0.99).
    """
    flags: dict = {}
    g_a = p.gold_prior[0] + ev.gold_correct
    g_b = p.gold_prior[1] + (ev.gold_total - ev.gold_correct)
    gold_mean = beta_mean(g_a, g_b)
    prob_bad_gold = beta_prob_below(g_a, g_b, p.gold_min_accuracy)
    if ev.gold_total and prob_bad_gold > p.gold_confidence:
        flags["gold_accuracy"] = {
            "correct": ev.gold_correct,
            "total": ev.gold_total,
            "posterior": [g_a, g_b],
            "p_accuracy_below": round(prob_bad_gold, 4),
            "min_accuracy": p.gold_min_accuracy,
        }
    a_a = p.agree_prior[0] + ev.agree_weight
    a_b = p.agree_prior[1] + (ev.agree_total - ev.agree_weight)
    agree_mean = beta_mean(a_a, a_b)
    prob_disagree = beta_prob_below(a_a, a_b, p.agree_min)
    if ev.agree_total and prob_disagree > p.confidence:
        flags["disagreement"] = {
            "weighted_agree": round(ev.agree_weight, 3),
            "weighted_total": round(ev.agree_total, 3),
            "p_agreement_below": round(prob_disagree, 4),
            "min_agreement": p.agree_min,
        }
    f_a = p.fast_prior[0] + ev.fast_votes
    f_b = p.fast_prior[1] + (ev.votes - ev.fast_votes)
    fast_mean = beta_mean(f_a, f_b)
    prob_fast = beta_prob_above(f_a, f_b, p.fast_max_rate)
    if ev.fast_votes and prob_fast > p.confidence:
        flags["too_fast"] = {
            "fast_votes": ev.fast_votes,
            "votes": ev.votes,
            "p_fast_rate_above": round(prob_fast, 4),
            "max_fast_rate": p.fast_max_rate,
        }
    k = fisher_checkpoint(ev.fisher_n)
    if k is not None:
        combined = fisher_p_value(ev.fisher_sum, ev.fisher_n)
        level = fisher_level(k, p.outlier_alpha)
        if combined < level:
            flags["outlier"] = {
                "test": "fisher",
                "votes": ev.fisher_n,
                "statistic": round(ev.fisher_sum, 3),
                "df": 2 * ev.fisher_n,
                "p_value": combined,
                "level": level,
                "smallest_vote_p": ev.fisher_min_p,
            }
    for model_id, (n, wins, expected, variance) in (ev.model_bias or {}).items():
        if n < p.favouritism_min_votes:
            continue
        z = favouritism_z(wins, expected, variance)
        if z > p.favouritism_z:
            flags["favouritism"] = {
                "model_id": int(model_id),
                "battles": int(n),
                "wins": wins,
                "expected_wins": round(expected, 3),
                "z": round(z, 3),
                "threshold": p.favouritism_z,
            }
            break
    w_g, w_a, w_s = p.weights
    base = w_g * gold_mean + w_a * agree_mean + w_s * (1.0 - fast_mean)
    score = base * 0.5 ** len(flags)
    return Assessment(
        score=float(min(1.0, max(0.0, score))),
        gold_mean=gold_mean,
        agree_mean=agree_mean,
        fast_mean=fast_mean,
        flags=flags,
    )


def min_read_ms(words: int, *, wpm: float, floor_ms: int) -> int:
    """Fewest milliseconds in which ``words`` can be read at ``wpm`` words per minute."""
    return max(int(floor_ms), int(words / max(wpm, 1.0) * 60_000))


def speed_weight(ms: int, *, read_ms: int, impossible_ms: int, floor: float) -> float:
    """Share of a vote's points kept for its speed, in [0, 1]: graded, not a cliff.

    1 at or above ``read_ms`` (the time to read both answers), falling smoothly
    (square root of the share of the reading time taken) to ``floor``; 0 only
    below ``impossible_ms``, a time in which no person can have looked at two
    answers. People skim: a vote in 3 s on two long answers still keeps about
    ``floor`` + a third of the rest, and the vote itself counts in the ratings.
    """
    if ms < impossible_ms:
        return 0.0
    if read_ms <= 0 or ms >= read_ms:
        return 1.0
    return float(floor + (1.0 - floor) * math.sqrt(ms / read_ms))
