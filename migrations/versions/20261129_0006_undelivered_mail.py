"""undelivered mail index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_outbox_mail_org_id_status_created_at', 'outbox_mail', ['org_id', 'status', 'created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_outbox_mail_org_id_status_created_at', table_name='outbox_mail')
