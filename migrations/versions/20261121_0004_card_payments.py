"""card payments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 02:09:57.869153
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stripe_events',
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_stripe_events_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_stripe_events'))
    )
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_events_org_id'), ['org_id'], unique=False)

    op.create_table('checkout_attempts',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('creating', 'open', 'pending', 'paid', 'failed', 'expired', 'error', 'review', name='checkoutstatus', native_enum=False, length=16), nullable=False),
    sa.Column('stripe_session_id', sa.String(length=255), nullable=True),
    sa.Column('checkout_url', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_checkout_attempts_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_checkout_attempts_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_checkout_attempts_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_checkout_attempts_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_attempts')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_checkout_attempts_idempotency_key')),
    sa.UniqueConstraint('stripe_session_id', name=op.f('uq_checkout_attempts_stripe_session_id'))
    )
    with op.batch_alter_table('checkout_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_attempts_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_checkout_attempts_invoice_id_created_at', ['invoice_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkout_attempts_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_checkout_attempts_status_created_at', ['status', 'created_at'], unique=False)

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_checkout_session_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('stripe_payment_intent_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payments_stripe_checkout_session_id'), ['stripe_checkout_session_id'])



def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payments_stripe_checkout_session_id'), type_='unique')
        batch_op.drop_column('stripe_payment_intent_id')
        batch_op.drop_column('stripe_checkout_session_id')

    with op.batch_alter_table('checkout_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_checkout_attempts_status_created_at')
        batch_op.drop_index(batch_op.f('ix_checkout_attempts_org_id'))
        batch_op.drop_index('ix_checkout_attempts_invoice_id_created_at')
        batch_op.drop_index(batch_op.f('ix_checkout_attempts_client_id'))

    op.drop_table('checkout_attempts')
    with op.batch_alter_table('stripe_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_events_org_id'))

    op.drop_table('stripe_events')
