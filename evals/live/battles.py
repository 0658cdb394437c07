"""Starting and continuing a live battle, and the vote's guard on it."""

import random

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from datafi.api import ApiError
from evals import languages, sampler
from evals.live.guards import moderation_check, prompt_clean, rate_limit_take
from evals.models import (
    Battle,
    LiveTurn,
    Prompt,
)

SIDES = ("a", "b")


def _user_prompt(text: str, *, language: str) -> Prompt:
    return Prompt.objects.create(text=text, source=Prompt.Source.USER, language=language)


def live_battle_start(*, user, text, rng: random.Random | None = None) -> Battle:
    """Pick two endpoint-backed models for ``user``'s prompt and open a live battle.

    The battle's first turn is pending: the voter's websocket generates it.
    """
    text = prompt_clean(text)
    try:
        model_a, model_b = sampler.pick_live_pair(user=user, rng=rng)
    except sampler.NothingToServe:
        raise ApiError(
            "no_live_models",
            _("No two live models are available right now; try the arena instead."),
            status_code=503,
        ) from None
    moderation_check(text)  # an HTTP call: before any transaction
    # The typed prompt's language ("und" when unsure), so that live battles count
    # in the leaderboards' language slices; detected before the transaction.
    language = languages.detect(text)
    now = timezone.now()
    with transaction.atomic():
        # Inside the transaction: a start that fails after this gives the unit back.
        rate_limit_take(user=user)
        # A fresh pair replaces the voter's unvoted live battles.
        Battle.objects.filter(
            voter=user, mode=Battle.Mode.LIVE, status=Battle.Status.SERVED
        ).update(status=Battle.Status.ABANDONED)
        prompt = _user_prompt(text, language=language)
        battle = Battle.objects.create(
            mode=Battle.Mode.LIVE,
            prompt=prompt,
            model_a=model_a,
            model_b=model_b,
            voter=user,
            served_at=now,
        )
        LiveTurn.objects.create(battle=battle, index=0, prompt=prompt)
    return battle


def own_open_live_battle(*, user, battle_id, lock: bool = False) -> Battle:
    qs = Battle.objects.filter(id=battle_id, mode=Battle.Mode.LIVE)
    if lock:
        qs = qs.select_for_update()
    battle = qs.first()
    if battle is None:
        raise ApiError("not_found", _("No such live battle."), status_code=404)
    if battle.voter_id != user.id:
        raise ApiError("not_your_battle", _("This battle was served to someone else."), 403)
    if battle.status != Battle.Status.SERVED:
        raise ApiError(
            "battle_closed",
            # Translators: %(status)s is the battle's status as the API names it (e.g. "revealed").
            _("This battle is %(status)s; start a fresh pair.") % {"status": battle.status},
            409,
        )
    return battle


def live_turn_add(*, user, battle_id, text) -> LiveTurn:
    """Go on with the same anonymous pair: a new pending turn."""
    text = prompt_clean(text)
    battle = own_open_live_battle(user=user, battle_id=battle_id)
    if LiveTurn.objects.filter(battle=battle).exclude(state=LiveTurn.State.DONE).exists():
        raise ApiError("turn_running", _("Wait for both answers to finish."), status_code=409)
    moderation_check(text)
    language = languages.detect(text)
    with transaction.atomic():
        battle = own_open_live_battle(user=user, battle_id=battle_id, lock=True)
        turns = LiveTurn.objects.filter(battle=battle)
        if turns.exclude(state=LiveTurn.State.DONE).exists():
            raise ApiError("turn_running", _("Wait for both answers to finish."), status_code=409)
        count = turns.count()
        if count >= settings.LIVE_MAX_TURNS:
            raise ApiError(
                "too_many_turns",
                ngettext(
                    "A battle has at most %(max)d turn; vote, then start afresh.",
                    "A battle has at most %(max)d turns; vote, then start afresh.",
                    settings.LIVE_MAX_TURNS,
                )
                % {"max": settings.LIVE_MAX_TURNS},
                status_code=409,
            )
        # Last before the write, in its transaction: a refused turn costs no unit.
        rate_limit_take(user=user)
        try:
            with transaction.atomic():
                return LiveTurn.objects.create(
                    battle=battle, index=count, prompt=_user_prompt(text, language=language)
                )
        except IntegrityError:
            # Two tabs continued at once; the unique (battle, index) let one win.
            raise ApiError("turn_running", _("Wait for both answers to finish."), 409) from None


def live_vote_guard(*, battle_id) -> None:
    """Voting on a live battle opens when every turn has both answers."""
    turns = LiveTurn.objects.filter(battle_id=battle_id)
    if not turns.exists() or turns.exclude(state=LiveTurn.State.DONE).exists():
        raise ApiError(
            "generation_running",
            _("Voting opens when both answers have finished."),
            status_code=409,
        )
