"""The authentication backends: log-in throttling first, then Django's own."""

from functools import cache

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from datafi.accounts.models import User


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check; it never logs anyone in.

    An authenticate() call without a request (Django's test client, a shell)
    has no address to throttle by, so it is passed on rather than refused.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


@cache
def _plain_select(alias: str) -> str | None:
    """The SELECT of one user row by primary key, for a database whose rows need
    no value converter (Django's own list, asked of the connection), else None."""
    conn = connections[alias]
    table = User._meta.db_table
    for field in User._meta.concrete_fields:
        if field.get_db_converters(conn) or conn.ops.get_db_converters(field.get_col(table)):
            return None
    columns = ", ".join(conn.ops.quote_name(f.column) for f in User._meta.concrete_fields)
    pk = conn.ops.quote_name(User._meta.pk.column)
    return f"SELECT {columns} FROM {conn.ops.quote_name(table)} WHERE {pk} = %s"  # noqa: S608


class UserBackend(ModelBackend):
    """Django's ModelBackend, with the logged-in user read by one plain SELECT.

    Kept for speed, measured side by side: every authenticated request reads its
    user by primary key, and the ORM compiles that query afresh each time
    (187 µs of CPU here, against 41 µs for the same row read with a cursor and
    built with ``Model.from_db``; 0.6 ms of the 3.4 ms a voter round costs a
    web worker). Used where Django applies no converter to any of the user's
    columns (PostgreSQL); elsewhere, or if a Django upgrade adds a converter,
    it is ModelBackend's read. tests/test_user_backend.py checks that both
    give the same user, field by field and type by type, and the same refusals.

    Logins name this backend in their sessions, so the name stays.
    """

    def get_user(self, user_id):
        alias = router.db_for_read(User)
        sql = _plain_select(alias)
        if sql is None:
            return super().get_user(user_id)
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(alias, [f.attname for f in User._meta.concrete_fields], row)
        return user if self.user_can_authenticate(user) else None
