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

from alembic import op

from console.store.pg_trgm import trigram_ops

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


TEXT_COLUMNS = ("to_number", "from_number", "body", "sid")
SORT_INDEXES = {
    "ix_pg_deliveries_rank_id": "status_rank, id",
    "ix_pg_deliveries_error_id": "error_code NULLS FIRST, id",
    "ix_pg_deliveries_segments_id": "segments, id",
    "ix_pg_deliveries_to_id": 'to_number COLLATE "C", id',
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, columns in SORT_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON deliveries ({columns})")
    ops = trigram_ops(op.get_bind())
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
