"""The published split of a sale: the fee plus the contributors' shares equal the sale to
the last point, each share within one point of its exact pro-rata quota (Hypothesis)."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datafi.market import split

populations = st.dictionaries(
    st.integers(min_value=1, max_value=10_000),
    st.integers(min_value=0, max_value=5_000_000),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(
    points=st.integers(min_value=0, max_value=10**15),
    fee=st.integers(min_value=0, max_value=100),
    weights=populations,
)
def test_the_fee_and_the_shares_add_up_to_the_sale_and_each_share_is_its_quota(
    points, fee, weights
):
    result = split.split(points=points, fee_percent=fee, weights=weights)
    assert result.fee_points + sum(result.shares.values()) == points
    assert all(v > 0 for v in result.shares.values())
    whole = sum(w for w in weights.values() if w > 0)
    if not whole:
        assert result.shares == {} and result.fee_points == points
        return
    assert result.fee_points == points * fee // 100
    pool = points - result.fee_points
    for user, w in weights.items():
        quota = Fraction(pool * w, whole)
        got = result.shares.get(user, 0)
        assert quota - 1 < got < quota + 1
        if w == 0:
            assert got == 0


@settings(max_examples=200, deadline=None)
@given(pool=st.integers(min_value=0, max_value=10**9), weights=populations)
def test_more_weight_never_earns_less(pool, weights):
    shares = split.largest_remainder(pool, weights)
    ranked = sorted(weights.items(), key=lambda kv: (kv[1], -kv[0]))
    for (u1, w1), (u2, w2) in zip(ranked, ranked[1:], strict=False):
        if w1 < w2:
            assert shares.get(u1, 0) <= shares.get(u2, 0)


def test_a_worked_example_of_the_published_rule():
    # 2,500.00 USD at 1,000 points per USD, 30% fee, three contributors whose
    # weights are 3:3:1 (votes times reliability in thousandths).
    points = split.sale_points(amount=250_000, decimals=2, points_per_major=1000)
    assert points == 2_500_000
    weights = {
        1: split.weight(votes=6, reliability=1.0),
        2: split.weight(votes=6, reliability=1.0),
        3: split.weight(votes=2, reliability=1.0),
    }
    result = split.split(points=points, fee_percent=30, weights=weights)
    assert result.fee_points == 750_000
    # 1,750,000 * 3/7 = 750,000 each, 250,000 for the third: exact.
    assert result.shares == {1: 750_000, 2: 750_000, 3: 250_000}
    # Three equal weights over 10 points: 3.33 each, the left-over point goes to the
    # smallest user id among equal remainders.
    assert split.largest_remainder(10, {7: 1, 5: 1, 9: 1}) == {5: 4, 7: 3, 9: 3}


def test_token_units_become_points_at_the_published_rate():
    # 2,500 tUSD (six decimals) at 1,000 points per USD.
    assert split.sale_points(amount=2_500 * 10**6, decimals=6, points_per_major=1000) == 2_500_000
    # Less than a point's worth is the platform's, never a contributor's lost share.
    assert split.sale_points(amount=999, decimals=6, points_per_major=1000) == 0
    with pytest.raises(ValueError):
        split.sale_points(amount=-1, decimals=6, points_per_major=1000)
    with pytest.raises(ValueError):
        split.split(points=10, fee_percent=101, weights={1: 1})
