"""staff invitations, password resets, require sso

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:04:04

Invitations to join an organization and password resets hold only the SHA-256 of their mailed secret; an
organization may require single sign-on for its staff.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "staff_invitations",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "role", sa.Enum("owner", "admin", "member", name="role", native_enum=False, length=16), nullable=False
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_user_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_invitations_accepted_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_invitations_invited_by_user_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_staff_invitations_org_id_organizations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitations_token_hash")),
    )
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_invitations_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ix_staff_invitations_org_id_email", ["org_id", "email"], unique=False)

    op.create_table(
        "staff_password_resets",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_password_resets_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_password_resets_token_hash")),
    )
    with op.batch_alter_table("staff_password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_password_resets_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_password_resets_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("require_sso", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("require_sso")

    with op.batch_alter_table("staff_password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_password_resets_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_password_resets_expires_at"))

    op.drop_table("staff_password_resets")
    with op.batch_alter_table("staff_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_invitations_org_id_email")
        batch_op.drop_index(batch_op.f("ix_staff_invitations_org_id"))

    op.drop_table("staff_invitations")
