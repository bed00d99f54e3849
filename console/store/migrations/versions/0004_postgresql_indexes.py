"""indexes that let PostgreSQL serve the deliveries table's text filter and sort orders

PostgreSQL skips 0003's FTS5 index, so the free-text filter (ILIKE '%…%' over to, from, body
and SID) scanned every row: about 1.8 s per query for 1,000,000 deliveries. pg_trgm's GIN
indexes serve such patterns of three characters or more. The extension is trusted (PostgreSQL
13+: a database owner may create it); where it cannot be created the filter stays a scan.

Its btree indexes do not order equal values by id as SQLite's rowid does, so pages sorted by
status, error code, segments or recipient sorted a whole group of equal values; these indexes
hold the Reader's exact orders (NULL error codes first, recipients in byte order).

Nothing changes on other databases. (0005 replaces the trigram indexes: on deliveries they
made every status update write all four GIN indexes.)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TEXT_COLUMNS = ("to_number", "from_number", "body", "sid")
SORT_INDEXES = {
    "ix_pg_deliveries_rank_id": "status_rank, id",
    "ix_pg_deliveries_error_id": "error_code NULLS FIRST, id",
    "ix_pg_deliveries_segments_id": "segments, id",
    "ix_pg_deliveries_to_id": 'to_number COLLATE "C", id',
}


def _trigram_ops() -> str | None:
    """``gin_trgm_ops`` qualified by pg_trgm's schema (which need not be on the search_path),
    creating the extension if need be; None where it cannot be (the transaction stays usable).
    """
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
    for name, columns in SORT_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON deliveries ({columns})")
    ops = _trigram_ops()
    if ops is not None:  # dropped again by 0005, which moves them to a side table
        for column in TEXT_COLUMNS:
            op.execute(
                f"CREATE INDEX ix_pg_deliveries_{column}_trgm ON deliveries "
                f"USING gin ({column} {ops})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in TEXT_COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_pg_deliveries_{column}_trgm")
    for name in SORT_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
