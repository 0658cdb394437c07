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


def points_for(multiplier: float) -> int:
    """A vote's points before the daily cap: the base times the multiplier,
    rounded to the nearest point (the weight a voter is shown, to two places,
    times the base gives the same number; flooring gave 6 for "weight 0.70")."""
    multiplier = min(1.0, max(0.0, float(multiplier)))
    return math.floor(points_per_vote() * multiplier + 0.5)


def vote_award(*, earned_today: int, multiplier: float, booked: int = 0) -> VoteAward:
    """Points for one vote given what the user already earned today and the
    vote's multiplier in [0, 1] (quality's judgement of the voter and of this
    vote's reading speed, which the fold passes in; an excluded voter's is 0).

    ``booked`` is what the vote already earned: a top-up (an operator restoring
    full points on appeal) earns the rest, within the day's cap."""
    base = points_per_vote()
    multiplier = min(1.0, max(0.0, float(multiplier)))
    raw = max(0, points_for(multiplier) - max(0, int(booked)))
    room = max(0, daily_cap() - earned_today)
    points = min(raw, room)
    return VoteAward(points=points, base=base, multiplier=multiplier, capped=points < raw)
