"""Writes for rewards; other apps call these, never the models.

One module per sub-domain: ``ledger`` (points), ``wallets`` (SIWE),
``redemptions`` (escrow), ``payouts`` (epochs, claims, settlement).
"""

from rewards.services.ledger import points_award_for_vote

__all__ = ["points_award_for_vote"]
