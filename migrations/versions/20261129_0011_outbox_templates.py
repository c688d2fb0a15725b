"""outbox templates

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 21:50:00

A reminder sweep stores the HTML of each wording once; each queued mail keeps only its values.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('outbox_templates',
    sa.Column('org_id', sa.Uuid(), nullable=True),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_outbox_templates_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_templates'))
    )
    with op.batch_alter_table('outbox_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_templates_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_template_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('html_values', sa.JSON(), server_default=sa.text("'{}'"), nullable=False))
        batch_op.create_index(batch_op.f('ix_outbox_mail_html_template_id'), ['html_template_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_mail_html_template_id_outbox_templates'), 'outbox_templates', ['html_template_id'], ['id'], ondelete='CASCADE')




def downgrade() -> None:

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_mail_html_template_id_outbox_templates'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_mail_html_template_id'))
        batch_op.drop_column('html_values')
        batch_op.drop_column('html_template_id')

    with op.batch_alter_table('outbox_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_templates_org_id'))

    op.drop_table('outbox_templates')

