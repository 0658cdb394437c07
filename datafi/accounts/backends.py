"""The authentication backends: log-in throttling first, then Django's own."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check; it never logs anyone in.

    An authenticate() call without a request (Django's test client, a shell)
    has no address to throttle by, so it is passed on rather than refused.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class UserBackend(ModelBackend):
    """Django's ModelBackend, unchanged.

    Logins name this backend in their sessions, so the name stays and sessions
    made while it read the user with a raw select (a shortcut of the old
    single-thread ASGI handler, removed with it) remain valid.
    """
