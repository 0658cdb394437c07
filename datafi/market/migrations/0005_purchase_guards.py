"""The database refuses to rewrite a sale, for any code path (a shell, raw SQL).

- ``market_purchase``: an order's terms (version, organisation, method, amount,
  currency, order id, buyer, market, token, deadline, quote, reference, who and
  when) never change; a paid purchase never changes at all (it is booked in the
  ledger and split among contributors); nothing goes back to awaiting.
  PostgreSQL also refuses to delete a paid purchase.
- ``market_sale_share``: a contributor's share is never updated (PostgreSQL:
  never deleted either).

SQLite gets the UPDATE guards only: the test database's flush deletes rows.
"""

from django.db import migrations

TERMS = (
    "version_id",
    "organization_id",
    "method",
    "amount",
    "decimals",
    "currency",
    "order_id",
    "buyer_address",
    "market_address",
    "token_address",
    "deadline",
    "quote",
    "reference",
    "created_by_id",
    "created_at",
)
PG_TERMS_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in TERMS)
SQLITE_TERMS_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in TERMS)

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION market_purchase_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'paid' THEN
            RAISE EXCEPTION 'purchase % is paid: it cannot be deleted', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF {PG_TERMS_CHANGED} THEN
        RAISE EXCEPTION 'purchase %: the terms of an order never change', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'paid' AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'purchase % is paid: it never changes', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status = 'awaiting' AND OLD.status <> 'awaiting' THEN
        RAISE EXCEPTION 'purchase % cannot go back to awaiting payment', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER market_purchase_kept
    BEFORE UPDATE OR DELETE ON market_purchase
    FOR EACH ROW EXECUTE FUNCTION market_purchase_guard();

CREATE OR REPLACE FUNCTION market_share_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sale shares are booked: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER market_share_kept
    BEFORE UPDATE OR DELETE ON market_sale_share
    FOR EACH ROW EXECUTE FUNCTION market_share_refuse_change();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS market_share_kept ON market_sale_share;
DROP FUNCTION IF EXISTS market_share_refuse_change();
DROP TRIGGER IF EXISTS market_purchase_kept ON market_purchase;
DROP FUNCTION IF EXISTS market_purchase_guard();
"""

SQLITE_FORWARD = [
    f"""CREATE TRIGGER market_purchase_kept BEFORE UPDATE ON market_purchase
    WHEN {SQLITE_TERMS_CHANGED}
        OR OLD.status = 'paid'
        OR (NEW.status = 'awaiting' AND OLD.status IS NOT 'awaiting')
    BEGIN SELECT RAISE(ABORT, 'purchase: a paid purchase and the terms of an order never change'); END""",
    """CREATE TRIGGER market_share_kept BEFORE UPDATE ON market_sale_share
    BEGIN SELECT RAISE(ABORT, 'sale shares are booked: UPDATE on market_sale_share refused'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS market_share_kept",
    "DROP TRIGGER IF EXISTS market_purchase_kept",
]


def _statements(by_vendor: dict):
    """A RunPython step that runs the statements written for this database, if any."""

    def run(apps, schema_editor):
        for statement in by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("market", "0004_consent_deletion")]

    operations = [
        migrations.RunPython(
            _statements({"postgresql": [PG_FORWARD], "sqlite": SQLITE_FORWARD}),
            _statements({"postgresql": [PG_BACKWARD], "sqlite": SQLITE_BACKWARD}),
        )
    ]
