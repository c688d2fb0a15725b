"""lists and receivables at scale: index-only list pages, receivables rollups, audit actions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:07:53.200269

The invoice and audit lists read a page's ids from indexes that hold the list order and the id; the
receivables rollups and the audit actions are new tables, filled here from the rows that exist (the services
keep them from then on).
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_actions',
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_audit_actions_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_actions')),
    sa.UniqueConstraint('org_id', 'action', name=op.f('uq_audit_actions_org_id_action'))
    )
    with op.batch_alter_table('audit_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_actions_org_id'), ['org_id'], unique=False)

    op.create_table('receivable_due_dates',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_minor', sa.BigInteger(), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_receivable_due_dates_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivable_due_dates')),
    sa.UniqueConstraint('org_id', 'currency', 'due_date', name=op.f('uq_receivable_due_dates_org_id_currency_due_date'))
    )
    with op.batch_alter_table('receivable_due_dates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receivable_due_dates_org_id'), ['org_id'], unique=False)

    op.create_table('receivable_months',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('invoiced_minor', sa.BigInteger(), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('collected_minor', sa.BigInteger(), nullable=False),
    sa.Column('payments', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_receivable_months_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivable_months')),
    sa.UniqueConstraint('org_id', 'currency', 'month', name=op.f('uq_receivable_months_org_id_currency_month'))
    )
    with op.batch_alter_table('receivable_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receivable_months_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_org_id_action_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_org_id_at'))
        batch_op.create_index('ix_audit_events_org_id_action_at_id', ['org_id', 'action', 'at', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_org_id_at_id', ['org_id', 'at', 'id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_client_id_issue_date'))
        batch_op.drop_index(batch_op.f('ix_invoices_org_id_issue_date'))
        batch_op.create_index('ix_invoices_org_id_client_id_issue_date_number_id', ['org_id', 'client_id', 'issue_date', 'number', 'id'], unique=False)
        batch_op.create_index('ix_invoices_org_id_issue_date_number_id_status_due_date', ['org_id', 'issue_date', 'number', 'id', 'status', 'due_date'], unique=False)
        batch_op.create_index('ix_invoices_org_id_status_issue_date_number_id', ['org_id', 'status', 'issue_date', 'number', 'id'], unique=False)

    _fill_audit_actions()
    _fill_receivables()


def _fill_audit_actions() -> None:
    events = sa.table('audit_events', sa.column('org_id', sa.Uuid()), sa.column('action', sa.String()))
    actions = sa.table('audit_actions', sa.column('id', sa.Uuid()), sa.column('org_id', sa.Uuid()), sa.column('action', sa.String()))
    found = op.get_bind().execute(sa.select(events.c.org_id, events.c.action).distinct())
    rows = [{'id': uuid.uuid4(), 'org_id': org_id, 'action': action} for org_id, action in found]
    if rows:
        op.bulk_insert(actions, rows)


def _fill_receivables() -> None:
    """What services/billing/receivable_totals.py would have added up: grouped by day in SQL, by month here."""
    bind = op.get_bind()
    invoices = sa.table(
        'invoices',
        sa.column('org_id', sa.Uuid()),
        sa.column('currency', sa.String()),
        sa.column('status', sa.String()),
        sa.column('issue_date', sa.Date()),
        sa.column('due_date', sa.Date()),
        sa.column('total_minor', sa.BigInteger()),
        sa.column('amount_paid_minor', sa.BigInteger()),
    )
    payments = sa.table(
        'payments',
        sa.column('org_id', sa.Uuid()),
        sa.column('currency', sa.String()),
        sa.column('paid_on', sa.Date()),
        sa.column('amount_minor', sa.BigInteger()),
    )
    months: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # invoiced, invoices, collected, payments
    inv, pay = invoices.c, payments.c
    invoiced = bind.execute(
        sa.select(inv.org_id, inv.currency, inv.issue_date, sa.func.sum(inv.total_minor), sa.func.count())
        .where(inv.status.not_in(('draft', 'void')))
        .group_by(inv.org_id, inv.currency, inv.issue_date)
    )
    for org_id, currency, day, total, count in invoiced:
        row = months[(org_id, currency, day.replace(day=1))]
        row[0], row[1] = row[0] + int(total), row[1] + count
    collected = bind.execute(
        sa.select(pay.org_id, pay.currency, pay.paid_on, sa.func.sum(pay.amount_minor), sa.func.count())
        .group_by(pay.org_id, pay.currency, pay.paid_on)
    )
    for org_id, currency, day, total, count in collected:
        row = months[(org_id, currency, day.replace(day=1))]
        row[2], row[3] = row[2] + int(total), row[3] + count
    month_table = sa.table(
        'receivable_months',
        *(sa.column(name, sa.Uuid()) for name in ('id', 'org_id')),
        sa.column('currency', sa.String()),
        sa.column('month', sa.Date()),
        *(sa.column(name, sa.BigInteger()) for name in ('invoiced_minor', 'invoices', 'collected_minor', 'payments')),
    )
    month_rows = [
        {'id': uuid.uuid4(), 'org_id': org_id, 'currency': currency, 'month': month, 'invoiced_minor': sums[0],
         'invoices': sums[1], 'collected_minor': sums[2], 'payments': sums[3]}
        for (org_id, currency, month), sums in months.items()
    ]
    if month_rows:
        op.bulk_insert(month_table, month_rows)
    owed = bind.execute(
        sa.select(inv.org_id, inv.currency, inv.due_date, sa.func.sum(inv.total_minor - inv.amount_paid_minor), sa.func.count())
        .where(inv.status.in_(('sent', 'partially_paid')))
        .group_by(inv.org_id, inv.currency, inv.due_date)
    )
    due_table = sa.table(
        'receivable_due_dates',
        *(sa.column(name, sa.Uuid()) for name in ('id', 'org_id')),
        sa.column('currency', sa.String()),
        sa.column('due_date', sa.Date()),
        *(sa.column(name, sa.BigInteger()) for name in ('due_minor', 'invoices')),
    )
    due_rows = [
        {'id': uuid.uuid4(), 'org_id': org_id, 'currency': currency, 'due_date': day, 'due_minor': int(total), 'invoices': count}
        for org_id, currency, day, total, count in owed
    ]
    if due_rows:
        op.bulk_insert(due_table, due_rows)



def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_org_id_status_issue_date_number_id')
        batch_op.drop_index('ix_invoices_org_id_issue_date_number_id_status_due_date')
        batch_op.drop_index('ix_invoices_org_id_client_id_issue_date_number_id')
        batch_op.create_index(batch_op.f('ix_invoices_org_id_issue_date'), ['org_id', 'issue_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_client_id_issue_date'), ['client_id', 'issue_date'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_org_id_at_id')
        batch_op.drop_index('ix_audit_events_org_id_action_at_id')
        batch_op.create_index(batch_op.f('ix_audit_events_org_id_at'), ['org_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_org_id_action_at'), ['org_id', 'action', 'at'], unique=False)

    with op.batch_alter_table('receivable_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receivable_months_org_id'))

    op.drop_table('receivable_months')
    with op.batch_alter_table('receivable_due_dates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receivable_due_dates_org_id'))

    op.drop_table('receivable_due_dates')
    with op.batch_alter_table('audit_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_actions_org_id'))

    op.drop_table('audit_actions')
