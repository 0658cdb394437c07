"""The one input layer: every request body, form and query string meets the same rules.

``InputMiddleware`` checks each request once, before any view: JSON bodies
(and JSON-lines uploads) must be UTF-8, nested at most ``INPUT_MAX_JSON_DEPTH``
deep, and free of NUL and lone surrogates; forms, query strings and the path
must be free of NUL and lone surrogates. A request that breaks a rule gets a
400 (413 when too large) in the project's error shape, or an error page for a
browser's form, and reaches no view. A JSON body that passes is parsed once and
kept on the request: ``json_body(request)`` for hand-written views and
``JSONParser`` for DRF read it from there.

Why depth matters: py_ecc (pulled in by web3) raises the interpreter's
recursion limit to 100,000, and ``json.loads`` of a body nested that deep
then overflows the C stack and kills the worker. The depth is counted on the
raw text, before any parser recurses (see also ``datafi.recursion``).
"""

import io
import json
import re
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from datafi.errors import ApiError

# The answer upload also takes JSON lines as text/plain; no endpoint takes other plain text.
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "text/plain")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# A JSON string, as the parser reads it (the escapes of RFC 8259, 7.).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
# Brackets to +1 / -1 (as signed bytes), everything else deleted.
_BRACKET_TABLE = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
# Backslash escapes, consumed left to right so that "\\u0000" is not an escape.
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.S)
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")

# Lazy: read in the request's language when the refusal is written (ApiError.detail).
_NO_NUL = gettext_lazy("Text may not contain NUL characters (\\u0000).")
_NO_SURROGATE = gettext_lazy(
    "Text may not contain unpaired UTF-16 surrogates (\\ud800 to \\udfff): "
    "send characters outside the Basic Multilingual Plane as UTF-8 or as a surrogate pair."
)


class InputError(ApiError, ValueError):
    """Input that breaks a rule of this layer (a ValueError too, for JSON decoders' callers)."""


def max_depth() -> int:
    return settings.INPUT_MAX_JSON_DEPTH


# --- rules on text -----------------------------------------------------------------


def _too_deep(raw: bytes, limit: int) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the common case: too few brackets to be too deep
    skeleton = _STRING.sub(b"", raw)
    if skeleton.count(b"[") + skeleton.count(b"{") <= limit:
        return False
    steps = memoryview(skeleton.translate(_BRACKET_TABLE, _NOT_BRACKETS)).cast("b")
    return max(accumulate(steps), default=0) > limit


def _too_deep_detail(limit: int) -> str:
    return ngettext(
        "JSON may be nested at most %(limit)d level deep.",
        "JSON may be nested at most %(limit)d levels deep.",
        limit,
    ) % {"limit": limit}


def _refuse_deep(raw: bytes) -> None:
    limit = max_depth()
    if _too_deep(raw, limit):
        raise InputError("too_deep", _too_deep_detail(limit))


def _refuse_bad_escapes(text: str) -> None:
    # NUL and surrogates can only reach a parsed value through \u escapes: the
    # text itself was decoded strictly from UTF-8 (no surrogates) and the parser
    # refuses raw control characters. A high surrogate must be followed at once
    # by a low one (the parser joins them into one character).
    if "\x00" in text:
        raise InputError("invalid_characters", _NO_NUL)
    if "\\" not in text:
        return
    high_end = None
    for match in _ESCAPE.finditer(text):
        digits = match.group(1)
        code = int(digits, 16) if digits else None
        if high_end is not None:
            if match.start() == high_end and code is not None and 0xDC00 <= code <= 0xDFFF:
                high_end = None
                continue
            raise InputError("invalid_characters", _NO_SURROGATE)
        if code is None:
            continue
        if code == 0:
            raise InputError("invalid_characters", _NO_NUL)
        if 0xD800 <= code <= 0xDBFF:
            high_end = match.end()
        elif 0xDC00 <= code <= 0xDFFF:
            raise InputError("invalid_characters", _NO_SURROGATE)
    if high_end is not None:
        raise InputError("invalid_characters", _NO_SURROGATE)


def text_check(value: str) -> str:
    """``value`` if it holds no NUL and no lone surrogate; a 400 otherwise."""
    bad = _BAD_CHARACTER.search(value)
    if bad is not None:
        raise InputError("invalid_characters", _NO_NUL if bad.group() == "\x00" else _NO_SURROGATE)
    return value


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("invalid_encoding", _("The body must be UTF-8 encoded.")) from None


def json_check(raw: bytes) -> str:
    """The body as text if it passes every rule (not yet parsed); an InputError otherwise."""
    text = _decode(raw)
    _refuse_deep(raw)
    _refuse_bad_escapes(text)
    return text


def json_lines_check(raw: bytes) -> None:
    """The same rules for JSON lines, each line on its own, split as the upload splits them."""
    text = _decode(raw)
    _refuse_bad_escapes(text)
    limit = max_depth()
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    for line in text.splitlines():
        if line.count("[") + line.count("{") > limit:
            _refuse_deep(line.encode("utf-8"))


def _no_constants(name: str):
    # Shown to the client inside DRF's "JSON parse error - ..." detail.
    raise ValueError(_("%(name)s is not JSON.") % {"name": name})


def json_parse(text: str):
    """Parse text that passed ``json_check``; ValueError if it is not JSON."""
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:  # cannot happen under the depth rule; never a crash or a 500
        raise InputError("too_deep", _too_deep_detail(max_depth())) from None


def json_loads(raw: bytes | str):
    """Check and parse JSON from any source (a body, a websocket frame)."""
    if isinstance(raw, str):
        raw = text_check(raw).encode("utf-8")
    text = json_check(raw)
    try:
        return json_parse(text)
    except InputError:
        raise
    except ValueError:
        raise InputError("invalid_json", _("The body is not valid JSON.")) from None


# --- requests --------------------------------------------------------------------


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def wants_json(request) -> bool:
    """Whether the client reads JSON errors (an API client) rather than pages."""
    content_type = request.content_type or ""
    return (
        request.path_info.startswith("/api/")
        or _is_json(content_type)
        or content_type in JSON_LINES_TYPES  # only API clients send these
        or "application/json" in request.headers.get("Accept", "")
    )


def _too_large_detail(limit: int) -> str:
    return ngettext(
        "The body is larger than %(limit)d byte.",
        "The body is larger than %(limit)d bytes.",
        limit,
    ) % {"limit": limit}


def _read_body(request, limit: int | None = None) -> bytes:
    if limit is None:
        try:
            return request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE
        except RequestDataTooBig:
            raise InputError(
                "too_large", _too_large_detail(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), 413
            ) from None
    body = request.read(limit + 1)
    if len(body) > limit:
        raise InputError("too_large", _too_large_detail(limit), 413)
    # Kept as Django keeps request.body, for the view (which reads _body).
    request._body = body
    request._stream = io.BytesIO(body)
    return body


def _check_form(request) -> None:
    # Read whole first (no endpoint takes file uploads), so that the body stays
    # readable for a view that wants it raw, whatever the form parser makes of it.
    _read_body(request)
    try:
        form = request.POST
    except TooManyFieldsSent:
        raise InputError("too_many_fields", _("The form has too many fields.")) from None
    except (MultiPartParserError, BadRequest, SuspiciousOperation):
        # Unreadable, so no rule to apply: the endpoint answers as it would
        # (Django leaves request.POST empty; DRF's API answers with a 415).
        return
    for key, values in form.lists():
        text_check(key)
        for value in values:
            text_check(value)
    for key, uploads in request.FILES.lists():
        text_check(key)
        for upload in uploads:
            text_check(upload.name or "")


def request_check(request) -> None:
    """Apply every rule to ``request``; keep a parsed JSON body on it."""
    if "\x00" in request.path_info:
        raise InputError("invalid_characters", _NO_NUL)
    query = request.META.get("QUERY_STRING", "")
    # Django decodes query strings and forms with errors="replace", so they
    # cannot hold a surrogate; NUL arrives as %00.
    if query and ("%00" in query or "\x00" in query):
        raise InputError("invalid_characters", _NO_NUL)
    # Headers are Latin-1 text (no surrogates); a server may still pass a NUL
    # through, e.g. in the Idempotency-Key a redemption stores.
    for name, value in request.META.items():
        if name.startswith("HTTP_") and "\x00" in value:
            raise InputError("invalid_characters", _NO_NUL)
    content_type = request.content_type or ""
    if _is_json(content_type):
        raw = _read_body(request)
        if raw:
            text = json_check(raw)
            try:
                request._json_body = json_parse(text)
            except InputError:
                raise
            except ValueError as exc:
                # Not a rule of this layer: the endpoint reports malformed JSON
                # after its own checks (authentication, method) as before.
                request._json_error = exc
    elif content_type in JSON_LINES_TYPES:
        json_lines_check(_read_body(request, settings.PROVIDER_UPLOAD_MAX_BYTES))
    elif content_type in FORM_TYPES and request.method not in ("GET", "HEAD", "OPTIONS"):
        _check_form(request)


def error_page(request, code: str, detail, status_code: int = 400):
    """An error as JSON for API clients, as a page for people."""
    if wants_json(request):
        return JsonResponse({"code": code, "detail": detail}, status=status_code)
    return render(
        request, "error.html", {"status": status_code, "detail": detail}, status=status_code
    )


class InputMiddleware:
    """Refuses a request whose input breaks a rule before anything else reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request_check(request)
        except InputError as exc:
            return error_page(request, exc.code, exc.detail, exc.status_code)
        return self.get_response(request)


def json_body(request) -> dict:
    """The request's JSON object body (``{}`` when empty), parsed once, under every rule."""
    if hasattr(request, "_json_body"):
        body = request._json_body
    elif hasattr(request, "_json_error"):
        raise InputError("invalid_json", _("The body is not valid JSON."))
    else:  # not sent as application/json, or the middleware did not run
        raw = _read_body(request)
        body = json_loads(raw) if raw else {}
    if not isinstance(body, dict):
        raise InputError("invalid_json", _("The body must be a JSON object."))
    return body


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser under this layer's rules, reusing the middleware's parse."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = getattr((parser_context or {}).get("request"), "_request", None)
        if request is not None and hasattr(request, "_json_body"):
            return request._json_body
        error = getattr(request, "_json_error", None)
        raw = b"" if error is not None or stream is None else stream.read()
        try:
            if error is not None:
                raise error
            return json_parse(json_check(raw))
        except InputError:
            raise
        except ValueError as exc:
            # DRF's own words (and so its catalogue's translation).
            raise ParseError(_("JSON parse error - %s") % exc) from None
