from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods
from django.views.i18n import JavaScriptCatalog, set_language

from datafi.accounts import services as account_services
from datafi.accounts import throttle
from datafi.accounts.forms import (
    AccountDeleteForm,
    PasswordChangeForm,
    SetPasswordForm,
    SignupForm,
)
from datafi.api import ApiError, refusal_response
from datafi.flows import deletion as deletion_flow
from datafi.flows import signup as signup_flow
from datafi.input import wants_json
from evals import languages as voter_languages


@cache_control(max_age=86400, public=True)
def javascript_catalog(request, lang: str):
    """The page scripts' translations (Django's JavaScript catalogue) for ``lang``.

    The language is in the URL, so that a browser's cached copy is never one of
    another language after the switcher changes it.
    """
    if lang not in dict(settings.LANGUAGES):
        raise Http404("No such language.")
    with translation.override(lang):
        return JavaScriptCatalog.as_view()(request)


def home(request):
    return render(request, "home.html")


def safe_next(request, fallback: str = "arena") -> str:
    """The request's ``next`` if it stays on this site, as Django's log-in view checks it."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def throttled_response(request, exc: throttle.Throttled):
    """429 with Retry-After: JSON for API clients, a page in plain words for people."""
    if wants_json(request):
        response = JsonResponse({"code": exc.code, "detail": exc.detail}, status=429)
    else:
        response = render(
            request, "registration/throttled.html", {"detail": exc.detail}, status=429
        )
    response["Retry-After"] = str(exc.retry_after)
    return response


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    if request.method == "POST":
        try:
            throttle.throttle_consume(scope="signup", key=throttle.address_key(request))
        except throttle.Throttled as exc:
            return throttled_response(request, exc)
    form = SignupForm(
        request.POST or None, accept_language=request.headers.get("Accept-Language", "")
    )
    if request.method == "POST" and form.is_valid():
        user = signup_flow.voter_signup(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            email=form.cleaned_data.get("email") or "",
            # None ticked (or a client that sends no field): the browser's languages.
            languages=form.cleaned_data.get("languages")
            or voter_languages.from_accept_language(request.headers.get("Accept-Language", "")),
            sell_data=form.cleaned_data.get("sell_data", False),
        )
        login(request, user, backend="datafi.accounts.backends.UserBackend")
        return redirect(safe_next(request))
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    """What deleting my account does, in plain words, then the confirmed deletion."""
    preview = deletion_flow.deletion_preview(user=request.user)
    form = AccountDeleteForm(request.POST or None, user=request.user, points_left=preview.available)
    refusal, status = preview.refusal, 200
    if request.method == "POST":
        status = 400
        try:
            # Every confirmation counts (the password is checked in the form).
            throttle.throttle_consume(scope="account_delete", key=f"user:{request.user.pk}")
        except throttle.Throttled as exc:
            return throttled_response(request, exc)
        if not refusal and form.is_valid():
            try:
                deletion_flow.account_delete(user_id=request.user.pk)
            except ApiError as exc:
                refusal, status = str(exc.detail), exc.status_code
            else:
                logout(request)
                return redirect("account-deleted")
        elif refusal:
            status = 409
    return render(
        request,
        "registration/account_delete.html",
        {"preview": preview, "form": form, "refusal": refusal},
        status=status,
    )


@require_http_methods(["GET"])
def account_deleted(request):
    """Said once the account is gone (the person is logged out by then)."""
    return render(request, "registration/account_deleted.html")


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, throttled per address and per e-mail address.

    Per e-mail too, so that nobody can fill a person's inbox with reset mails.
    """

    @property
    def extra_email_context(self):
        # The mail names the product (SITE_NAME), not the host the request came to,
        # which is what Django's form calls the site without django.contrib.sites.
        return {"site_name": settings.SITE_NAME}

    def post(self, request, *args, **kwargs):
        try:
            throttle.throttle_consume(scope="password_reset", key=throttle.address_key(request))
            throttle.throttle_consume(
                scope="password_reset_email",
                key=throttle.email_key(request.POST.get("email", "")),
            )
        except throttle.Throttled as exc:
            return throttled_response(request, exc)
        return super().post(request, *args, **kwargs)


class _RefusedIs400:
    # A refused form is a 400 (as on sign-up), not Django's 200: the page says why.
    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetConfirmView(_RefusedIs400, auth_views.PasswordResetConfirmView):
    """Django's reset confirmation, each error under the field it is about."""

    form_class = SetPasswordForm


class PasswordChangeView(_RefusedIs400, auth_views.PasswordChangeView):
    """Django's password change, each error under the field it is about, and
    throttled per account (the form checks the current password)."""

    form_class = PasswordChangeForm

    def post(self, request, *args, **kwargs):
        try:
            # Every post counts, as on the deletion form: a stolen session must
            # not be able to try passwords here without limit.
            throttle.throttle_consume(scope="password_change", key=f"user:{request.user.pk}")
        except throttle.Throttled as exc:
            return throttled_response(request, exc)
        return super().post(request, *args, **kwargs)


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lock-out response (AXES_LOCKOUT_CALLABLE): 429, Retry-After, plain words."""
    wait = int(throttle.login_cool_off(request).total_seconds())
    detail = _(
        "Log-in is paused after too many failed attempts for this account or from your "
        "network. Please try again in %(when)s. A failed try in the "
        "meantime starts the wait again. Forgot your password? You can reset it."
    ) % {"when": throttle.retry_in_words(wait)}
    return throttled_response(request, throttle.Throttled(detail, retry_after=wait))


def _error(request, status: int, code: str, detail: str):
    return refusal_response(request, ApiError(code, detail, status))


def error_400(request, exception=None):
    return _error(request, 400, "bad_request", _("The request could not be understood."))


def error_403(request, exception=None):
    return _error(request, 403, "forbidden", _("You are not allowed to do that."))


def error_404(request, exception=None):
    return _error(request, 404, "not_found", _("Nothing here."))


def error_500(request):
    return _error(request, 500, "server_error", _("Something went wrong on our side."))


def language_set(request):
    """The header's language switcher: Django's ``set_language`` (the cookie and
    the redirect back), and for a logged-in person the account remembers it."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated:
        account_services.interface_language_set(user=request.user, language=language)
    return response
