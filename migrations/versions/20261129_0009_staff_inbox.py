"""staff inbox: what clients sent, unread per staff user

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:00:00

Inbox items (new portal requests, feedback, contacts' comments and replies) are written by the services from now
on; nothing that happened before is back-filled, so every staff user starts with an empty inbox.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox_items',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('request', 'feedback', 'comment', 'reply', name='inboxkind', native_enum=False, length=16), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=True),
    sa.Column('comment_id', sa.Uuid(), nullable=True),
    sa.Column('update_id', sa.Uuid(), nullable=True),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_inbox_items_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_inbox_items_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_inbox_items_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_inbox_items_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_inbox_items_request_id_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_inbox_items_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items'))
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_items_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_items_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_items_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_inbox_items_org_id_created_at_id', ['org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_items_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_items_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_items_update_id'), ['update_id'], unique=False)

    op.create_table('inbox_reads',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['inbox_items.id'], name=op.f('fk_inbox_reads_item_id_inbox_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_inbox_reads_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_inbox_reads_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_reads')),
    sa.UniqueConstraint('user_id', 'item_id', name=op.f('uq_inbox_reads_user_id_item_id'))
    )
    with op.batch_alter_table('inbox_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_reads_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_reads_org_id'), ['org_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbox_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_reads_org_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_reads_item_id'))

    op.drop_table('inbox_reads')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_items_update_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_items_request_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_items_project_id'))
        batch_op.drop_index('ix_inbox_items_org_id_created_at_id')
        batch_op.drop_index(batch_op.f('ix_inbox_items_org_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_items_comment_id'))
        batch_op.drop_index(batch_op.f('ix_inbox_items_client_id'))

    op.drop_table('inbox_items')
