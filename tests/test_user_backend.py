"""The authentication backend: Django's ModelBackend, with a plain read of the user.

The plain read must give what ModelBackend gives, field by field, for every case
ModelBackend handles; if a Django upgrade changes that read (a converter on a
user column, a new check), these tests fail or the backend falls back to it.
"""

import uuid

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datafi.accounts import backends
from datafi.accounts.backends import UserBackend
from datafi.accounts.models import User


def _fields(user):
    return {
        f.attname: (getattr(user, f.attname), type(getattr(user, f.attname)))
        for f in User._meta.concrete_fields
    }


def _same_as_django(user_id):
    ours, django = UserBackend().get_user(user_id), ModelBackend().get_user(user_id)
    if django is None:
        assert ours is None
        return None
    assert _fields(ours) == _fields(django)
    assert (ours._state.db, ours._state.adding) == (django._state.db, django._state.adding)
    assert ours.get_session_auth_hash() == django.get_session_auth_hash()
    return ours


def _check_every_case(alice):
    alice.last_login = alice.date_joined
    alice.interface_language = "id"
    alice.save()
    assert _same_as_django(alice.pk) == alice
    assert _same_as_django(str(alice.pk)) == alice  # as a session stores it
    assert _same_as_django(alice.pk + 1000) is None
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert _same_as_django(alice.pk) is None


def test_sqlite_reads_through_modelbackend(alice, settings):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite case")
    # SQLite's rows need converters (dates, booleans, the UUID): Django's read.
    assert backends._plain_select("default") is None
    _check_every_case(alice)


@pytest.mark.postgres
def test_postgres_plain_read_equals_modelbackend(alice):
    assert backends._plain_select("default") is not None
    assert isinstance(alice.public_id, uuid.UUID)
    with CaptureQueriesContext(connection) as queries:
        UserBackend().get_user(alice.pk)
    assert len(queries) == 1 and queries[0]["sql"].startswith('SELECT "id", "password"')
    _check_every_case(alice)


def test_a_converter_on_a_user_column_falls_back_to_the_orm(alice, monkeypatch):
    backends._plain_select.cache_clear()
    field = User._meta.get_field("email")
    monkeypatch.setattr(type(field), "get_db_converters", lambda self, conn: [lambda v, e, c: v])
    try:
        assert backends._plain_select("default") is None
        assert UserBackend().get_user(alice.pk) == alice
    finally:
        backends._plain_select.cache_clear()


def test_logins_use_it_and_older_sessions_stay_valid(client, alice):
    alice.set_password("correct horse battery")
    alice.save()
    assert client.login(username="alice", password="correct horse battery")
    assert client.session[BACKEND_SESSION_KEY] == "datafi.accounts.backends.UserBackend"
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code != 401
    # A session made before this backend names Django's own: still logged in.
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code != 401


def test_a_password_change_ends_other_sessions(client, alice):
    alice.set_password("correct horse battery")
    alice.save()
    assert client.login(username="alice", password="correct horse battery")
    alice.set_password("another one entirely")
    alice.save()
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code == 401
