"""The published rule that splits a sale: the platform's fee, the rest to contributors.

Pure integer arithmetic, so that the parts add up to the sale to the last unit:

1. The sale in points: ``amount * points_per_major // 10**decimals`` (a part of a
   point left over, never more than one point's worth, stays with the platform).
2. The fee: ``floor(points * fee_percent / 100)``.
3. The pool (points minus fee) goes to contributors pro rata to their weights (their
   counted votes in the version times their reliability, in thousandths), by
   largest remainder: each gets the floor of their exact quota, then the points
   left over go one each to the largest fractional remainders (ties: smaller user
   id first). Fee plus shares equals the sale's points exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

RELIABILITY_SCALE = 1000


@dataclass(frozen=True)
class Split:
    sale_points: int
    fee_points: int
    shares: dict[int, int]  # user id -> points (contributors with a share > 0 only)


def sale_points(*, amount: int, decimals: int, points_per_major: int) -> int:
    """An amount in minor units (``decimals`` of them per major unit) in points."""
    if amount < 0 or decimals < 0 or points_per_major < 0:
        raise ValueError("amounts and rates are not negative")
    return amount * points_per_major // 10**decimals


def weight(*, votes: int, reliability: float) -> int:
    """A contributor's integer weight: counted votes times reliability in thousandths."""
    return votes * round(min(1.0, max(0.0, reliability)) * RELIABILITY_SCALE)


def largest_remainder(total: int, weights: dict[int, int]) -> dict[int, int]:
    """``total`` split pro rata to ``weights`` (non-negative integers) to the last unit."""
    if total < 0:
        raise ValueError("the total is not negative")
    weighted = {k: w for k, w in weights.items() if w > 0}
    whole = sum(weighted.values())
    if not weighted:
        return {}
    floors, remainders = {}, []
    for key, w in weighted.items():
        q, r = divmod(total * w, whole)
        floors[key] = q
        remainders.append((-r, key))
    left = total - sum(floors.values())
    for _r, key in sorted(remainders)[:left]:
        floors[key] += 1
    return {k: v for k, v in floors.items() if v > 0}


def split(*, points: int, fee_percent: int, weights: dict[int, int]) -> Split:
    """The fee and each contributor's share of a sale worth ``points``.

    With no contributor weight at all (nobody reliable left in the version), the
    whole sale is the platform's: there is nobody to pay, and nothing is lost.
    """
    if not 0 <= fee_percent <= 100:
        raise ValueError("the fee is a percentage")
    fee = points * fee_percent // 100
    shares = largest_remainder(points - fee, weights)
    if not shares:
        fee = points
    return Split(sale_points=points, fee_points=fee, shares=shares)
