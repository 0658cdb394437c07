"""The provider pages: organisations, members, API keys and downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from datafi.accounts import services as account_services
from datafi.accounts.models import ApiKey, Membership, User
from datafi.api import ApiError
from evals.provider import exports


def _page(request, *, status=200, new_key=None, errors=None):
    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("organization")
        .order_by("organization__name")
    )
    orgs = []
    for m in memberships:
        org = m.organization
        orgs.append(
            {
                "org": org,
                "role": m.role,
                "is_owner": m.role == Membership.Role.OWNER,
                "keys": list(org.api_keys.all()),
                "members": list(org.memberships.select_related("user").order_by("user__username")),
                "models": list(org.models.order_by("name")),
            }
        )
    return render(
        request,
        "evals/provider.html",
        {
            "orgs": orgs,
            "new_key": new_key,
            "errors": errors or {},
            "scopes": ApiKey.Scope.choices,
            "formats": exports.FORMATS,
        },
        status=status,
    )


def _membership_or_404(user, slug: str, *, owner: bool = True) -> Membership:
    m = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=slug)
        .first()
    )
    if m is None or (owner and m.role != Membership.Role.OWNER):
        raise Http404("No such organisation of yours.")
    return m


@login_required
@require_GET
def provider_home(request):
    return _page(request)


@login_required
@require_POST
def organization_create(request):
    try:
        org = account_services.organization_create(
            name=request.POST.get("name", ""),
            website=request.POST.get("website", "").strip()[:200],
            owner=request.user,
        )
    except ApiError as exc:
        return _page(request, status=exc.status_code, errors={"organization": exc.detail})
    messages.success(request, f"{org.name} is set up; you are its owner.")
    return redirect("provider")


@login_required
@require_POST
def api_key_create(request, slug):
    m = _membership_or_404(request.user, slug)
    try:
        new = account_services.api_key_create(
            organization=m.organization,
            name=request.POST.get("name", ""),
            scopes=request.POST.getlist("scopes"),
            created_by=request.user,
        )
    except ApiError as exc:
        return _page(request, status=400, errors={f"key:{slug}": exc.detail})
    # Rendered, not redirected: the secret exists only in this response.
    response = _page(
        request, new_key={"org": m.organization, "key": new.key, "secret": new.plaintext}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_key_revoke(request, slug, prefix):
    m = _membership_or_404(request.user, slug)
    key = ApiKey.objects.filter(organization=m.organization, prefix=prefix).first()
    if key is None:
        raise Http404("No such key.")
    account_services.api_key_revoke(key=key)
    messages.success(request, f"Key {key.prefix} ({key.name}) is revoked.")
    return redirect("provider")


@login_required
@require_POST
def member_add(request, slug):
    m = _membership_or_404(request.user, slug)
    user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
    if user is None:
        return _page(request, status=400, errors={f"member:{slug}": "No user with that name."})
    try:
        account_services.membership_add(
            organization=m.organization, user=user, role=request.POST.get("role", "member")
        )
    except ApiError as exc:
        return _page(request, status=400, errors={f"member:{slug}": exc.detail})
    messages.success(request, f"{user.username} is now in {m.organization.name}.")
    return redirect("provider")
