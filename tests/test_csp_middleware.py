"""Our CSP middleware writes exactly the headers django-csp's own would.

It only caches django-csp's policy text; if a django-csp upgrade changes what the
library writes for any of these responses, this fails.
"""

import pytest
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory, override_settings

from datafi.csp_middleware import CSPMiddleware


def _views():
    def plain(request):
        return JsonResponse({"ok": True})

    def page_with_nonce(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    @csp_update({"img-src": ["https://example.org"]})
    def updated(request):
        return HttpResponse("x")

    @csp_exempt()
    def exempt(request):
        return HttpResponse("x")

    def own_header(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    def not_found(request):
        return HttpResponse("gone", status=404)

    return [plain, page_with_nonce, updated, exempt, own_header, not_found]


def _headers(middleware_class, view, nonce_bytes):
    request = RequestFactory().get("/x")
    middleware = middleware_class(view)
    middleware.process_request(request)
    response = view(request)
    response = middleware.process_response(request, response)
    headers = {
        k: v.replace(request._csp_nonce, "NONCE") if getattr(request, "_csp_nonce", None) else v
        for k, v in response.headers.items()
        if k.startswith("Content-Security-Policy")
    }
    return headers, request


REPORT_ONLY = {
    "CONTENT_SECURITY_POLICY": None,
    "CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": ["'self'"]}},
}
BOTH = {
    "CONTENT_SECURITY_POLICY": {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", "'nonce'"]}
    },
    "CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": ["'none'"]}},
}


@pytest.mark.parametrize(
    "overrides",
    [{}, REPORT_ONLY, BOTH, {"DEBUG": True}],
    ids=["site", "report-only", "both", "debug"],
)
@pytest.mark.parametrize("view", _views(), ids=lambda v: v.__name__)
def test_same_headers_as_django_csp(view, overrides):
    with override_settings(**overrides):
        ours, request = _headers(CSPMiddleware, view, None)
        theirs, _ = _headers(LibraryCSPMiddleware, view, None)
    assert ours == theirs
    if view.__name__ in ("plain", "page_with_nonce") and not overrides.get("DEBUG"):
        assert ours  # the shortcut wrote something


def test_the_site_policy_carries_each_responses_own_nonce():
    seen = set()
    for _ in range(3):
        request = RequestFactory().get("/")
        middleware = CSPMiddleware(lambda r: HttpResponse(r.csp_nonce))
        middleware.process_request(request)
        response = middleware.process_response(request, middleware.get_response(request))
        nonce = response.content.decode()
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        seen.add(nonce)
    assert len(seen) == 3


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    middleware = CSPMiddleware(lambda r: JsonResponse({}))
    middleware.process_request(request)
    middleware.process_response(request, middleware.get_response(request))
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
