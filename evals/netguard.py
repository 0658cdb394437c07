"""Keeping provider-given URLs out of the service's own network (SSRF guard).

A provider registers an endpoint by its base URL, and the service then sends
requests there: without a check, ``http://127.0.0.1:6379/`` or the cloud's
metadata address would let a provider reach what only the service should. The
host name is resolved and every address it resolves to must be a public one;
the check runs again before each use (probe, generation job, live turn), so a
name that later resolves elsewhere is caught then.
"""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from datafi.api import ApiError

# Resolution runs in a small pool so that a slow resolver costs a bounded wait.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="netguard")

# Cloud metadata services that sit on ordinary-looking addresses too.
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def _refused(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address in _METADATA
        or not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def _resolve(host: str, port: int) -> list:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def base_url_check(url: str) -> None:
    """Refuse (400) a URL that is not http(s) or whose host resolves to an address
    inside the service's own network, unless ``PROVIDER_ENDPOINTS_ALLOW_PRIVATE``."""
    try:
        parts = urlsplit(url or "")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ApiError("invalid_base_url", _("base_url is not a valid URL.")) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ApiError("invalid_base_url", _("base_url must be an http:// or https:// URL."))
    if parts.username or parts.password:
        raise ApiError(
            "invalid_base_url", _("Put the API key in api_key, not in the URL (user:password@).")
        )
    if settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE:
        return
    host = parts.hostname
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        future = _resolver.submit(_resolve, host, port)
        try:
            addresses = future.result(timeout=settings.PROVIDER_DNS_TIMEOUT_S)
        except FutureTimeout:
            raise ApiError(
                "unresolvable_host",
                _("The host name %(host)s could not be resolved in time.") % {"host": host},
            ) from None
        except (OSError, UnicodeError):
            raise ApiError(
                "unresolvable_host",
                _("The host name %(host)s does not resolve to any address.") % {"host": host},
            ) from None
    if not addresses or any(_refused(a) for a in addresses):
        raise ApiError(
            "private_address",
            _(
                "base_url points into a private, loopback, link-local or metadata network "
                "(%(host)s); the endpoint must be reachable on the public internet."
            )
            % {"host": host},
        )
