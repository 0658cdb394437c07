"""The vote and its fold: the one place that calls quality, ratings and rewards.

A vote commits on its own (``evals.services.vote_record``: the battle flips,
the vote row is written, limits are counted). Everything it causes is folded in
afterwards, in batches, by ``votes_fold``: right after the vote in the same
request (``VOTE_FOLD=inline``), else by the fold workers (``manage.py
vote_worker``) or the server's background pass.

The queue is our own (``Vote.folded_at`` claimed with SKIP LOCKED), not a task
queue: a vote and its place in the queue commit in one transaction, so no vote
is lost between them, and the claim makes each fold exactly-once.
"""

import dataclasses
import logging

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from evals import selectors, services
from evals.quality import services as quality
from evals.services import Reveal
from ratings import services as ratings_services
from rewards.services import VoteCredit, points_award_for_votes

log = logging.getLogger(__name__)


def vote_cast(*, user, battle_id, choice: str, reasons=None, ip: str | None = None) -> Reveal:
    """Record the voter's verdict on their battle and reveal the two models.

    The vote commits on its own (see ``vote_record``); its consequences are
    folded in after it (``votes_fold``): here, at once, unless the deployment
    leaves that to fold workers (``VOTE_FOLD=deferred``).
    """
    reveal = services.vote_record(
        user=user, battle_id=battle_id, choice=choice, reasons=reasons, ip=ip
    )
    if settings.VOTE_FOLD == "inline":
        folded: dict = {}
        try:
            votes_fold(limit=settings.VOTE_FOLD_BATCH, outcomes=folded)
        except Exception:
            # The vote is committed and stays in the fold's queue: the next
            # fold (this server's background pass, a worker) counts it.
            log.exception("folding votes after battle %s failed; left queued", battle_id)
        else:
            # Absent when another fold (a worker) took this vote first: the
            # reveal then says "pending" and "My votes" has the answer.
            outcome = folded.get(reveal.battle_id)
            if outcome is not None:
                reveal = dataclasses.replace(reveal, outcome=outcome)
    return reveal


def votes_fold(*, limit: int = 500, outcomes: dict | None = None) -> int:
    """Fold up to ``limit`` committed votes into everything a vote causes; how many.

    For each vote, oldest first, as if one at a time: the pair counts of the
    sampler and of the rating engine (unless the battle is excluded: a leak, an
    error), then the voter's reliability assessment (which may exclude the vote
    or the voter, retracting what was counted), then the points credit, whose
    multiplier reads that assessment. All of a batch commits with the votes'
    ``folded_at`` or not at all, and votes are claimed with SKIP LOCKED, so any
    number of servers and workers can fold at once and each vote is folded
    exactly once. A deadlock between two folds (rare: an exclusion retracts
    counts out of key order) rolls one back, and it is retried. ``outcomes``,
    when given, receives each folded vote's :class:`selectors.VoteOutcome` by
    battle id (the reveal's "+N points").
    """
    for attempt in range(1, 3):
        try:
            return _votes_fold_batch(limit=limit, outcomes=outcomes)
        except OperationalError:
            if connection.vendor != "postgresql":
                raise
            log.warning("vote fold rolled back (attempt %d); retrying", attempt)
    return _votes_fold_batch(limit=limit, outcomes=outcomes)


@transaction.atomic(durable=True)
def _votes_fold_batch(*, limit: int, outcomes: dict | None = None) -> int:
    votes = services.votes_claim(limit=limit)
    if not votes:
        return 0
    now = timezone.now()
    items = [quality.VoteToAssess(battle=v.battle, vote=v, network=v.network) for v in votes]
    # Lock order: reliability rows, pair stats, pair counts, accounts.
    assessment = quality.VoteBatchAssessment.begin(items=items)
    services.votes_pair_stats_record(votes=votes)
    ratings_services.battle_outcomes_record(
        items=[(v.battle, v.choice) for v in votes if not v.battle.excluded]
    )
    multipliers = assessment.assess(items=items, now=now) if assessment else {}
    speeds = assessment.speeds if assessment else {}
    if not multipliers:
        # Defences off: every vote earns in full; the ledger reads no row for it.
        multipliers = {v.battle_id: 1.0 for v in votes}
        speeds = dict(multipliers)
    booked = points_award_for_votes(
        credits=[
            VoteCredit(
                user_id=v.battle.voter_id,
                battle_id=v.battle_id,
                at=v.created_at,
                multiplier=multipliers.get(v.battle_id),
            )
            for v in votes
        ]
    )
    services.votes_mark_folded(
        votes=votes, now=now, weights=multipliers, points=booked, speeds=speeds
    )
    if outcomes is not None:
        for v in votes:
            outcomes[v.battle_id] = selectors.VoteOutcome.of(
                points=booked.get(v.battle_id, 0),
                weight=multipliers.get(v.battle_id),
                excluded=v.battle.excluded,
                exclusion_reason=v.battle.exclusion_reason,
                at=v.created_at,
                speed=speeds.get(v.battle_id),
            )
    return len(votes)
