"""Rewards pages and JSON endpoints: parse, call one service or selector, render.

Every error is JSON ``{"code", "detail"}`` with a 4xx status; the chain being
down is a 503 that changed nothing.
"""

import json
from functools import wraps

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from datafi.api import ApiError, error_response
from rewards import chain, selectors
from rewards.models import Epoch
from rewards.services import payouts, redemptions, wallets
from rewards.siwe import SiweError, checksum


def api_view(*, auth: bool = True):
    """JSON in and out; ApiError -> 4xx; the chain being unreachable -> 503."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if auth and not request.user.is_authenticated:
                return error_response("not_authenticated", "Log in first.", 401)
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return error_response(exc.code, exc.detail, exc.status_code)
            except chain.ChainUnavailable:
                return error_response(
                    "chain_unavailable",
                    "The chain node is unreachable. Nothing was lost: what was accepted completes "
                    "when it is back; try again shortly.",
                    503,
                )

        return wrapper

    return decorate


def _body(request) -> dict:
    if request.content_type != "application/json":
        raise ApiError("unsupported_media_type", "Send a JSON body.", 415)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("invalid_json", "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("invalid_json", "The body must be a JSON object.")
    return body


def _domain(request) -> str:
    from django.conf import settings

    return settings.SIWE_DOMAIN or request.get_host()


# --- pages -----------------------------------------------------------------------


@login_required
@require_GET
def rewards_page(request):
    payouts.worker_tick_on_demand()
    return render(
        request,
        "rewards/rewards.html",
        {
            "summary": selectors.rewards_summary(user=request.user),
            "embedded": chain.is_embedded(),
        },
    )


@require_GET
def transparency_page(request):
    return render(
        request, "rewards/transparency.html", {"data": selectors.transparency(with_leaves=True)}
    )


# --- rewards API -----------------------------------------------------------------


@require_GET
@api_view()
def api_summary(request):
    payouts.worker_tick_on_demand()
    return JsonResponse(selectors.rewards_summary(user=request.user))


@require_POST
@api_view()
def api_redeem(request):
    body = _body(request)
    key = request.headers.get("Idempotency-Key") or body.get("idempotency_key")
    redemption, created = redemptions.redemption_request(
        user=request.user, points=body.get("points"), idempotency_key=key
    )
    payouts.worker_tick_on_demand()
    redemption.refresh_from_db()
    return JsonResponse(
        {"redemption": selectors.redemption_dict(redemption), "replayed": not created},
        status=201 if created else 200,
    )


@require_POST
@api_view()
def api_cancel(request, redemption_id):
    redemption = redemptions.redemption_cancel(user=request.user, redemption_id=redemption_id)
    return JsonResponse({"redemption": selectors.redemption_dict(redemption)})


@require_POST
@api_view()
def api_claim(request):
    """Gasless claim: the service submits the claim transaction for the user's wallet."""
    payouts.worker_tick_on_demand()
    claim = payouts.claim_request(user=request.user)
    payouts.worker_tick_on_demand()
    claim.refresh_from_db()
    tx = claim.chain_tx
    return JsonResponse(
        {
            "address": claim.address,
            "cumulative_points": claim.cumulative_points,
            "tx": {"hash": tx.tx_hash, "status": tx.status} if tx else None,
        },
        status=202,
    )


@require_GET
@api_view()
def api_claim_call(request):
    """The claim transaction for the user to send from their own wallet (to, data)."""
    wallet = request.user.wallet if hasattr(request.user, "wallet") else None
    if wallet is None:
        raise ApiError("no_wallet", "Link a wallet first.", 409)
    proof = payouts.proof_for(wallet.address)
    if proof is None:
        raise ApiError("nothing_to_claim", "No published payout for your wallet yet.", 409)
    to, data = chain.claim_call(
        account=wallet.address,
        cumulative_points=proof["cumulative_points"],
        proof=proof["proof"],
    )
    return JsonResponse({"to": to, "data": data, "chain_id": chain.chain_id(), **proof})


# --- wallets (SIWE) --------------------------------------------------------------


@require_POST
@api_view(auth=False)
def api_siwe_nonce(request):
    body = _body(request)
    challenge = wallets.siwe_challenge(
        address=body.get("address"), domain=_domain(request), scheme=request.scheme
    )
    return JsonResponse(challenge, status=201)


@require_POST
@api_view()
def api_wallet_link(request):
    body = _body(request)
    wallet = wallets.wallet_link(
        user=request.user,
        message=body.get("message"),
        signature=body.get("signature"),
        domain=_domain(request),
    )
    return JsonResponse({"address": wallet.address, "linked_at": wallet.linked_at.isoformat()})


@require_POST
@api_view(auth=False)
def api_wallet_login(request):
    body = _body(request)
    user = wallets.wallet_sign_in(
        message=body.get("message"), signature=body.get("signature"), domain=_domain(request)
    )
    login(request, user, backend="datafi.accounts.backends.UserBackend")
    return JsonResponse({"username": user.username, "address": user.wallet.address})


# --- transparency (public) -------------------------------------------------------


@require_GET
@api_view(auth=False)
def api_epochs(request):
    return JsonResponse(selectors.transparency(with_leaves=True))


@require_GET
@api_view(auth=False)
def api_epoch(request, number):
    epoch = Epoch.objects.select_related("chain_tx").filter(number=number).first()
    if epoch is None:
        raise ApiError("not_found", "No such epoch.", 404)
    return JsonResponse(selectors.epoch_dict(epoch))


@require_GET
@api_view(auth=False)
def api_proof(request, address):
    try:
        address = checksum(address)
    except SiweError:
        raise ApiError("invalid_address", "Not an Ethereum address.") from None
    proof = payouts.proof_for(address)
    if proof is None:
        raise ApiError("not_found", "No published payout for this wallet.", 404)
    return JsonResponse(proof)
