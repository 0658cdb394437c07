"""The provider pages: organisations, members, API keys, live models and downloads."""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from datafi.accounts import selectors as account_selectors
from datafi.accounts import services as account_services
from datafi.api import ApiError
from datafi.input import InputError, json_loads
from evals.provider import exports, live, selectors

# Where a new key's secret waits for the one page that shows it (post/redirect/get),
# sealed in two halves so that neither place holds it: the session row keeps it
# encrypted, a short-lived cookie on this browser keeps the one-time key. The page
# that shows it takes both out. (Fernet, as for model endpoint keys at rest.)
NEW_KEY_SESSION = "provider_new_key"
NEW_KEY_COOKIE = "provider_new_key"
NEW_KEY_SECONDS = 600


def _new_key_seal(request, response, *, key_id: int, secret: str) -> None:
    one_time = Fernet.generate_key()
    request.session[NEW_KEY_SESSION] = {
        "key": key_id,
        "sealed": Fernet(one_time).encrypt(secret.encode()).decode(),
    }
    response.set_cookie(
        NEW_KEY_COOKIE,
        one_time.decode(),
        max_age=NEW_KEY_SECONDS,
        path=reverse("provider"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _new_key_to_show(request):
    """The key made by the last POST and its secret, taken out of the session and
    opened with this browser's cookie; None if either is missing or stale."""
    waiting = request.session.pop(NEW_KEY_SESSION, None)
    one_time = request.COOKIES.get(NEW_KEY_COOKIE, "")
    if not isinstance(waiting, dict) or not one_time:
        return None
    try:
        secret = (
            Fernet(one_time.encode())
            .decrypt(str(waiting.get("sealed", "")).encode(), ttl=NEW_KEY_SECONDS)
            .decode()
        )
    except (InvalidToken, ValueError):
        return None
    # Only while its maker still has an owner's seat in that organisation.
    key = account_selectors.key_of_owner(user=request.user, key_id=waiting.get("key"))
    if key is None:
        return None
    return {"org": key.organization, "key": key, "secret": secret}


def _page(request, *, status=200, new_key=None, errors=None):
    memberships = account_selectors.memberships_of(user=request.user)
    owned = [m.organization_id for m in memberships if m.role == account_selectors.OWNER]
    invited = account_selectors.invitations_sent(organization_ids=owned)
    orgs = []
    for m in memberships:
        org = m.organization
        orgs.append(
            {
                "org": org,
                "role": m.role,
                "role_label": account_selectors.role_label(m.role),
                "is_owner": m.role == account_selectors.OWNER,
                "keys": account_selectors.keys_of(organization=org),
                "members": account_selectors.members_of(organization=org),
                "invited": invited.get(org.pk, []),
                "models": selectors.models_of_organization(organization=org),
                "live": selectors.live_models_of_organization(organization=org),
            }
        )
    return render(
        request,
        "evals/provider.html",
        {
            "orgs": orgs,
            "invitations": account_selectors.invitations_of(user=request.user),
            "new_key": new_key,
            "errors": errors or {},
            "scopes": account_selectors.API_KEY_SCOPES,
            "default_scopes": account_selectors.DEFAULT_KEY_SCOPES,
            "formats": exports.FORMATS,
            "roles": account_selectors.ROLES,
        },
        status=status,
    )


def _membership_or_404(user, slug: str, *, owner: bool = True):
    m = account_selectors.membership_of(user=user, slug=slug)
    if m is None or (owner and m.role != account_selectors.OWNER):
        raise Http404("No such organisation of yours.")
    return m


@login_required
@require_GET
def provider_home(request):
    new_key = _new_key_to_show(request)
    response = _page(request, new_key=new_key)
    if new_key is not None:
        response["Cache-Control"] = "no-store"  # the secret stays out of every cache
    if NEW_KEY_COOKIE in request.COOKIES:
        response.delete_cookie(NEW_KEY_COOKIE, path=reverse("provider"), samesite="Lax")
    return response


@login_required
@require_POST
def organization_create(request):
    try:
        org = account_services.organization_create(
            name=request.POST.get("name", ""),
            website=request.POST.get("website", ""),
            owner=request.user,
        )
    except ApiError as exc:
        return _page(request, status=exc.status_code, errors={"organization": exc.detail})
    messages.success(request, _("%(name)s is set up; you are its owner.") % {"name": org.name})
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
    # Post/redirect/get: a reload of the answer must not create a second key.
    # The secret waits, sealed, for the next page, which shows it once.
    response = redirect(reverse("provider") + "#new-key")
    _new_key_seal(request, response, key_id=new.key.pk, secret=new.plaintext)
    return response


@login_required
@require_POST
def api_key_revoke(request, slug, prefix):
    m = _membership_or_404(request.user, slug)
    key = account_selectors.key_in(organization=m.organization, prefix=prefix)
    if key is None:
        raise Http404("No such key.")
    account_services.api_key_revoke(key=key)
    messages.success(
        request,
        _("Key %(prefix)s (%(name)s) is revoked.") % {"prefix": key.prefix, "name": key.name},
    )
    return redirect("provider")


@login_required
@require_POST
def member_add(request, slug):
    m = _membership_or_404(request.user, slug)
    username = request.POST.get("username", "").strip()
    user = account_selectors.user_named(username)
    if user is None:
        return _page(request, status=400, errors={f"member:{slug}": _("No user with that name.")})
    role = request.POST.get("role", "member")
    try:
        invited = account_services.membership_invite(
            organization=m.organization, user=user, role=role, invited_by=request.user
        )
    except ApiError as exc:  # a bad role (400), or the only owner stepping down (409)
        return _page(request, status=exc.status_code, errors={f"member:{slug}": exc.detail})
    names = {"user": user.username, "organization": m.organization.name}
    if invited:
        text = _(
            "%(user)s is invited to %(organization)s: they join once they accept it on "
            "their provider page."
        )
    else:
        names["role"] = account_selectors.role_label(role)
        text = _("%(user)s is in %(organization)s as %(role)s.")
    messages.success(request, text % names)
    return redirect("provider")


@login_required
@require_POST
def invitation_withdraw(request, slug):
    m = _membership_or_404(request.user, slug)
    username = request.POST.get("username", "").strip()
    user = account_selectors.user_named(username, active_only=False)
    if user is None:
        return _page(request, status=404, errors={f"member:{slug}": _("No user with that name.")})
    try:
        account_services.invitation_withdraw(organization=m.organization, user=user)
    except ApiError as exc:
        return _page(request, status=exc.status_code, errors={f"member:{slug}": exc.detail})
    messages.success(
        request,
        _("The invitation of %(user)s to %(organization)s is withdrawn.")
        % {"user": user.username, "organization": m.organization.name},
    )
    return redirect("provider")


def _invitation_answer(request, slug, *, accept: bool):
    organization = account_selectors.organization_by_slug(slug)
    if organization is None:
        raise Http404("No such organisation.")
    try:
        if accept:
            account_services.invitation_accept(user=request.user, organization=organization)
        else:
            account_services.invitation_decline(user=request.user, organization=organization)
    except ApiError as exc:
        return _page(request, status=exc.status_code, errors={"invitations": exc.detail})
    names = {"organization": organization.name}
    if accept:
        messages.success(request, _("You are now in %(organization)s.") % names)
    else:
        messages.success(request, _("You declined the invitation to %(organization)s.") % names)
    return redirect("provider")


@login_required
@require_POST
def invitation_accept(request, slug):
    return _invitation_answer(request, slug, accept=True)


@login_required
@require_POST
def invitation_decline(request, slug):
    return _invitation_answer(request, slug, accept=False)


# --- live models (the same services as the API's, with the page's session) -------------


def _live_endpoint_or_404(user, slug: str, model_slug: str):
    m = _membership_or_404(user, slug, owner=False)
    model = m.organization.models.filter(slug=model_slug).first()
    endpoint = selectors.endpoint_of(model=model) if model is not None else None
    if endpoint is None:
        raise Http404("No such live model of yours.")
    return endpoint


def _form_number(request, name: str, default, kind):
    raw = request.POST.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ApiError("invalid", _("%(name)s must be a number.") % {"name": name}) from None


@login_required
@require_POST
def live_model_register(request, slug):
    m = _membership_or_404(request.user, slug, owner=False)
    try:
        raw_params = request.POST.get("default_params", "").strip()
        try:
            # The input layer's rules: a form field nested thousands deep was a
            # RecursionError (a 500) under plain json.loads.
            params = json_loads(raw_params) if raw_params else {}
        except InputError as exc:
            if exc.code == "invalid_json":
                raise ApiError(
                    "invalid_params", _("Default parameters must be a JSON object.")
                ) from None
            raise ApiError("invalid_params", exc.detail) from None
        model, probe = live.live_model_register(
            organization=m.organization,
            # model_name: the key form in the same card already has a "name" field.
            name=request.POST.get("model_name", ""),
            base_url=request.POST.get("base_url", "").strip(),
            provider_model_id=request.POST.get("model_id", "").strip(),
            api_key=request.POST.get("api_key", ""),
            default_params=params,
            timeout_s=_form_number(request, "timeout_s", 60.0, float),
            concurrency_limit=_form_number(request, "concurrency_limit", 4, int),
        )
    except ApiError as exc:
        return _page(request, status=exc.status_code, errors={f"live:{slug}": exc.detail})
    messages.success(
        request,
        _("%(name)s is registered and waits for an operator's approval.") % {"name": model.name},
    )
    return redirect("provider")


@login_required
@require_POST
def live_model_probe(request, slug, model_slug):
    endpoint = _live_endpoint_or_404(request.user, slug, model_slug)
    try:
        probe = live.endpoint_probe_requested(endpoint=endpoint)
    except ApiError as exc:  # past the organization's probe allowance
        messages.error(request, exc.detail)
        return redirect("provider")
    if probe.ok:
        messages.success(request, _("Probe of %(name)s: ok.") % {"name": endpoint.model.name})
    else:
        messages.error(
            request,
            _("Probe of %(name)s failed: %(error)s.")
            % {"name": endpoint.model.name, "error": probe.error},
        )
    return redirect("provider")


@login_required
@require_POST
def live_model_pause(request, slug, model_slug):
    endpoint = _live_endpoint_or_404(request.user, slug, model_slug)
    if request.POST.get("resume"):
        live.endpoint_resume(endpoint=endpoint)
        messages.success(request, _("%(name)s is resumed.") % {"name": endpoint.model.name})
    else:
        live.endpoint_pause(endpoint=endpoint)
        messages.success(
            request,
            _("%(name)s is paused: it is not picked for live battles.")
            % {"name": endpoint.model.name},
        )
    return redirect("provider")


@login_required
@require_POST
def live_model_key(request, slug, model_slug):
    endpoint = _live_endpoint_or_404(request.user, slug, model_slug)
    try:
        probe = live.endpoint_key_rotate(endpoint=endpoint, api_key=request.POST.get("api_key", ""))
    except ApiError as exc:  # an unusable key, or past the probe allowance: nothing changed
        messages.error(request, exc.detail)
        return redirect("provider")
    words = _("ok") if probe.ok else probe.error
    messages.success(
        request,
        _("The key of %(name)s is replaced; probe with the new key: %(result)s.")
        % {"name": endpoint.model.name, "result": words},
    )
    return redirect("provider")


@login_required
@require_POST
def live_model_generate(request, slug, model_slug):
    endpoint = _live_endpoint_or_404(request.user, slug, model_slug)
    try:
        job = live.generation_job_request(model=endpoint.model, by=request.user)
    except ApiError as exc:
        return _page(request, status=exc.status_code, errors={f"live:{slug}": exc.detail})
    messages.success(
        request,
        _("Generating %(name)s's answers to %(total)s prompts; progress below.")
        % {"name": endpoint.model.name, "total": job.total},
    )
    return redirect("provider")
