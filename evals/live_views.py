"""The live battle page and the endpoint that opens a live battle."""

import random

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from datafi.api import site_endpoint
from datafi.input import json_body
from evals import live
from evals.models import EvalModel, Prompt, Vote
from evals.views import LOG_IN_TO_VOTE

SUGGESTIONS = 6


def _suggestions() -> list[str]:
    ids = list(
        Prompt.objects.filter(is_active=True)
        .exclude(source=Prompt.Source.USER)
        .values_list("id", flat=True)[:2000]
    )
    picked = random.sample(ids, min(SUGGESTIONS, len(ids)))
    return list(Prompt.objects.filter(id__in=picked).values_list("text", flat=True))


@login_required
@require_GET
def live_page(request):
    available = EvalModel.objects.filter(
        status=EvalModel.Status.ACTIVE, endpoint__isnull=False, endpoint__paused=False
    ).count()
    return render(
        request,
        "evals/live.html",
        {
            "suggestions": _suggestions(),
            "max_chars": settings.LIVE_PROMPT_MAX_CHARS,
            "max_turns": settings.LIVE_MAX_TURNS,
            "available": available >= 2,
            "reason_tags": Vote.REASON_TAGS,
        },
    )


@site_endpoint(login_detail=LOG_IN_TO_VOTE)
@require_POST
def live_battle_create(request):
    body = json_body(request)
    battle = live.live_battle_start(user=request.user, text=body.get("prompt"))
    return JsonResponse(
        {
            "id": str(battle.id),
            "ws_url": f"/ws/live/{battle.id}/",
            "vote_url": f"/arena/battles/{battle.id}/vote",
        },
        status=201,
    )
