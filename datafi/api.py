"""JSON error shape shared by every API: a stable ``code`` and a human ``detail``."""

import datetime
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from datafi.errors import ApiError  # defined there, imported from here everywhere
from datafi.input import InputError, json_loads, wants_json


def error_response(code: str, detail, status_code: int = 400) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status_code)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the API's error shape for JSON clients, Django's page for pages."""
    from django.views.csrf import csrf_failure as csrf_failure_page

    if wants_json(request):
        return error_response(
            "csrf_failed",
            # Translators: %(reason)s is Django's own (English) reason, e.g. "CSRF cookie not set."
            _(
                "CSRF verification failed: %(reason)s Send the csrftoken cookie's value "
                "in an X-CSRFToken header."
            )
            % {"reason": reason},
            403,
        )
    return csrf_failure_page(request, reason=reason)


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        response = Response({"code": exc.code, "detail": exc.detail}, status=exc.status_code)
        if exc.retry_after:  # a limit's wait
            response["Retry-After"] = str(exc.retry_after)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        code, detail = "invalid", exc.detail
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        detail = exc.detail
        if isinstance(detail, dict) and set(detail) == {"detail"}:
            detail = detail["detail"]
    else:
        code, detail = "error", str(exc)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        code = "throttled"
    if isinstance(exc, exceptions.PermissionDenied) and str(detail).startswith("CSRF Failed"):
        # DRF's session authentication checks CSRF itself: the same code as csrf_failure.
        code = "csrf_failed"
    response.data = {"code": code, "detail": detail}
    return response


class OwnContentType(DefaultContentNegotiation):
    """For a view that answers with its own content type (a CSV, an export file)
    whatever the client accepts; errors are JSON. Request bodies are matched to
    the view's parsers as everywhere else: a form body is a 415, never read as
    JSON (Django's CSRF check reads the form of a session's POST)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ErrorSerializer(serializers.Serializer):
    """The one error shape of every API, as documented in the schema."""

    class Meta:
        ref_name = "Error"

    code = serializers.CharField()
    detail = serializers.JSONField()


class StrictCursorPagination(CursorPagination):
    """Cursor pagination that refuses malformed input instead of guessing or failing.

    ``page_size``: one whole number from 1 to ``max_page_size``, else a 400 (DRF
    would silently fall back to the default).

    ``cursor``: any string is a schema-valid cursor, so one this API did not give
    out names no page: a 404 ``not_found`` (as every listing documents it), never
    a 500. That covers what DRF refuses itself (not base64, a bad offset) and a
    position that is no value of the ordering's first field: text or a
    timestamp for an id, a number past the column's range, a NUL, a date
    without a time zone. The position is checked here, before any query sees it.
    """

    page_size_query_param = "page_size"
    invalid_cursor_status = 404

    def get_page_size(self, request):
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        # isascii: "²".isdigit() is true, and int("²") a ValueError.
        valid = len(raw) == 1 and raw[0].isascii() and raw[0].isdigit()
        if not valid or not 1 <= int(raw[0]) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}}
            )
        return int(raw[0])

    def invalid_cursor(self) -> ApiError:
        return ApiError(
            "not_found",
            _("No such page: the cursor is not one we gave out."),
            self.invalid_cursor_status,
        )

    def paginate_queryset(self, queryset, request, view=None):
        self._cursor_queryset = queryset  # decode_cursor checks the position against it
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise self.invalid_cursor() from None
        queryset = getattr(self, "_cursor_queryset", None)
        if cursor is not None and cursor.position is not None and queryset is not None:
            attr = self.ordering[0].lstrip("-")
            if not position_fits(queryset, attr, cursor.position):
                raise self.invalid_cursor()
        return cursor


def _ordering_field(queryset, attr: str):
    """The model field (or annotation's output field) ``attr`` names, or None."""
    model = queryset.model
    field = None
    try:
        for part in attr.split(LOOKUP_SEP):
            if field is not None:
                model = field.related_model
                if model is None:
                    return None
            field = model._meta.get_field(part)
    except FieldDoesNotExist:
        annotation = queryset.query.annotations.get(attr)
        return getattr(annotation, "output_field", None) if annotation is not None else None
    if field is not None and field.is_relation:
        field = getattr(field, "target_field", None)
    return field


def position_fits(queryset, attr: str, position: str) -> bool:
    """Whether ``position`` (a cursor's, as text) is a value the ordering field can hold."""
    if "\x00" in position:  # no column takes NUL (PostgreSQL refuses it in any string)
        return False
    field = _ordering_field(queryset, attr)
    if field is None:
        return True
    try:
        value = field.to_python(position)
    except (DjangoValidationError, ValueError, TypeError, OverflowError):
        return False
    if value is None:
        return False
    if isinstance(field, models.IntegerField):
        try:
            low, high = connections[queryset.db].ops.integer_field_range(field.get_internal_type())
        except KeyError:
            low = high = None
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    if isinstance(value, datetime.datetime):
        # The positions we give out carry their offset; a naive one is not ours.
        if timezone.is_naive(value):
            return False
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:  # past year 1 or 9999 once in UTC
            return False
    return True


# --- websockets ------------------------------------------------------------------------


def scope_language(scope) -> str:
    """The interface language of the page that opened the socket, as LocaleMiddleware
    picks it for a request: the switcher's cookie, else the browser's Accept-Language."""
    request = HttpRequest()
    request.COOKIES = scope.get("cookies") or {}
    for name, value in scope.get("headers") or ():
        if name == b"accept-language":
            request.META["HTTP_ACCEPT_LANGUAGE"] = value.decode("latin-1")
    return translation.get_language_from_request(request)


def websocket_frame(text_data: str | None):
    """A websocket frame's JSON, under the input layer's rules (``datafi.input``):
    depth, NUL and lone surrogates, as for a request body. ``InputError`` for a
    binary, empty, malformed or too deeply nested frame, its detail in the active
    language: the consumer answers with an error frame instead of closing with 1011."""
    try:
        if not text_data:
            raise InputError("invalid_json", "")
        return json_loads(text_data)
    except InputError as exc:
        if exc.code == "invalid_json":
            raise InputError("invalid_json", _("Frames are JSON objects.")) from None
        raise


# --- the site's own endpoints ------------------------------------------------------------
# The provider API (/api/v1) is DRF. The endpoints the site's pages call (vote,
# skip, the next battle, live battles, rewards and wallets) and their form posts
# share this one layer: the same body parser and input rules (datafi.input, run
# by its middleware), the same error shape and the same log-in check.


def refusal_response(request, exc: ApiError):
    """An ApiError as the client reads it: the error shape for JSON clients, the
    error page (same status, same words) for a person's form post or page."""
    if wants_json(request):
        response = error_response(exc.code, exc.detail, exc.status_code)
    else:
        response = render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )
    if exc.retry_after:  # a limit's wait
        response["Retry-After"] = str(exc.retry_after)
    return response


def site_endpoint(view=None, *, auth: bool = True, login_detail: str | None = None, translate=None):
    """Decorate a view of the site's own endpoints.

    ``auth``: a visitor who is not logged in gets a 401 in the error shape if
    they read JSON (``login_detail``, a lazy translation, else "Log in first."),
    else Django's ``redirect_to_login``. An ``ApiError`` the
    view raises becomes ``refusal_response``; ``translate`` maps other exception
    types (a chain node being down) to the ApiError to answer with.
    """
    translate = dict(translate or {})

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if auth and not request.user.is_authenticated:
                if wants_json(request):
                    detail = str(login_detail) if login_detail else _("Log in first.")
                    return error_response("not_authenticated", detail, 401)
                return redirect_to_login(request.get_full_path())
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return refusal_response(request, exc)
            except tuple(translate) as exc:
                answer = next(v for k, v in translate.items() if isinstance(exc, k))
                return refusal_response(request, answer)

        return wrapper

    return decorate if view is None else decorate(view)


def staff_endpoint(view):
    """``site_endpoint`` for operators: a visitor logs in first, a logged-in
    non-operator gets Django's 403."""

    @wraps(view)
    def staff_only(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return site_endpoint(staff_only)
