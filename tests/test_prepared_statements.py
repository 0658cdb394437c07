"""On PostgreSQL the server binds parameters and keeps hot statements prepared."""

import pytest
from django.db import connection

from datafi.accounts.backends import UserBackend

pytestmark = pytest.mark.postgres


def _prepared(cursor, needle):
    cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [needle])
    return cursor.fetchone()[0]


def test_a_statement_run_twice_is_prepared(alice, settings):
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["server_side_binding"] is True
    threshold = options["prepare_threshold"]
    assert threshold == 2
    backend = UserBackend()
    for _ in range(threshold + 1):
        assert backend.get_user(alice.pk) == alice
    with connection.cursor() as cursor:
        # The user read of every request: prepared once, used by all that follow.
        assert _prepared(cursor, 'SELECT "id", "password"%FROM "accounts_user"%') == 1


def test_parameters_travel_apart_from_the_sql(alice):
    # Server-side binding: a value that looks like SQL is data, and the text the
    # server gets carries $1, not the value.
    from datafi.accounts.models import User

    assert not User.objects.filter(username="x' OR '1'='1").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text", ["it's"])
        assert cursor.fetchone()[0] == "it's"
        assert type(cursor.cursor).__name__ == "ServerBindingCursor"
