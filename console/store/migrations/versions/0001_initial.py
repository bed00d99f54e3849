"""initial ledger schema

Revision ID: 0001
Revises: 
Create Date: 2026-12-04 20:06:04.533629
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=True),
    sa.Column('to_number', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=64), nullable=True),
    sa.Column('messaging_service_sid', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('profile', sa.String(length=64), nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=True),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_rank', sa.Integer(), nullable=False),
    sa.Column('send_state', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('price', sa.String(length=32), nullable=True),
    sa.Column('price_unit', sa.String(length=8), nullable=True),
    sa.Column('batch_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('final_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sid')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_created', ['created_at'], unique=False)
        batch_op.create_index('ix_deliveries_send_state', ['send_state'], unique=False)
        batch_op.create_index('ix_deliveries_status', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_deliveries_to', ['to_number'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=64), nullable=False),
    sa.Column('to_number', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('account_sid', sa.String(length=64), nullable=True),
    sa.Column('messaging_service_sid', sa.String(length=64), nullable=True),
    sa.Column('num_media', sa.Integer(), nullable=False),
    sa.Column('media_urls', sa.Text(), nullable=False),
    sa.Column('opt_out_type', sa.String(length=16), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=16), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_sid')
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_from', ['from_number', 'received_at'], unique=False)

    op.create_table('opt_outs',
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('keyword', sa.String(length=32), nullable=False),
    sa.Column('message_sid', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_table('webhook_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('headers', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('remote', sa.String(length=128), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=16), nullable=True),
    sa.Column('diagnosis', sa.Text(), nullable=True),
    sa.Column('checked_url', sa.Text(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_received', ['received_at'], unique=False)

    op.create_table('delivery_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('message_sid', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=16), nullable=True),
    sa.Column('dedup_key', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedup_key')
    )
    with op.batch_alter_table('delivery_events', schema=None) as batch_op:
        batch_op.create_index('ix_events_delivery', ['delivery_id', 'id'], unique=False)
        batch_op.create_index('ix_events_sid', ['message_sid'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('delivery_events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_sid')
        batch_op.drop_index('ix_events_delivery')

    op.drop_table('delivery_events')
    with op.batch_alter_table('webhook_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_received')

    op.drop_table('webhook_requests')
    op.drop_table('opt_outs')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_from')

    op.drop_table('inbound_messages')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_to')
        batch_op.drop_index('ix_deliveries_status')
        batch_op.drop_index('ix_deliveries_send_state')
        batch_op.drop_index('ix_deliveries_created')

    op.drop_table('deliveries')
    
