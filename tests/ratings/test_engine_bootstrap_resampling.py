"""The bootstrap resamples what was observed: ties, uneven pair shares and weights.

Each test here turns red under one wrong resampling (checked by hand, see the
report of issue #15): dropping ties, drawing pairs evenly instead of by their
observed shares, or ignoring battle weights. The reference is the sandwich
covariance, computed in closed form from the same counts, and the choix
package, an independent Bradley-Terry implementation.
"""

import math

import choix
import numpy as np
import pytest

from ratings import bootstrap
from ratings.aggregate import aggregate_battles, reweight_pairs
from ratings.bootstrap import bootstrap_bt
from ratings.bt import fit_bt, prior_precision
from ratings.sandwich import sandwich_bt

ALPHA = 400 / math.log(10)


def tie_heavy_uneven(seed=0, n=40_000):
    """Six models; 40% ties; one pair takes most of the battles, some pairs few."""
    rng = np.random.default_rng(seed)
    m = 6
    strength = np.array([0.6, 0.3, 0.1, 0.0, -0.4, -0.6])
    pairs = np.array([(i, j) for i in range(m) for j in range(i + 1, m)])
    share = np.ones(len(pairs))
    share[0] = 40.0  # the sampler's favourite pair
    share[-3:] = 0.3  # pairs it rarely shows
    pick = rng.choice(len(pairs), n, p=share / share.sum())
    a, b = pairs[pick, 0], pairs[pick, 1]
    flip = rng.random(n) < 0.5
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    tie = 4 * 0.4 * p * (1 - p)
    win = (p - tie / 2) / (1 - tie)
    s = np.where(rng.random(n) < tie, 0.5, (rng.random(n) < win).astype(float))
    return aggregate_battles(a, b, s, n_models=m)


@pytest.fixture(params=["exact", "mixed", "normal law"])
def draws(request, monkeypatch):
    """Each resampling test runs with exact draws only, with the default mix
    (big cells from the normal law), and with the normal law everywhere."""
    threshold = {"exact": math.inf, "mixed": bootstrap.NORMAL_VARIANCE, "normal law": 0.0}
    monkeypatch.setattr(bootstrap, "NORMAL_VARIANCE", threshold[request.param])
    return request.param


def boot_summary(counts, fit, rounds=600):
    res = bootstrap_bt(counts, fit, rounds=rounds, seed=1, keep_samples=True, n_jobs=1)
    return res.samples.mean(axis=0), res.samples.std(axis=0)


def test_bootstrap_rounds_centre_on_the_fit_with_ties(draws):
    # Ties dropped from the resampling turn into losses: every round then
    # drifts away from the point estimate by tens of points.
    counts = tie_heavy_uneven()
    assert counts.tie.sum() > 0.3 * counts.n.sum()
    fit = fit_bt(counts)
    mean, sd = boot_summary(counts, fit)
    assert np.max(np.abs(mean - fit.scores)) < 0.3 * sd.max()


def test_bootstrap_spread_matches_the_sandwich_with_uneven_pairs_and_ties(draws):
    # Resampling pairs evenly would give the rare pairs as many battles as the
    # favourite one: the spread of the models they involve changes a lot.
    counts = tie_heavy_uneven(seed=1)
    fit = fit_bt(counts)
    _, sd = boot_summary(counts, fit)
    se = sandwich_bt(counts, fit).se
    np.testing.assert_allclose(sd, se, rtol=0.12)


def test_bootstrap_keeps_the_battle_weights(draws):
    # Reweighted counts (inverse pair frequency): the fit uses the weights, so
    # rounds that forget them centre elsewhere and spread differently.
    counts = reweight_pairs(tie_heavy_uneven(seed=2), min_pair_count=50)
    assert not np.allclose(counts.n, counts.n_raw)
    fit = fit_bt(counts)
    mean, sd = boot_summary(counts, fit)
    assert np.max(np.abs(mean - fit.scores)) < 0.3 * sd.max()
    np.testing.assert_allclose(sd, sandwich_bt(counts, fit).se, rtol=0.12)


def test_the_resampled_counts_have_the_multinomials_mean_and_variance(draws):
    # Per pair: battles ~ Multinomial(total, share), so mean n and variance
    # n (1 - share); wins within a pair are binomial. With big and small cells
    # (the favourite pair has ~30,000 battles, the rare ones ~200), in every mode.
    counts = tie_heavy_uneven(seed=3)
    if draws == "mixed":
        # Some pairs from the normal law, some exact: a pair's battles and its
        # score (1 win, 1/2 tie, 0 loss) must both vary enough.
        n = counts.n_raw.astype(float)
        p_win = counts.win_i / counts.n
        tie = counts.tie / counts.n
        var = p_win + tie / 4 - (p_win + tie / 2) ** 2
        big = (n * (1 - n / n.sum()) >= bootstrap.NORMAL_VARIANCE) & (
            n * var >= bootstrap.NORMAL_VARIANCE
        )
        assert big.any() and not big.all()
    rng = np.random.default_rng(0)
    n_star, s_star = bootstrap._resample(counts, rng, 4000)
    n = counts.n_raw.astype(float)
    share = n / n.sum()
    np.testing.assert_allclose(n_star.sum(axis=1), n.sum(), rtol=1e-3)
    np.testing.assert_allclose(n_star.mean(axis=0), n, rtol=0.01)
    np.testing.assert_allclose(n_star.var(axis=0), n * (1 - share), rtol=0.1)
    score = counts.win_i + 0.5 * counts.tie
    np.testing.assert_allclose(s_star.mean(axis=0), score, rtol=0.01)
    # The score's variance over the multinomial: n (E[x^2] - share * E[x]^2) for
    # one battle's score x (1 win, 1/2 tie, 0 loss).
    mean_x = score / n
    mean_x2 = (counts.win_i + 0.25 * counts.tie) / n
    np.testing.assert_allclose(s_star.var(axis=0), n * (mean_x2 - share * mean_x**2), rtol=0.1)


@pytest.mark.parametrize("prior_sd", [None, 400.0, 100.0])
def test_the_fit_agrees_with_choix_an_independent_implementation(prior_sd):
    # choix takes wins only; its penalty is alpha * |theta|**2 (ours is
    # lam / 2 * |theta|**2), so alpha = lam / 2.
    rng = np.random.default_rng(9)
    m, n = 8, 600
    strength = rng.normal(0, 0.7, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    s = (rng.random(n) < 1 / (1 + np.exp(strength[b] - strength[a]))).astype(float)
    counts = aggregate_battles(a, b, s, n_models=m)
    fit = fit_bt(counts, prior_sd=prior_sd)
    data = [(int(x), int(y)) if w else (int(y), int(x)) for x, y, w in zip(a, b, s, strict=True)]
    alpha = (prior_precision(prior_sd) + 1e-6) / 2  # 1e-6: the fit's own tiny ridge
    theirs = choix.opt_pairwise(m, data, alpha=alpha, method="Newton-CG", tol=1e-12)
    theirs = theirs - theirs.mean()
    # 1e-4 natural-log units is 0.02 rating points.
    np.testing.assert_allclose(fit.theta, theirs, atol=1e-4)
