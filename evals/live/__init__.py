"""Services for live battles: start, continue, generate and record.

Storage: a live battle is a ``Battle`` (mode "live") plus one ``LiveTurn`` per
exchange. Turn 0's prompt and answers are also ``battle.prompt``/``answer_a``/
``answer_b``, so a one-turn live battle reads like a stored one; the vote covers
every turn. Each answer is an ``Answer`` to its turn's ``Prompt`` (source
"user", which the stored-answer sampler never serves) with a ``GenerationStat``.

The model API is never called inside a transaction: a turn is claimed in one
short transaction, generated with no transaction open, and recorded in another
short one at the end (or on failure). Tokens are buffered in memory, not
written one by one.

The code is split by job: ``guards`` (prompt text, moderation, the generation
limit), ``battles`` (start, continue, the vote's guard), ``generate`` (claim,
plan, stream), ``recording`` (record or abort a turn) and ``state`` (what the
page shows). The names below are the package's public API.
"""

from evals.live.battles import SIDES, live_battle_start, live_turn_add, live_vote_guard
from evals.live.generate import TurnPlan, live_turn_claim, live_turn_generate, live_turn_plan
from evals.live.guards import moderation_check, prompt_clean, rate_limit_take
from evals.live.recording import TurnOutcome, live_turn_abort, live_turn_record
from evals.live.state import live_battle_for_socket, live_battle_state, live_pending_turn_id

__all__ = [
    "SIDES",
    "TurnOutcome",
    "TurnPlan",
    "live_battle_for_socket",
    "live_battle_start",
    "live_battle_state",
    "live_pending_turn_id",
    "live_turn_abort",
    "live_turn_add",
    "live_turn_claim",
    "live_turn_generate",
    "live_turn_plan",
    "live_turn_record",
    "live_vote_guard",
    "moderation_check",
    "prompt_clean",
    "rate_limit_take",
]
