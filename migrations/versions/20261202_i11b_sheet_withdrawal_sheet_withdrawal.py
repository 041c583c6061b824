"""score sheets withdrawn for a conflict of interest or a revoked judge role

Revision ID: i11b_sheet_withdrawal
Revises: ad053c7c03c6
Create Date: 2026-12-02 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import grants.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "i11b_sheet_withdrawal"
down_revision = "i12g_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawal_cause", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", grants.db.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_assignments_withdrawn_by_id_users"), "users", ["withdrawn_by_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_assignments_withdrawn_by_id_users"), type_="foreignkey")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("withdrawn_by_id")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawal_cause")
