"""Active ranking: the utility of one more vote on a pair for the table's order,
and the greedy plan of the next votes built on it."""

import numpy as np
import pytest
from scipy.special import expit, ndtr

from ratings.active import design_allocation, order_utility, posterior_covariance

ATOL = 1e-9


def _state():
    """Five models in a chain, every neighbouring pair with 200 votes, far pairs none."""
    theta = np.array([0.9, 0.8, 0.2, -0.6, -1.3])
    i = np.array([0, 1, 2, 3, 0])
    j = np.array([1, 2, 3, 4, 2])
    n = np.array([200.0, 200.0, 200.0, 200.0, 30.0])
    return theta, posterior_covariance(i, j, n, theta, 1.0), (i, j, n)


def test_the_covariance_is_the_inverse_of_the_penalised_fisher_information():
    theta, cov, (i, j, n) = _state()
    hess = np.eye(5)
    for a, b, k in zip(i, j, n, strict=True):
        w = k * expit(theta[a] - theta[b]) * (1 - expit(theta[a] - theta[b]))
        x = np.zeros(5)
        x[a], x[b] = 1.0, -1.0
        hess += w * np.outer(x, x)
    np.testing.assert_allclose(cov, np.linalg.inv(hess), atol=ATOL)


def test_a_pairs_utility_is_the_doubt_one_more_vote_on_it_removes():
    # Recompute by brute force: add one vote's information to the Hessian,
    # invert again, and sum over the targets the importance times the order
    # doubt times the share of each target's variance that went away.
    theta, cov, _ = _state()
    u = order_utility(theta, cov, neighbours=2, top_scale=2.0)
    order = np.argsort(-theta)
    m = theta.size
    for a in range(m):
        for b in range(a + 1, m):
            p = expit(theta[a] - theta[b])
            x = np.zeros(m)
            x[a], x[b] = 1.0, -1.0
            after = np.linalg.inv(np.linalg.inv(cov) + p * (1 - p) * np.outer(x, x))
            expected = 0.0
            for r in range(m - 1):
                for k in range(r + 1, min(m, r + 3)):
                    c = np.zeros(m)
                    c[order[r]], c[order[k]] = 1.0, -1.0
                    s2, s2_after = c @ cov @ c, c @ after @ c
                    doubt = 2 * ndtr(-abs(theta[order[r]] - theta[order[k]]) / np.sqrt(s2))
                    expected += doubt * (s2 - s2_after) / s2 / (1 + r / 2.0)
            assert u[a, b] == pytest.approx(expected, rel=1e-9)
            assert u[b, a] == u[a, b]
    assert np.all(np.diag(u) == 0)


def test_the_close_pair_at_the_top_is_worth_the_most_and_a_settled_gap_almost_nothing():
    theta, cov, _ = _state()
    u = order_utility(theta, cov)
    best = np.unravel_index(np.argmax(u), u.shape)
    assert sorted(best) == [0, 1]  # 0.1 apart at the top: the order is in doubt
    # Models 2 and 4 are 1.5 apart with 400 votes along the way: settled.
    assert u[2, 4] < u[0, 1] / 1000
    # Model 0 is the loosest end of the close pair (30 votes beside its 200
    # against model 1): any vote of its own helps, one between 1 and 2 hardly.
    assert u[0, 2] > 10 * u[1, 2]


def test_at_equal_doubt_the_top_of_the_table_comes_first():
    # A mirror-image table: the top pair and the bottom pair are equally close
    # and equally voted; only their place in the table differs.
    theta = np.array([1.05, 1.0, 0.0, -1.0, -1.05])
    i, j = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4])
    cov = posterior_covariance(i, j, np.full(4, 300.0), theta, 1.0)
    # Importance 1 at rank 0 against 1 / (1 + 3 / 2) at rank 3: 2.5 times.
    u = order_utility(theta, cov, top_scale=2.0)
    assert u[0, 1] == pytest.approx(2.5 * u[3, 4], rel=0.2)
    steep = order_utility(theta, cov, top_scale=0.5)
    assert steep[0, 1] > 5 * steep[3, 4]


def test_one_or_no_model_has_no_utility():
    assert order_utility(np.zeros(1), np.eye(1)).shape == (1, 1)
    assert order_utility(np.zeros(0), np.zeros((0, 0))).shape == (0, 0)


def _naive_plan(theta, cov, votes):
    """The greedy design by brute force: recompute every pair's utility after
    adding each planned vote's information to the Hessian and inverting it."""
    m = theta.size
    hess = np.linalg.inv(cov)
    counts = np.zeros((m, m))
    for _ in range(votes):
        u = order_utility(theta, np.linalg.inv(hess))
        a, b = np.unravel_index(np.argmax(u), u.shape)
        a, b = min(a, b), max(a, b)
        counts[a, b] += 1
        p = expit(theta[a] - theta[b])
        x = np.zeros(m)
        x[a], x[b] = 1.0, -1.0
        hess += p * (1 - p) * np.outer(x, x)
    return counts / votes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_plan_is_the_greedy_design_recomputed_from_scratch_each_vote(seed):
    rng = np.random.default_rng(seed)
    m = 8
    theta = rng.normal(0.0, 0.8, m)
    i, j = np.triu_indices(m, 1)
    n = rng.integers(5, 120, i.size).astype(float)
    cov = posterior_covariance(i, j, n, theta, 1.0)
    plan = design_allocation(theta, cov, votes=40)
    np.testing.assert_allclose(np.triu(plan, 1), _naive_plan(theta, cov, 40), atol=ATOL)
    np.testing.assert_allclose(plan, plan.T)
    assert np.triu(plan, 1).sum() == pytest.approx(1.0)


def test_one_planned_vote_goes_to_the_most_useful_pair():
    theta, cov, _ = _state()
    u = order_utility(theta, cov)
    plan = design_allocation(theta, cov, votes=1)
    assert plan[np.unravel_index(np.argmax(u), u.shape)] == 1.0


def test_returns_diminish_so_the_plan_spreads_over_the_pairs_in_doubt():
    # The top three within 0.1 of each other, 200 votes per neighbouring pair.
    # The first planned votes all go to 0-2, which informs both of the top's
    # orders at once; as votes are planned on it its value falls, and over
    # 400 votes 0-1 and 1-2 get their share. A settled pair far down gets none.
    theta = np.array([0.9, 0.8, 0.7, -0.6, -1.3])
    i, j = np.array([0, 1, 2, 3, 0]), np.array([1, 2, 3, 4, 2])
    cov = posterior_covariance(i, j, np.array([200.0, 200.0, 200.0, 200.0, 30.0]), theta, 1.0)
    assert design_allocation(theta, cov, votes=20)[0, 2] == 1.0
    plan = design_allocation(theta, cov, votes=400)
    assert plan.max() < 0.7
    assert min(plan[0, 1], plan[0, 2], plan[1, 2]) > 0.03
    assert plan[3, 4] == 0.0


def test_a_plan_needs_two_models():
    assert design_allocation(np.zeros(1), np.eye(1)).shape == (1, 1)
    assert not design_allocation(np.zeros(1), np.eye(1)).any()
