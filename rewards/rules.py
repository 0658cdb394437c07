"""Reward rules, all in one place: what a vote earns.

Read from settings at call time so that an operator (or a test) can change them
without a restart of anything else. The ledger service applies them under the
voter's account lock, so the daily cap holds under concurrent votes.
"""

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings


def points_per_vote() -> int:
    return max(0, int(settings.REWARD_POINTS_PER_VOTE))


def daily_cap() -> int:
    """Most points a user can earn per UTC day (0 = no votes earn anything)."""
    return max(0, int(settings.REWARD_DAILY_CAP))


def redemption_minimum() -> int:
    return max(1, int(settings.REDEMPTION_MINIMUM))


def vote_multiplier(user) -> float:
    """How much of the base reward this voter's votes earn, in [0, 1].

    Fed by the quality work's reliability score (gold battles, agreement,
    outlier tests, reading speed): an excluded voter gets 0 and earns nothing
    redeemable.
    """
    from evals.quality.selectors import vote_points_multiplier

    return vote_points_multiplier(user)


def day_window(now: datetime) -> tuple[datetime, datetime]:
    """The UTC day containing ``now`` as [start, end)."""
    start = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class VoteAward:
    points: int
    base: int
    multiplier: float
    capped: bool


def vote_award(*, user, earned_today: int, multiplier: float | None = None) -> VoteAward:
    """Points for one vote given what the user already earned today (and, when
    the caller has it at hand, the voter's multiplier; otherwise it is read)."""
    base = points_per_vote()
    if multiplier is None:
        multiplier = vote_multiplier(user)
    multiplier = min(1.0, max(0.0, float(multiplier)))
    raw = math.floor(base * multiplier)
    room = max(0, daily_cap() - earned_today)
    points = min(raw, room)
    return VoteAward(points=points, base=base, multiplier=multiplier, capped=points < raw)
