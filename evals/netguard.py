"""Keeping provider-given URLs out of the service's own network (SSRF guard).

A provider registers an endpoint by its base URL, and the service then sends
requests there: without a check, ``http://127.0.0.1:6379/`` or the cloud's
metadata address would let a provider reach what only the service should. The
host name is resolved and every address it resolves to must be a public one;
the check runs again before each use (probe, generation job, live turn), so a
name that later resolves elsewhere is caught then.

A name can also change between that check and the connection (DNS rebinding:
a public address for the check, 127.0.0.1 a moment later). So requests to a
provider's endpoint go through ``GuardedAsyncTransport``: it resolves the name
itself, refuses it unless every address is public, and connects to the address
it checked, keeping the name for the Host header and for TLS (the public
``sni_hostname`` extension), so the certificate is still verified against it.
"""

import asyncio
import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

import httpx2
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
    checked_addresses(parts.hostname, port)


def checked_addresses(host: str, port: int) -> list:
    """The addresses ``host`` resolves to, all of them public, or ApiError
    (unresolvable_host, private_address). Resolution waits at most
    ``PROVIDER_DNS_TIMEOUT_S``."""
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
    return addresses


class AddressRefused(httpx2.ConnectError):
    """The endpoint's name resolved, at connection time, to an address the guard
    refuses (or to none); ``code`` is the guard's (private_address,
    unresolvable_host)."""

    def __init__(self, error: ApiError, request: httpx2.Request):
        super().__init__(str(error.detail), request=request)
        self.code = error.code


class GuardedAsyncTransport(httpx2.AsyncBaseTransport):
    """An httpx2 transport (openai's HTTP client) that connects only to
    addresses it has just checked.

    Each request's host is resolved and checked here (``checked_addresses``) and
    the connection goes to the first address checked: a name cannot point
    somewhere else between the check and the connect. Redirects come back
    through here and are checked the same way. With
    ``PROVIDER_ENDPOINTS_ALLOW_PRIVATE`` (local demos) it passes requests on as
    they are.
    """

    def __init__(self, **kwargs):
        self._inner = httpx2.AsyncHTTPTransport(**kwargs)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE:
            url = request.url
            port = url.port or (443 if url.scheme == "https" else 80)
            try:
                addresses = await asyncio.to_thread(checked_addresses, url.host, port)
            except ApiError as exc:
                raise AddressRefused(exc, request) from None
            # IPv4 first: a host with both is most often reachable over it.
            address = min(addresses, key=lambda a: a.version)
            # The Host header was set from the name when the request was built.
            request.url = url.copy_with(host=str(address))
            if url.scheme == "https":
                request.extensions = {**request.extensions, "sni_hostname": url.host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
