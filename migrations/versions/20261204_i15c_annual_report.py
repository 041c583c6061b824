"""Annual statistics report: a document job knows the place and year it counts, and its language.

Revision ID: i15c_annual_report
Revises: i15b_figures_indexes
Create Date: 2026-12-04 10:00:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "i15c_annual_report"
down_revision = "i15b_figures_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("document_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("street_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=20), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_document_jobs_district_id"), ["district_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_document_jobs_district_id_districts"),
            "districts",
            ["district_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_document_jobs_street_id_streets"), "streets", ["street_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_document_jobs_year_range"), "year IS NULL OR (year >= 2000 AND year <= 2100)"
        )


def downgrade():
    with op.batch_alter_table("document_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_document_jobs_year_range"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_document_jobs_street_id_streets"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_document_jobs_district_id_districts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_document_jobs_district_id"))
        batch_op.drop_column("locale")
        batch_op.drop_column("year")
        batch_op.drop_column("street_id")
        batch_op.drop_column("district_id")
