from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from datafi.api import ApiError, site_endpoint
from datafi.flows import fold
from datafi.input import json_body, wants_json
from evals import languages as voter_langs
from evals import sampler, selectors, services
from evals.models import Vote, VoterAppeal
from evals.quality.limits import client_ip

LOG_IN_TO_VOTE = gettext_lazy("Log in to vote.")


@login_required
@require_GET
def arena(request):
    stats = selectors.voter_stats(user=request.user)
    flag = selectors.voter_flag_status(user=request.user) if stats["flagged"] else None
    try:
        battle = services.battle_serve(user=request.user)
    except ApiError as exc:
        return render(
            request, "evals/arena_empty.html", {"detail": exc.detail, "flag": flag}, status=200
        )
    return render(
        request,
        "evals/arena.html",
        {
            "battle": selectors.battle_public_dict(battle),
            "reason_tags": Vote.REASON_TAGS,
            "stats": stats,
            "flag": flag,
        },
    )


@login_required
@require_GET
def battle_detail(request, battle_id):
    battle = selectors.battle_for_voter(user=request.user, battle_id=battle_id)
    if battle is None:
        raise Http404
    reveal = None
    stats = selectors.voter_stats(user=request.user)
    if battle.status == battle.Status.REVEALED:
        vote = selectors.vote_for_battle(battle=battle)
        reveal = services.Reveal(
            battle_id=battle.id,
            vote=vote,
            model_a_id=battle.model_a_id,
            model_b_id=battle.model_b_id,
            model_a=selectors.ModelIdentity.of(battle.model_a),
            model_b=selectors.ModelIdentity.of(battle.model_b),
            outcome=selectors.vote_outcome(vote=vote, battle=battle),
        ).as_dict()
    elif battle.status != battle.Status.SERVED:
        # Skipped (or closed unjudged): nothing of it is shown again.
        raise Http404
    return render(
        request,
        "evals/arena.html",
        {
            "battle": selectors.battle_public_dict(battle),
            "reveal": reveal,
            "reason_tags": Vote.REASON_TAGS,
            "stats": stats,
            "flag": selectors.voter_flag_status(user=request.user) if stats["flagged"] else None,
        },
    )


VOTE_FIELDS = ("choice", "reasons")
# What the arena page's no-JS form posts: the vote's fields and Django's CSRF
# token (arena.js sends JSON with the token in a header instead).
VOTE_FORM_FIELDS = frozenset(VOTE_FIELDS) | {"csrfmiddlewaretoken"}


def _refuse_unknown_vote_fields(keys, allowed) -> None:
    # A misspelt field ({"reason": [...]}) would otherwise be dropped without
    # a word and the vote recorded without it: refused before anything is.
    # A set difference on the keys: no query on the hottest endpoint.
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise ApiError(
            "unknown_fields",
            _("Unknown fields: %(unknown)s. A vote takes %(fields)s.")
            % {
                "unknown": ", ".join(map(repr, unknown)),
                "fields": ", ".join(VOTE_FIELDS),
            },
        )


def _vote_input(request) -> tuple[object, object]:
    if request.content_type == "application/json":
        body = json_body(request)  # parsed once, by the input middleware
        _refuse_unknown_vote_fields(body, frozenset(VOTE_FIELDS))
        return body.get("choice"), body.get("reasons")
    _refuse_unknown_vote_fields(request.POST, VOTE_FORM_FIELDS)
    return request.POST.get("choice"), request.POST.getlist("reasons") or None


@site_endpoint(login_detail=LOG_IN_TO_VOTE)
@require_POST
def battle_vote(request, battle_id):
    choice, reasons = _vote_input(request)
    reveal = fold.vote_cast(
        user=request.user,
        battle_id=battle_id,
        choice=choice,
        reasons=reasons,
        ip=client_ip(request),
    )
    if wants_json(request):
        return JsonResponse({"reveal": reveal.as_dict(), "next": "/arena/"})
    return redirect("battle-detail", battle_id=battle_id)


@site_endpoint(login_detail=LOG_IN_TO_VOTE)
@require_GET
def api_next_battle(request):
    battle = services.battle_serve(user=request.user)
    return JsonResponse(selectors.battle_public_dict(battle))


@site_endpoint(login_detail=LOG_IN_TO_VOTE)
@require_POST
def battle_skip(request, battle_id):
    """Skip the open battle and go to another (JSON: the next battle's public view)."""
    services.battle_skip(user=request.user, battle_id=battle_id)
    if wants_json(request):
        return JsonResponse({"skipped": str(battle_id), "next": "/arena/"})
    return redirect("arena")


@login_required
@require_GET
def my_votes(request):
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 0
    if page < 1:
        return render(
            request,
            "error.html",
            {"status": 400, "detail": _("page must be a whole number from 1.")},
            status=400,
        )
    flag = selectors.voter_flag_status(user=request.user)
    # With an appeal waiting (no other can be sent) the votes' words do not
    # send the voter to a form that is not there.
    waiting = (
        flag is not None and (flag["flagged"] or flag["discounted"]) and not flag["can_appeal"]
    )
    data = selectors.my_votes_page(
        user=request.user,
        page=page,
        review=selectors.REVIEW_WAITING if waiting else selectors.REVIEW_ABOVE,
    )
    data["flag"] = flag
    data["message_max"] = VoterAppeal.MESSAGE_MAX
    data["languages"] = [voter_langs.reader_name(c) for c in sampler.voter_languages(request.user)]
    return render(request, "evals/my_votes.html", data)


@site_endpoint
@require_POST
def appeal_create(request):
    services.appeal_create(user=request.user, message=request.POST.get("message", ""))
    return redirect("/votes/#appeal")


@login_required
@require_http_methods(["GET", "POST"])
def voter_languages(request):
    """The languages a voter reads: what the arena may ask them to judge."""
    error, status = "", 200
    chosen = sampler.voter_languages(request.user)
    if request.method == "POST":
        picked = request.POST.getlist("languages")
        try:
            services.voter_languages_set(user=request.user, languages=picked)
        except ApiError as exc:
            error, status, chosen = exc.detail, exc.status_code, picked
        else:
            return redirect("arena")
    return render(
        request,
        "evals/languages.html",
        {"choices": voter_langs.choices(), "chosen": chosen, "error": error},
        status=status,
    )
