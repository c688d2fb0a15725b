"""collaboration

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 02:28:06.717681
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mail queued before this revision gets no extra headers (server default '{}').
    op.create_table('milestones',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_milestones_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_milestones_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones'))
    )
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_milestones_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_milestones_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_milestones_project_id_due_date', ['project_id', 'due_date'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('project_updates', sa.Boolean(), nullable=False),
    sa.Column('request_replies', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_notification_preferences_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_notification_preferences_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_notification_preferences_org_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_notification_preferences_contact_id'))
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_preferences_org_id'), ['org_id'], unique=False)

    op.create_table('notifications_sent',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_notifications_sent_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_notifications_sent_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_notifications_sent_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_notifications_sent_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications_sent')),
    sa.UniqueConstraint('contact_id', 'project_id', name=op.f('uq_notifications_sent_contact_id_project_id'))
    )
    with op.batch_alter_table('notifications_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_sent_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_sent_org_id'), ['org_id'], unique=False)

    op.create_table('pending_notifications',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('line', sa.String(length=600), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_pending_notifications_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_pending_notifications_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_pending_notifications_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pending_notifications_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_notifications'))
    )
    with op.batch_alter_table('pending_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_notifications_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_pending_notifications_contact_id_project_id', ['contact_id', 'project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_notifications_org_id'), ['org_id'], unique=False)

    op.create_table('requests',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('backlog', 'in_progress', 'done', name='requeststatus', native_enum=False, length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('assignee_user_id', sa.Uuid(), nullable=True),
    sa.Column('requester_contact_id', sa.Uuid(), nullable=True),
    sa.Column('requester_user_id', sa.Uuid(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['staff_users.id'], name=op.f('fk_requests_assignee_user_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_requests_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_requests_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_requests_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_contact_id'], ['contacts.id'], name=op.f('fk_requests_requester_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_user_id'], ['staff_users.id'], name=op.f('fk_requests_requester_user_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index('ix_requests_assignee_user_id_status', ['assignee_user_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_requests_client_id_status', ['client_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_requests_project_id_status_position', ['project_id', 'status', 'position'], unique=False)

    op.create_table('updates',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'internal', name='visibility', native_enum=False, length=16), nullable=False),
    sa.Column('author_user_id', sa.Uuid(), nullable=True),
    sa.Column('author_contact_id', sa.Uuid(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_contact_id'], ['contacts.id'], name=op.f('fk_updates_author_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_user_id'], ['staff_users.id'], name=op.f('fk_updates_author_user_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_updates_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_updates_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_updates_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_updates_request_id_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_updates'))
    )
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_updates_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_updates_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_updates_project_id_created_at', ['project_id', 'created_at'], unique=False)
        batch_op.create_index('ix_updates_request_id_created_at', ['request_id', 'created_at'], unique=False)

    op.create_table('comments',
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('update_id', sa.Uuid(), nullable=True),
    sa.Column('request_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.Enum('public', 'internal', name='visibility', native_enum=False, length=16), nullable=False),
    sa.Column('author_user_id', sa.Uuid(), nullable=True),
    sa.Column('author_contact_id', sa.Uuid(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_contact_id'], ['contacts.id'], name=op.f('fk_comments_author_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_user_id'], ['staff_users.id'], name=op.f('fk_comments_author_user_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_comments_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_comments_org_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_comments_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_comments_request_id_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_comments_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_comments_request_id_created_at', ['request_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comments_update_id_created_at', ['update_id', 'created_at'], unique=False)

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_manual', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('progress_manual')

    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_column('headers')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_update_id_created_at')
        batch_op.drop_index('ix_comments_request_id_created_at')
        batch_op.drop_index(batch_op.f('ix_comments_project_id'))
        batch_op.drop_index(batch_op.f('ix_comments_org_id'))
        batch_op.drop_index(batch_op.f('ix_comments_client_id'))

    op.drop_table('comments')
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.drop_index('ix_updates_request_id_created_at')
        batch_op.drop_index('ix_updates_project_id_created_at')
        batch_op.drop_index(batch_op.f('ix_updates_org_id'))
        batch_op.drop_index(batch_op.f('ix_updates_client_id'))

    op.drop_table('updates')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_project_id_status_position')
        batch_op.drop_index(batch_op.f('ix_requests_org_id'))
        batch_op.drop_index('ix_requests_client_id_status')
        batch_op.drop_index(batch_op.f('ix_requests_client_id'))
        batch_op.drop_index('ix_requests_assignee_user_id_status')

    op.drop_table('requests')
    with op.batch_alter_table('pending_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_notifications_org_id'))
        batch_op.drop_index(batch_op.f('ix_pending_notifications_created_at'))
        batch_op.drop_index('ix_pending_notifications_contact_id_project_id')
        batch_op.drop_index(batch_op.f('ix_pending_notifications_client_id'))

    op.drop_table('pending_notifications')
    with op.batch_alter_table('notifications_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_sent_org_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_sent_client_id'))

    op.drop_table('notifications_sent')
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_org_id'))
        batch_op.drop_index(batch_op.f('ix_notification_preferences_client_id'))

    op.drop_table('notification_preferences')
    with op.batch_alter_table('milestones', schema=None) as batch_op:
        batch_op.drop_index('ix_milestones_project_id_due_date')
        batch_op.drop_index(batch_op.f('ix_milestones_org_id'))
        batch_op.drop_index(batch_op.f('ix_milestones_client_id'))

    op.drop_table('milestones')
