"""objection contact on editions (公示监督电话/地址), the applicant's contact mobile on proposals

Revision ID: i12g_lifecycle
Revises: ad053c7c03c6
Create Date: 2026-12-02 19:10:00

"""

import sqlalchemy as sa
from alembic import op

import grants.db  # noqa: F401  (custom column types)

# revision identifiers, used by Alembic.
revision = "i12g_lifecycle"
down_revision = "i11d_sessions_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("objection_contact", sa.String(length=300), nullable=False, server_default=""))
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_mobile", sa.String(length=11), nullable=True))


def downgrade():
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_column("applicant_mobile")
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_column("objection_contact")
