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


# --- a migration under a prepared statement --------------------------------------------


def _admin():
    """A second connection to the test database, as `manage.py migrate` would be."""
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        dbname=s["NAME"],
        autocommit=True,
    )


@pytest.fixture
def probe_table():
    with _admin() as admin:
        admin.execute("DROP TABLE IF EXISTS prep_probe")
        admin.execute("CREATE TABLE prep_probe (id integer, name varchar(10))")
        admin.execute("INSERT INTO prep_probe VALUES (1, 'a')")
    yield
    with _admin() as admin:
        admin.execute("DROP TABLE IF EXISTS prep_probe")


PROBE = "SELECT id, name FROM prep_probe WHERE id = %s"


def _prepare_probe(cursor):
    for _ in range(connection.settings_dict["OPTIONS"]["prepare_threshold"] + 1):
        cursor.execute(PROBE, [1])
        assert cursor.fetchall() == [(1, "a")]
    assert _prepared(cursor, "SELECT id, name FROM prep_probe%") == 1


@pytest.mark.django_db(transaction=True)
def test_a_column_type_changed_under_a_prepared_statement_is_planned_afresh(probe_table):
    """A migration (another connection) widens a column a prepared statement
    returns: outside a transaction the statement runs again, prepared afresh,
    instead of failing on this connection until the worker restarts."""
    import psycopg

    with connection.cursor() as cursor:
        _prepare_probe(cursor)
        # The control: what PostgreSQL does to a plain psycopg connection.
        with _admin() as admin:
            plain = psycopg.connect(
                dbname=connection.settings_dict["NAME"],
                host=connection.settings_dict["HOST"] or None,
                user=connection.settings_dict["USER"] or None,
                autocommit=True,
                prepare_threshold=0,
            )
            plain.execute(PROBE, [1])
            admin.execute("ALTER TABLE prep_probe ALTER COLUMN name TYPE varchar(40)")
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                plain.execute(PROBE, [1])
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                plain.execute(PROBE, [1])  # and again: psycopg does not forget it
            plain.close()
        cursor.execute(PROBE, [1])
        assert cursor.fetchall() == [(1, "a")]
        _prepare_probe(cursor)  # prepared again, and used
        cursor.executemany("UPDATE prep_probe SET name = %s WHERE id = %s", [("b", 1)])


@pytest.mark.django_db(transaction=True)
def test_in_a_transaction_the_statement_fails_once_and_the_rollback_clears_it(probe_table):
    from django.db import NotSupportedError, transaction

    with connection.cursor() as cursor:
        _prepare_probe(cursor)
    with _admin() as admin:
        admin.execute("ALTER TABLE prep_probe ALTER COLUMN id TYPE bigint")
    # Inside a transaction it cannot be run again (the transaction is aborted):
    # the error reaches the caller, and the rollback makes psycopg forget.
    with pytest.raises(NotSupportedError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PROBE, [1])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(PROBE, [1])
        assert cursor.fetchall() == [(1, "a")]


@pytest.mark.django_db(transaction=True)
def test_other_errors_are_not_retried(probe_table):
    from django.db import ProgrammingError

    calls = []

    def count(execute, sql, params, many, context):
        calls.append(sql)
        return execute(sql, params, many, context)

    with (
        connection.execute_wrapper(count),
        pytest.raises(ProgrammingError),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT nothing FROM prep_probe")
    assert calls == ["SELECT nothing FROM prep_probe"]  # run once, not twice
