"""django-csp's middleware, with the policy's text built once per process.

django-csp 4.0 rebuilds the Content-Security-Policy text from the settings for
every response, twice (the policy and the report-only one): 6% of the
instructions a web worker spends on a voter round (serve + vote, counted with
callgrind side by side). The text only changes with the settings and the
response's nonce, so it is built once per setting with a placeholder where the
nonce goes. Responses this shortcut does not cover (a view's own ``@csp_*``
policy, an exemption, a header already set, excluded prefixes, DEBUG's error
pages) go through django-csp unchanged; tests/test_csp_middleware.py checks
that both write the same headers.
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# What a view's decorators (csp_update, csp_replace, csp_exempt, ...) leave on a response.
_PER_RESPONSE = tuple(
    f"_csp_{kind}{suffix}"
    for kind in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
# Stands in for the nonce in the cached text; no policy text contains it.
_NONCE = "\x00nonce\x00"


@cache
def _policy(report_only: bool, with_nonce: bool) -> str:
    return build_policy(nonce=_NONCE if with_nonce else None, report_only=report_only)


@cache
def _excluded_prefixes() -> bool:
    policies = (
        getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
        getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {},
    )
    return any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies)


@receiver(setting_changed)
def _forget(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policy.cache_clear()
        _excluded_prefixes.cache_clear()


class CSPMiddleware(LibraryCSPMiddleware):
    def process_response(self, request, response):
        if (
            settings.DEBUG
            or _excluded_prefixes()
            or HEADER in response
            or HEADER_REPORT_ONLY in response
            or any(hasattr(response, name) for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        nonce = getattr(request, "_csp_nonce", None)
        for header, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
            text = _policy(report_only, nonce is not None)
            if text:
                response[header] = text.replace(_NONCE, nonce) if nonce else text
        if nonce is None:
            # As django-csp does: a nonce asked for after the header is written is an error.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
