"""An operator decides a voter's appeal: evals restores the votes, ratings
counts them again and rewards credits the points they did not earn."""

from django.db import transaction

from evals import services
from ratings import services as ratings_services
from rewards.services import TOP_UP, VoteCredit, points_award_for_votes


@transaction.atomic(durable=True)
def appeal_decide(*, appeal_id, operator, decision: str, reason: str):
    """An operator clears or upholds an appeal; who, when and why are recorded.

    Clearing counts the voter's excluded votes again, starts their evidence
    afresh and credits the points those votes did not earn, and the rest of
    the points of votes that earned less than full, through the ledger under
    each vote's own source keys (``vote:`` and ``vote-topup:``), so a second
    decision, a retry or a concurrent click cannot pay twice.
    """
    decided = services.appeal_decision_record(
        appeal_id=appeal_id, operator=operator, decision=decision, reason=reason
    )
    if decided.restored:
        ratings_services.battle_outcomes_record(
            items=[(b, b.vote.choice) for b in decided.restored]
        )
    booked = topped = {}
    if decided.unpaid:
        booked = points_award_for_votes(
            credits=[
                VoteCredit(user_id=b.voter_id, battle_id=b.pk, at=b.vote.created_at, multiplier=1.0)
                for b in decided.unpaid
            ]
        )
    if decided.topped:
        topped = points_award_for_votes(
            credits=[
                VoteCredit(
                    user_id=decided.appeal.user_id,
                    battle_id=v.battle_id,
                    at=v.created_at,
                    multiplier=1.0,
                    booked=v.points or 0,
                )
                for v in decided.topped
            ],
            prefix=TOP_UP,
        )
    if booked or topped:
        services.appeal_points_record(appeal=decided.appeal, booked=booked, topped=topped)
    decided.appeal.refresh_from_db()
    return decided.appeal
