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

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TEXT_COLUMNS = ("to_number", "from_number", "body", "sid")
SEPARATOR = "E'\\x1f'"  # U+001F (unit separator); keep in step with queries.SEARCH_SEPARATOR
TABLE = "delivery_search"
FUNCTION = "delivery_search_sync"
INDEX = "ix_pg_delivery_search_trgm"
TRIGGERS = ("delivery_search_ai", "delivery_search_au")


def _joined(prefix: str) -> str:
    return f"concat_ws({SEPARATOR}, " + ", ".join(f"{prefix}{c}" for c in TEXT_COLUMNS) + ")"


def _trigram_ops() -> str | None:
    """``gin_trgm_ops`` qualified by pg_trgm's schema, creating the extension if need be;
    None where it cannot be created (the transaction stays usable)."""
    bind = op.get_bind()
    savepoint = bind.begin_nested()
    try:
        bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        savepoint.rollback()
        log.warning("pg_trgm is not available (%s): the text filter will scan", exc.orig)
        return None
    savepoint.commit()
    schema = bind.exec_driver_sql(
        "SELECT quote_ident(n.nspname) FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    return f"{schema}.gin_trgm_ops"


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
    ops = _trigram_ops()
    if ops is not None:
        op.execute(f"CREATE INDEX {INDEX} ON {TABLE} USING gin (text {ops})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON deliveries")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
    ops = _trigram_ops()
    if ops is not None:  # 0004's indexes
        for column in TEXT_COLUMNS:
            op.execute(
                f"CREATE INDEX ix_pg_deliveries_{column}_trgm ON deliveries "
                f"USING gin ({column} {ops})"
            )
