"""PostgreSQL guards for the ledger: append-only entries and balanced transactions.

The service already refuses both; these make the database refuse them too, for
any code path (a shell, a raw SQL fix, another app). SQLite gets only the
model-level guards: its test flush deletes rows, which a trigger would block.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION rewards_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the rewards ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER rewards_entry_append_only
    BEFORE UPDATE OR DELETE ON rewards_entry
    FOR EACH ROW EXECUTE FUNCTION rewards_refuse_change();
CREATE TRIGGER rewards_transaction_append_only
    BEFORE UPDATE OR DELETE ON rewards_transaction
    FOR EACH ROW EXECUTE FUNCTION rewards_refuse_change();

-- Checked at COMMIT (deferred), when every entry of the transaction is in.
CREATE OR REPLACE FUNCTION rewards_check_balanced() RETURNS trigger AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
        FROM rewards_entry WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: entries sum to %',
            NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER rewards_entry_balanced
    AFTER INSERT ON rewards_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION rewards_check_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS rewards_entry_balanced ON rewards_entry;
DROP FUNCTION IF EXISTS rewards_check_balanced();
DROP TRIGGER IF EXISTS rewards_transaction_append_only ON rewards_transaction;
DROP TRIGGER IF EXISTS rewards_entry_append_only ON rewards_entry;
DROP FUNCTION IF EXISTS rewards_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("rewards", "0001_ledger")]

    operations = [migrations.RunPython(forward, backward)]
