"""PostgreSQL: the text filter's trigram index moves from deliveries to a side table

0004 put pg_trgm GIN indexes on deliveries' to/from/body/sid. Every status callback updates
its delivery's status_rank and updated_at, both indexed, so no such UPDATE was HOT and each one
added entries to all four GIN indexes: callbacks/s fell from about 5,900 to 300-700.

As SQLite's FTS5 table (0003), the searchable text now lives in ``delivery_search``: one row
per delivery (its to/from/body/sid joined by U+001F, a character no number or SID holds),
written by a trigger AFTER INSERT and AFTER UPDATE OF those four columns only (and only when
one of them changed); deleting a delivery deletes its row (ON DELETE CASCADE). The GIN index
is on that table alone, so a status update never touches it.

pg_trgm's operator class is named with the extension's schema, which need not be on the
search_path. Where the extension cannot be created the filter scans the side table.

Nothing changes on other databases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from alembic import op

from console.store.pg_trgm import trigram_ops

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


TEXT_COLUMNS = ("to_number", "from_number", "body", "sid")
SEPARATOR = "E'\\x1f'"  # U+001F (unit separator); keep in step with queries.SEARCH_SEPARATOR
TABLE = "delivery_search"
FUNCTION = "delivery_search_sync"
INDEX = "ix_pg_delivery_search_trgm"
TRIGGERS = ("delivery_search_ai", "delivery_search_au")


def _joined(prefix: str) -> str:
    return f"concat_ws({SEPARATOR}, " + ", ".join(f"{prefix}{c}" for c in TEXT_COLUMNS) + ")"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in TEXT_COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_pg_deliveries_{column}_trgm")
    op.execute(
        f"CREATE TABLE {TABLE} (delivery_id BIGINT PRIMARY KEY "
        "REFERENCES deliveries (id) ON DELETE CASCADE, text TEXT NOT NULL)"
    )
    op.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {TABLE} (delivery_id, text) VALUES (NEW.id, {_joined('NEW.')}) "
        "ON CONFLICT (delivery_id) DO UPDATE SET text = EXCLUDED.text; "
        "RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON deliveries "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in TEXT_COLUMNS)
    op.execute(
        f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE OF {', '.join(TEXT_COLUMNS)} "
        f"ON deliveries FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {FUNCTION}()"
    )
    op.execute(f"INSERT INTO {TABLE} (delivery_id, text) SELECT id, {_joined('')} FROM deliveries")
    ops = trigram_ops(op.get_bind())
    if ops is not None:
        op.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING gin (text {ops})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON deliveries")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
    ops = trigram_ops(op.get_bind())
    if ops is not None:  # 0004's indexes
        for column in TEXT_COLUMNS:
            op.execute(
                f"CREATE INDEX ix_pg_deliveries_{column}_trgm ON deliveries "
                f"USING gin ({column} {ops})"
            )
