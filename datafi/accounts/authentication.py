"""Who is calling the provider API, and what they may read and write.

Two ways in: an organisation's API key (``Authorization: Bearer dfk_...``) or a
logged-in session (members use the docs page and the download links; operators,
``is_staff`` users, read everything).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions, permissions, throttling

from datafi.accounts.models import ApiKey, Membership
from datafi.accounts.services import ApiKeyInvalid, api_key_authenticate

ALL_SCOPES = frozenset(ApiKey.Scope.values)


class ApiKeyUser:
    """``request.user`` for a request made with an API key: the key acts for its
    organisation, not for the person who created it (who may have left)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey):
        self.key = key
        self.username = f"key:{key.prefix}"

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Authorization header must be 'Bearer <key>'."), code="invalid_key"
            )
        try:
            plaintext = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                _("Malformed API key."), code="invalid_key"
            ) from None
        try:
            key = api_key_authenticate(plaintext=plaintext)
        except ApiKeyInvalid as exc:
            raise exceptions.AuthenticationFailed(exc.detail, code=exc.code) from None
        return ApiKeyUser(key), key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return f'{self.keyword} realm="api"'


@dataclass(frozen=True)
class Principal:
    """What the caller may see: ``organization_ids`` None means everything (operator)."""

    organization_ids: frozenset[int] | None
    scopes: frozenset[str]
    key: ApiKey | None = None
    memberships: tuple = field(default=())

    @property
    def is_operator(self) -> bool:
        return self.organization_ids is None

    def can_see_org(self, organization_id: int) -> bool:
        return self.organization_ids is None or organization_id in self.organization_ids


def principal_for(request) -> Principal:
    """The caller of an authenticated API request (cached on the request)."""
    cached = getattr(request, "_datafi_principal", None)
    if cached is not None:
        return cached
    if isinstance(request.auth, ApiKey):
        key = request.auth
        principal = Principal(
            organization_ids=frozenset({key.organization_id}),
            scopes=frozenset(key.scopes),
            key=key,
        )
    else:
        principal = principal_of_user(request.user)
    request._datafi_principal = principal
    return principal


def principal_of_user(user) -> Principal:
    """A logged-in person's principal (a session, not a key): every scope, over
    the organisations they have a seat in (every one for staff)."""
    if user.is_staff:
        return Principal(organization_ids=None, scopes=ALL_SCOPES)
    memberships = tuple(Membership.objects.filter(user=user).select_related("organization"))
    return Principal(
        organization_ids=frozenset(m.organization_id for m in memberships),
        scopes=ALL_SCOPES,
        memberships=memberships,
    )


class HasScope(permissions.BasePermission):
    """The scope the view names for this method (``required_scopes``) must be
    granted to the key.

    A session user who belongs to no organisation (and is not an operator) has
    nothing to read: 403 rather than an empty answer that looks like success.
    """

    message = gettext_lazy("This API key lacks the scope this operation needs.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        principal = principal_for(request)
        if principal.organization_ids is not None and not principal.organization_ids:
            self.message = _("You are not a member of any provider organisation.")
            self.code = "no_organization"
            return False
        scope = getattr(view, "required_scopes", {}).get(request.method)
        if scope is not None and scope not in principal.scopes:
            self.message = _("This API key lacks the %(scope)s scope.") % {"scope": repr(scope)}
            self.code = "missing_scope"
            return False
        return True


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Per-key request rate (per user for sessions); the rate comes from the
    settings at request time so that tests and operators can change it."""

    scope = "api_key"

    def get_rate(self):
        from django.conf import settings

        return settings.PROVIDER_API_THROTTLE_RATES.get(self.scope)

    def __init__(self):
        # SimpleRateThrottle reads the rate in __init__; keep that but from settings.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ExportRateThrottle(ApiKeyRateThrottle):
    """Exports are long reads: a separate, lower budget."""

    scope = "export"
