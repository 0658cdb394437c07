import json
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from datafi.api import ApiError, error_response
from evals import selectors, services
from evals.models import Vote
from evals.quality.limits import client_ip


def _wants_json(request) -> bool:
    return request.content_type == "application/json" or "application/json" in (
        request.headers.get("Accept", "")
    )


def login_required_json(view):
    """Like login_required, but answers JSON clients with a 401 instead of a redirect."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if _wants_json(request) or request.path.startswith("/api/"):
                return error_response("not_authenticated", "Log in to vote.", 401)
            return redirect(f"/accounts/login/?next={request.path}")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@require_GET
def arena(request):
    try:
        battle = services.battle_serve(user=request.user)
    except ApiError as exc:
        return render(request, "evals/arena_empty.html", {"detail": exc.detail}, status=200)
    return render(
        request,
        "evals/arena.html",
        {
            "battle": selectors.battle_public_dict(battle),
            "reason_tags": Vote.REASON_TAGS,
            "stats": selectors.voter_stats(user=request.user),
        },
    )


@login_required
@require_GET
def battle_detail(request, battle_id):
    battle = selectors.battle_for_voter(user=request.user, battle_id=battle_id)
    if battle is None:
        raise Http404
    reveal = None
    if battle.status == battle.Status.REVEALED:
        vote = selectors.vote_for_battle(battle=battle)
        reveal = services.Reveal(
            battle_id=battle.id,
            vote=vote,
            model_a_id=battle.model_a_id,
            model_b_id=battle.model_b_id,
            model_a=selectors.ModelIdentity.of(battle.model_a),
            model_b=selectors.ModelIdentity.of(battle.model_b),
        ).as_dict()
    return render(
        request,
        "evals/arena.html",
        {
            "battle": selectors.battle_public_dict(battle),
            "reveal": reveal,
            "reason_tags": Vote.REASON_TAGS,
            "stats": selectors.voter_stats(user=request.user),
        },
    )


def _vote_input(request) -> tuple[object, object]:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApiError("invalid_json", "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError("invalid_json", "The body must be a JSON object.")
        return body.get("choice"), body.get("reasons")
    return request.POST.get("choice"), request.POST.getlist("reasons") or None


@login_required_json
@require_POST
def battle_vote(request, battle_id):
    try:
        choice, reasons = _vote_input(request)
        reveal = services.vote_cast(
            user=request.user,
            battle_id=battle_id,
            choice=choice,
            reasons=reasons,
            ip=client_ip(request),
        )
    except ApiError as exc:
        if _wants_json(request):
            return error_response(exc.code, exc.detail, exc.status_code)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )
    if _wants_json(request):
        return JsonResponse({"reveal": reveal.as_dict(), "next": "/arena/"})
    return redirect("battle-detail", battle_id=battle_id)


@login_required_json
@require_GET
def api_next_battle(request):
    try:
        battle = services.battle_serve(user=request.user)
    except ApiError as exc:
        return error_response(exc.code, exc.detail, exc.status_code)
    return JsonResponse(selectors.battle_public_dict(battle))
