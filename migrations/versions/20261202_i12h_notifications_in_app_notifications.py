"""in-app notifications

Revision ID: i12h_notifications
Revises: ad053c7c03c6
Create Date: 2026-12-02 19:30:00

"""

from alembic import op
import sqlalchemy as sa

import grants.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "i12h_notifications"
down_revision = "i11b_sheet_withdrawal"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", grants.db.UTCDateTime(), nullable=False),
        sa.Column("read_at", grants.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposals.id"], name=op.f("fk_notifications_proposal_id_proposals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_proposal_id"), ["proposal_id"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_proposal_id"))
        batch_op.drop_index("ix_notifications_user_read")

    op.drop_table("notifications")
