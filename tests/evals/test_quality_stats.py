"""The pure statistics behind voter reliability (evals.quality.stats)."""

import numpy as np
import pytest
from scipy import stats as sps

from evals.quality import stats

PARAMS = stats.ReliabilityParams(
    gold_prior=(2.0, 1.0),
    gold_min_accuracy=0.6,
    agree_prior=(1.5, 0.5),
    agree_min=0.4,
    fast_prior=(1.0, 9.0),
    fast_max_rate=0.25,
    confidence=0.95,
    gold_confidence=0.95,
    outlier_alpha=0.001,
    favouritism_z=4.0,
    favouritism_min_votes=5,
)


def test_a_new_voter_is_neither_trusted_nor_damned_after_two_gold_votes():
    new = stats.assess(stats.VoterEvidence(), PARAMS)
    two_wrong = stats.assess(stats.VoterEvidence(votes=2, gold_total=2), PARAMS)
    two_right = stats.assess(stats.VoterEvidence(votes=2, gold_total=2, gold_correct=2), PARAMS)
    # Beta(2, 1) prior: mean 2/3; two misses -> Beta(2, 3), two hits -> Beta(4, 1).
    assert new.gold_mean == pytest.approx(2 / 3)
    assert two_wrong.gold_mean == pytest.approx(2 / 5)
    assert two_right.gold_mean == pytest.approx(4 / 5)
    assert "gold_accuracy" not in two_wrong.flags
    assert stats.beta_prob_below(2, 3, 0.6) == pytest.approx(0.8208, abs=1e-4)
    assert two_wrong.score >= 0.5  # still counted
    assert two_right.score < 0.9  # not yet fully trusted either


def test_a_voter_who_keeps_failing_gold_is_flagged_with_the_posterior_as_evidence():
    ev = stats.VoterEvidence(votes=40, gold_total=6, gold_correct=1)
    result = stats.assess(ev, PARAMS)
    flag = result.flags["gold_accuracy"]
    assert flag["posterior"] == [3.0, 6.0]
    assert flag["p_accuracy_below"] > 0.95
    assert result.score < 0.5


def test_votes_faster_than_reading_count_against_the_score():
    slow = stats.assess(stats.VoterEvidence(votes=20), PARAMS)
    some_fast = stats.assess(stats.VoterEvidence(votes=20, fast_votes=2), PARAMS)
    all_fast = stats.assess(stats.VoterEvidence(votes=20, fast_votes=20), PARAMS)
    assert slow.score > some_fast.score > all_fast.score
    assert "too_fast" not in some_fast.flags
    assert all_fast.flags["too_fast"]["fast_votes"] == 20
    assert all_fast.score < 0.5


def test_min_read_time_follows_the_words_per_minute_bound():
    assert stats.min_read_ms(300, wpm=1500, floor_ms=1500) == 12_000
    assert stats.min_read_ms(10, wpm=1500, floor_ms=1500) == 1500


def test_the_randomised_p_value_is_uniform_when_the_voter_follows_the_pair():
    rng = np.random.default_rng(1)
    probs = stats.outcome_probabilities((30, 10, 5, 1), p_lo=0.7, prior_strength=10)
    outcomes = rng.choice(4, size=4000, p=probs)
    ps = np.array(
        [stats.outcome_p_value(probs, int(o), key=f"b{k}") for k, o in enumerate(outcomes)]
    )
    assert sps.kstest(ps, "uniform").pvalue > 0.01
    # and it is deterministic per battle id
    assert stats.outcome_p_value(probs, 1, key="x") == stats.outcome_p_value(probs, 1, key="x")


def test_fisher_checkpoints_spend_at_most_alpha_in_total():
    assert [stats.fisher_checkpoint(n) for n in (7, 8, 9, 16, 24, 32, 64)] == [
        None,
        1,
        None,
        2,
        None,
        3,
        4,
    ]
    assert sum(stats.fisher_level(k, 0.01) for k in range(1, 10_000)) < 0.01


def _simulate_voter(rng, n_votes, pairs, *, attacker, key):
    ev = {"fisher_sum": 0.0, "fisher_n": 0, "fisher_min_p": 1.0}
    for v in range(n_votes):
        history, p_lo = pairs[rng.integers(len(pairs))]
        probs = stats.outcome_probabilities(history, p_lo=p_lo, prior_strength=10)
        # The planted voter always gives the outcome the pair's history makes
        # least likely (a vandal, or a bot answering at random among rare
        # choices). A ring that only backs a mild underdog is the favouritism
        # rule's job: one such vote is not improbable enough on its own.
        observed = int(np.argmin(probs)) if attacker else int(rng.choice(4, p=probs))
        p = stats.outcome_p_value(probs, observed, key=f"{key}-{v}")
        ev["fisher_sum"] += -2 * np.log(p)
        ev["fisher_n"] += 1
        ev["fisher_min_p"] = min(ev["fisher_min_p"], p)
    return stats.assess(stats.VoterEvidence(votes=n_votes, **ev), PARAMS)


def test_the_sequential_outlier_test_flags_a_planted_attacker_and_not_honest_voters():
    rng = np.random.default_rng(7)
    pairs = []
    for _ in range(36):
        p_lo = float(rng.uniform(0.15, 0.85))
        n = int(rng.integers(20, 200))
        counts = rng.multinomial(n, [0.84 * p_lo, 0.84 * (1 - p_lo), 0.12, 0.04])
        pairs.append((tuple(float(c) for c in counts), p_lo))
    honest = [_simulate_voter(rng, 32, pairs, attacker=False, key=f"h{i}") for i in range(400)]
    flagged = sum("outlier" in r.flags for r in honest)
    assert flagged / len(honest) < 0.02
    attacker = _simulate_voter(rng, 32, pairs, attacker=True, key="mallory")
    assert "outlier" in attacker.flags
    evidence = attacker.flags["outlier"]
    assert evidence["p_value"] < evidence["level"] and evidence["df"] == 64


def test_favouritism_flags_a_voter_who_always_backs_one_weak_model():
    # 12 battles with model 5, predicted to win 25% of them; the voter gave it all 12.
    ev = stats.VoterEvidence(votes=30, model_bias={"5": [12, 12, 3.0, 12 * 0.25 * 0.75]})
    flag = stats.assess(ev, PARAMS).flags["favouritism"]
    assert flag["model_id"] == 5 and flag["z"] > 4
    fair = stats.VoterEvidence(votes=30, model_bias={"5": [12, 4, 3.0, 12 * 0.25 * 0.75]})
    assert "favouritism" not in stats.assess(fair, PARAMS).flags


def test_beta_tail_probabilities_are_scipys_beta_distribution():
    # They call the incomplete beta function directly (the fold's hot path);
    # they must stay scipy.stats.beta's cdf and sf, edges included.
    from scipy import stats as sps

    for alpha in (0.5, 1.0, 2.0, 7.5, 40.0, 300.0):
        for beta in (0.5, 1.0, 3.0, 12.0, 250.0):
            for x in (-0.2, 0.0, 0.01, 0.25, 0.5, 0.8, 0.99, 1.0, 1.3):
                below = stats.beta_prob_below(alpha, beta, x)
                above = stats.beta_prob_above(alpha, beta, x)
                assert below == pytest.approx(sps.beta.cdf(x, alpha, beta), abs=1e-12)
                assert above == pytest.approx(sps.beta.sf(x, alpha, beta), abs=1e-12)
