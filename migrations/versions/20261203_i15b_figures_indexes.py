"""Figures: covering indexes for the district figures' sums over activities and volunteer hours.

group_activities (group_id, status, starts_at, served) replaces the index on group_id alone, and
volunteer_hours (activity_id, halves) the one on activity_id alone: every lookup the old ones served
starts with the same column, and the figures read what they sum from the index without the rows.

Revision ID: i15b_figures_indexes
Revises: i14f_group_proposals
Create Date: 2026-12-03 19:10:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "i15b_figures_indexes"
down_revision = "i14f_group_proposals"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("group_activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_activities_group_status_start", ["group_id", "status", "starts_at", "served"], unique=False
        )
        batch_op.drop_index("ix_group_activities_group_id")
    with op.batch_alter_table("volunteer_hours", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_hours_activity_halves", ["activity_id", "halves"], unique=False)
        batch_op.drop_index("ix_volunteer_hours_activity_id")


def downgrade():
    with op.batch_alter_table("volunteer_hours", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_hours_activity_id", ["activity_id"], unique=False)
        batch_op.drop_index("ix_volunteer_hours_activity_halves")
    with op.batch_alter_table("group_activities", schema=None) as batch_op:
        batch_op.create_index("ix_group_activities_group_id", ["group_id"], unique=False)
        batch_op.drop_index("ix_group_activities_group_status_start")
