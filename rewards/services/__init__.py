"""Writes for rewards; other apps call these, never the models.

One module per sub-domain: ``ledger`` (points), ``wallets`` (SIWE),
``redemptions`` (escrow), ``payouts`` (epochs, claims, settlement), ``closing``
(a deleted account's wallet and escrow).
"""

from rewards.services.ledger import TOP_UP, VoteCredit, points_award_for_votes

__all__ = ["TOP_UP", "VoteCredit", "points_award_for_votes"]
