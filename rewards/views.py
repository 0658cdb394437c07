"""Rewards pages and JSON endpoints: parse, call one service or selector, render.

Every error is JSON ``{"code", "detail"}`` with a 4xx status; the chain being
down is a 503 that changed nothing.
"""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from datafi.accounts import throttle
from datafi.accounts.views import throttled_response
from datafi.api import ApiError, site_endpoint
from datafi.input import json_body
from datafi.market import selectors as market_selectors
from rewards import chain, selectors
from rewards.models import Epoch
from rewards.services import payouts, redemptions, wallets
from rewards.siwe import SiweError, checksum

CHAIN_DOWN = ApiError(
    "chain_unavailable",
    gettext_lazy(
        "The chain node is unreachable. Nothing was lost: what was accepted completes "
        "when it is back; try again shortly."
    ),
    503,
)


def api_view(*, auth: bool = True):
    """The site's endpoint layer (datafi.api.site_endpoint); the chain being
    unreachable is a 503 that changed nothing."""
    return site_endpoint(auth=auth, translate={chain.ChainUnavailable: CHAIN_DOWN})


def _body(request) -> dict:
    if request.content_type != "application/json":
        raise ApiError("unsupported_media_type", _("Send a JSON body."), 415)
    return json_body(request)  # parsed once, under the input rules (datafi.input)


def _domain(request) -> str:
    from django.conf import settings

    return settings.SIWE_DOMAIN or request.get_host()


# --- pages -----------------------------------------------------------------------


@login_required
@require_GET
def rewards_page(request):
    # Reads only: the payout worker's step sends chain transactions, so it runs
    # in the worker and in the POSTs that act (redeem, claim), never on a GET.
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
        request,
        "rewards/transparency.html",
        {
            "data": selectors.transparency(with_leaves=True),
            "prerelease": selectors.prerelease_disclosures(),
            # The data market's versions: read through its selectors (it owns them).
            "dataset_versions": market_selectors.versions_public(),
            "fee_percent": settings.MARKET_PLATFORM_FEE_PERCENT,
            "points_per_usd": settings.MARKET_POINTS_PER_USD,
        },
    )


# --- rewards API -----------------------------------------------------------------


@require_GET
@api_view()
def api_summary(request):
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
        raise ApiError("no_wallet", _("Link a wallet first."), 409)
    return JsonResponse(payouts.claim_call_for(address=wallet.address))


# --- wallets (SIWE) --------------------------------------------------------------


@require_POST
@api_view(auth=False)
def api_siwe_nonce(request):
    # Counted before anything else: each nonce is a row, and a malformed
    # request is still a request.
    try:
        throttle.throttle_consume(scope="wallet_nonce", key=throttle.address_key(request))
    except throttle.Throttled as exc:
        return throttled_response(request, exc)
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
        scheme=request.scheme,
    )
    return JsonResponse({"address": wallet.address, "linked_at": wallet.linked_at.isoformat()})


@require_POST
@api_view(auth=False)
def api_wallet_login(request):
    try:
        throttle.throttle_consume(scope="wallet_login", key=throttle.address_key(request))
    except throttle.Throttled as exc:
        return throttled_response(request, exc)
    body = _body(request)
    user = wallets.wallet_sign_in(
        message=body.get("message"),
        signature=body.get("signature"),
        domain=_domain(request),
        scheme=request.scheme,
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
def api_dataset_versions(request):
    """Every published dataset version: root, transaction, rows, sales, paid to contributors."""
    return JsonResponse(
        {
            "rule": {
                "platform_fee_percent": settings.MARKET_PLATFORM_FEE_PERCENT,
                "paid_in": "points",
                "points_per_usd": settings.MARKET_POINTS_PER_USD,
                "rounding": "largest remainder",
            },
            "versions": market_selectors.versions_public(),
        }
    )


@require_GET
@api_view(auth=False)
def api_epoch(request, number):
    epoch = Epoch.objects.select_related("chain_tx").filter(number=number).first()
    if epoch is None:
        raise ApiError("not_found", _("No such epoch."), 404)
    return JsonResponse(selectors.epoch_dict(epoch))


@require_GET
@api_view(auth=False)
def api_proof(request, address):
    try:
        address = checksum(address)
    except SiweError:
        raise ApiError("invalid_address", _("Not an Ethereum address.")) from None
    proof = payouts.proof_for(address)
    if proof is None:
        raise ApiError("not_found", _("No published payout for this wallet."), 404)
    return JsonResponse(proof)


@require_GET
@api_view(auth=False)
def api_commitments(request):
    return JsonResponse(selectors.prerelease_disclosures())


@require_GET
@api_view(auth=False)
def api_commitment(request, commitment_id):
    data = selectors.prerelease_commitment(commitment_id=commitment_id)
    if data is None:
        raise ApiError("not_found", "No such commitment.", 404)
    return JsonResponse(data)
