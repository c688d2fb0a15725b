"""invoicing

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 00:14:53.543572
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Server defaults fill the new NOT NULL columns of rows that exist already.
    op.create_table('outbox_attachments',
    sa.Column('mail_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mail_id'], ['outbox_mail.id'], name=op.f('fk_outbox_attachments_mail_id_outbox_mail'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_attachments'))
    )
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_attachments_mail_id'), ['mail_id'], unique=False)

    op.create_table('invoices',
    sa.Column('project_id', sa.Uuid(), nullable=True),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('draft', 'sent', 'partially_paid', 'paid', 'void', name='invoicestatus', native_enum=False, length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('subtotal_minor', sa.BigInteger(), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('tax_minor', sa.BigInteger(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('amount_paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('public_token_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_invoices_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_invoices_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_invoices_project_id_projects'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('org_id', 'number', name=op.f('uq_invoices_org_id_number')),
    sa.UniqueConstraint('public_token_hash', name=op.f('uq_invoices_public_token_hash'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_invoices_client_id_issue_date', ['client_id', 'issue_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_invoices_org_id_issue_date', ['org_id', 'issue_date'], unique=False)
        batch_op.create_index('ix_invoices_org_id_status_due_date', ['org_id', 'status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_project_id'), ['project_id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=6, scale=3), nullable=False),
    sa.Column('net_minor', sa.BigInteger(), nullable=False),
    sa.Column('tax_minor', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_invoice_lines_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_invoice_lines_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_lines_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_invoice_lines_invoice_id_position', ['invoice_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_lines_org_id'), ['org_id'], unique=False)

    op.create_table('invoice_views',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=400), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_invoice_views_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_invoice_views_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_views_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_invoice_views_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_views'))
    )
    with op.batch_alter_table('invoice_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_views_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_invoice_views_invoice_id_at', ['invoice_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_views_org_id'), ['org_id'], unique=False)

    op.create_table('payments',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_payments_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_payments_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['staff_users.id'], name=op.f('fk_payments_recorded_by_user_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_payments_invoice_id_paid_on', ['invoice_id', 'paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_payments_org_id_paid_on', ['org_id', 'paid_on'], unique=False)

    op.create_table('reminders_sent',
    sa.Column('invoice_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_reminders_sent_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_reminders_sent_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('invoice_id', 'step', name=op.f('uq_reminders_sent_invoice_id_step'))
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_content_type', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('invoice_prefix', sa.String(length=20), nullable=False, server_default='INV-'))
        batch_op.add_column(sa.Column('next_invoice_number', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('page_size', sa.String(length=6), nullable=False, server_default='A4'))
        batch_op.add_column(sa.Column('default_currency', sa.String(length=3), nullable=False, server_default='USD'))
        batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), nullable=False, server_default='30'))
        batch_op.add_column(sa.Column('reminder_schedule', sa.JSON(), nullable=False, server_default='[-3, 0, 7, 14, 30]'))
        batch_op.add_column(sa.Column('payment_instructions', sa.String(length=2000), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('payment_instructions')
        batch_op.drop_column('reminder_schedule')
        batch_op.drop_column('payment_terms_days')
        batch_op.drop_column('default_currency')
        batch_op.drop_column('page_size')
        batch_op.drop_column('next_invoice_number')
        batch_op.drop_column('invoice_prefix')
        batch_op.drop_column('logo_content_type')
        batch_op.drop_column('logo')
        batch_op.drop_column('address')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('billing')

    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_org_id'))

    op.drop_table('reminders_sent')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_org_id_paid_on')
        batch_op.drop_index(batch_op.f('ix_payments_org_id'))
        batch_op.drop_index('ix_payments_invoice_id_paid_on')
        batch_op.drop_index(batch_op.f('ix_payments_client_id'))

    op.drop_table('payments')
    with op.batch_alter_table('invoice_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_views_org_id'))
        batch_op.drop_index('ix_invoice_views_invoice_id_at')
        batch_op.drop_index(batch_op.f('ix_invoice_views_client_id'))

    op.drop_table('invoice_views')
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_lines_org_id'))
        batch_op.drop_index('ix_invoice_lines_invoice_id_position')
        batch_op.drop_index(batch_op.f('ix_invoice_lines_client_id'))

    op.drop_table('invoice_lines')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_project_id'))
        batch_op.drop_index('ix_invoices_org_id_status_due_date')
        batch_op.drop_index('ix_invoices_org_id_issue_date')
        batch_op.drop_index(batch_op.f('ix_invoices_org_id'))
        batch_op.drop_index('ix_invoices_client_id_issue_date')
        batch_op.drop_index(batch_op.f('ix_invoices_client_id'))

    op.drop_table('invoices')
    with op.batch_alter_table('outbox_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_attachments_mail_id'))

    op.drop_table('outbox_attachments')
