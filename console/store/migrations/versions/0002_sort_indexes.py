"""indexes for sorting the deliveries table by status, error, segments and last update

The GUI sorts a table of up to millions of deliveries in SQL (ORDER BY <column> DESC, id DESC
LIMIT <page>). Without an index on the sort column SQLite scans and sorts the whole table
(about 1 s per page for 1,000,000 rows); with one it reads a page straight from the index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 20:30:00.000000
"""

from __future__ import annotations

from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_rank', ['status_rank'], unique=False)
        batch_op.create_index('ix_deliveries_updated', ['updated_at'], unique=False)
        batch_op.create_index('ix_deliveries_error', ['error_code'], unique=False)
        batch_op.create_index('ix_deliveries_segments', ['segments'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_segments')
        batch_op.drop_index('ix_deliveries_error')
        batch_op.drop_index('ix_deliveries_updated')
        batch_op.drop_index('ix_deliveries_rank')
