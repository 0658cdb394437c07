"""The database refuses to change a frozen version, for any code path (a shell, raw SQL).

- ``market_version_row`` and ``market_scrub_finding``: never updated (PostgreSQL:
  never deleted either).
- ``market_dataset_version``: what was frozen (product, number, row format, root,
  row count, metadata and its hash, scrub counts, dedup counts, freeze time) never
  changes; a published version never changes at all; a discarded one stays
  discarded. PostgreSQL also refuses to delete a version whose registration began.

SQLite gets the UPDATE guards only: the test database's flush deletes rows.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION market_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dataset versions are frozen: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER market_row_frozen
    BEFORE UPDATE OR DELETE ON market_version_row
    FOR EACH ROW EXECUTE FUNCTION market_refuse_change();
CREATE TRIGGER market_finding_frozen
    BEFORE UPDATE OR DELETE ON market_scrub_finding
    FOR EACH ROW EXECUTE FUNCTION market_refuse_change();

CREATE OR REPLACE FUNCTION market_version_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status IN ('registering', 'published') THEN
            RAISE EXCEPTION 'dataset version % is %: it cannot be deleted', OLD.id, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.product_id <> OLD.product_id OR NEW.number <> OLD.number
        OR NEW.row_format <> OLD.row_format OR NEW.root <> OLD.root
        OR NEW.row_count <> OLD.row_count OR NEW.metadata_hash <> OLD.metadata_hash
        OR NEW.metadata IS DISTINCT FROM OLD.metadata
        OR NEW.scrub_counts IS DISTINCT FROM OLD.scrub_counts
        OR NEW.dedup IS DISTINCT FROM OLD.dedup OR NEW.frozen_at <> OLD.frozen_at THEN
        RAISE EXCEPTION 'dataset version % is frozen: its rows, root and metadata never change',
            OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'published' AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'dataset version % is published: it never changes', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'discarded' AND NEW.status <> 'discarded' THEN
        RAISE EXCEPTION 'dataset version % was discarded', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER market_version_frozen
    BEFORE UPDATE OR DELETE ON market_dataset_version
    FOR EACH ROW EXECUTE FUNCTION market_version_guard();
"""

PG_BACKWARD = """
DROP TRIGGER IF EXISTS market_version_frozen ON market_dataset_version;
DROP FUNCTION IF EXISTS market_version_guard();
DROP TRIGGER IF EXISTS market_finding_frozen ON market_scrub_finding;
DROP TRIGGER IF EXISTS market_row_frozen ON market_version_row;
DROP FUNCTION IF EXISTS market_refuse_change();
"""

SQLITE_FORWARD = [
    """CREATE TRIGGER market_row_frozen BEFORE UPDATE ON market_version_row
    BEGIN SELECT RAISE(ABORT, 'dataset versions are frozen: UPDATE on market_version_row refused'); END""",
    """CREATE TRIGGER market_finding_frozen BEFORE UPDATE ON market_scrub_finding
    BEGIN SELECT RAISE(ABORT, 'dataset versions are frozen: UPDATE on market_scrub_finding refused'); END""",
    """CREATE TRIGGER market_version_frozen BEFORE UPDATE ON market_dataset_version
    WHEN NEW.product_id IS NOT OLD.product_id OR NEW.number IS NOT OLD.number
        OR NEW.row_format IS NOT OLD.row_format OR NEW.root IS NOT OLD.root
        OR NEW.row_count IS NOT OLD.row_count OR NEW.metadata_hash IS NOT OLD.metadata_hash
        OR NEW.metadata IS NOT OLD.metadata OR NEW.scrub_counts IS NOT OLD.scrub_counts
        OR NEW.dedup IS NOT OLD.dedup OR NEW.frozen_at IS NOT OLD.frozen_at
        OR OLD.status = 'published'
        OR (OLD.status = 'discarded' AND NEW.status IS NOT 'discarded')
    BEGIN SELECT RAISE(ABORT, 'dataset version is frozen: its rows, root and metadata never change'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS market_version_frozen",
    "DROP TRIGGER IF EXISTS market_finding_frozen",
    "DROP TRIGGER IF EXISTS market_row_frozen",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("market", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
