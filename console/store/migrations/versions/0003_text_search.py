"""a trigram full-text index for the deliveries' free-text filter (SQLite)

Searching a number, a SID or words of a body with LIKE '%…%' scans every row (about 0.7 s for
1,000,000 deliveries). On SQLite an FTS5 table with the trigram tokenizer indexes every
three-character run of to/from/body/sid, so the same substring search reads the index instead.
It is an external-content table kept in step by triggers (status updates do not touch it).
Other databases keep the plain LIKE scan (PostgreSQL would use pg_trgm).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COLUMNS = "to_number, from_number, body, sid"
NEW = "new.to_number, new.from_number, new.body, new.sid"
OLD = "old.to_number, old.from_number, old.body, old.sid"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE deliveries_fts USING fts5({COLUMNS}, "
        "content='deliveries', content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER deliveries_fts_ai AFTER INSERT ON deliveries BEGIN "
        f"INSERT INTO deliveries_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END"
    )
    op.execute(
        "CREATE TRIGGER deliveries_fts_ad AFTER DELETE ON deliveries BEGIN "
        f"INSERT INTO deliveries_fts(deliveries_fts, rowid, {COLUMNS}) "
        f"VALUES ('delete', old.id, {OLD}); END"
    )
    op.execute(
        f"CREATE TRIGGER deliveries_fts_au AFTER UPDATE OF {COLUMNS} ON deliveries BEGIN "
        f"INSERT INTO deliveries_fts(deliveries_fts, rowid, {COLUMNS}) "
        f"VALUES ('delete', old.id, {OLD}); "
        f"INSERT INTO deliveries_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END"
    )
    op.execute("INSERT INTO deliveries_fts(deliveries_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("deliveries_fts_ai", "deliveries_fts_ad", "deliveries_fts_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS deliveries_fts")
