"""Django's PostgreSQL backend, with whole integers and prepared statements that
outlive a migration.

Integers: Django binds a plain integer in an expression (``F("balance") +
amount``: an ``IntegerField`` by inference) as psycopg's ``Int4``. With
server-side binding (``DB_PREPARED_STATEMENTS``) psycopg sends it in binary,
and a value of 2**31 or more was cut to its low 32 bits without an error (a
ledger credit of 2**33 + 5 points added 5). Here an integer that does not fit
the type Django picked is bound as ``Int8`` (or, past 64 bits, as a plain
integer, which PostgreSQL then refuses as out of range): the server computes
with the whole number, and a column too narrow for it raises an error instead.

With ``DB_PREPARED_STATEMENTS`` (the default on PostgreSQL) each connection keeps
its hot statements prepared. A migration that changes the type of a column one
of them returns (a longer ``max_length``, an integer widened) makes PostgreSQL
refuse that statement with "cached plan must not change result type". psycopg
forgets its prepared statements on a rollback, so in a transaction that error
costs the one statement and the transaction; in autocommit mode nothing makes
it forget, and every later run of the statement on that connection would fail
until the worker restarts. Here such a statement, run outside a transaction,
drops the connection's prepared statements (``DEALLOCATE ALL``, which psycopg
follows by forgetting its own) and runs once more. Kept as a subclass of
Django's backend (its documented extension point) since neither Django nor
psycopg offers the retry; ``tests/test_prepared_statements.py`` alters a column
under a prepared statement.
"""

from django.db import NotSupportedError
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg.types.numeric import Int8

PLAN_CHANGED = "cached plan must not change result type"


def plan_changed(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL refusing a prepared statement whose result
    type a schema change altered (SQLSTATE 0A000 with that message)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == "0A000" and PLAN_CHANGED in str(cause)


class _Replan:
    def _replan_or_raise(self, exc: BaseException) -> None:
        db = self.db
        if not plan_changed(exc) or db.in_atomic_block or not db.get_autocommit():
            raise exc
        db.connection.execute("DEALLOCATE ALL")

    def execute(self, sql, params=None):
        try:
            return super().execute(sql, params)
        except NotSupportedError as exc:
            self._replan_or_raise(exc)
        return super().execute(sql, params)

    def executemany(self, sql, param_list):
        param_list = list(param_list)  # may be an iterator: kept for the second run
        try:
            return super().executemany(sql, param_list)
        except NotSupportedError as exc:
            self._replan_or_raise(exc)
        return super().executemany(sql, param_list)


class ReplanCursorWrapper(_Replan, CursorWrapper):
    pass


class ReplanCursorDebugWrapper(_Replan, CursorDebugWrapper):
    pass


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_integerfield_value(self, value, internal_type):
        adapted = super().adapt_integerfield_value(value, internal_type)
        if adapted is value:  # None or an expression
            return adapted
        low, high = self.integer_field_range(internal_type)  # Django's own table
        if low <= value <= high:
            return adapted
        return Int8(value) if -(2**63) <= value < 2**63 else int(value)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def make_cursor(self, cursor):
        return ReplanCursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor):
        return ReplanCursorDebugWrapper(cursor, self)
