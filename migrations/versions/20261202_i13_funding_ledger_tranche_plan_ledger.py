"""tranche plan parts per edition, append-only funding ledger

Revision ID: i13_funding_ledger
Revises: i12h_notifications
Create Date: 2026-12-02 20:20:00

"""

from alembic import op
import sqlalchemy as sa

import grants.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = "i13_funding_ledger"
down_revision = "i12h_notifications"
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "ledger_entries is append-only: record an opposite entry instead"


def upgrade():
    op.create_table(
        "tranche_plan_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=30), nullable=False),
        sa.CheckConstraint(
            "condition IN ('on_signing', 'after_midterm_passed', 'after_final_passed')",
            name=op.f("ck_tranche_plan_parts_condition_known"),
        ),
        sa.CheckConstraint("percent_bp > 0 AND percent_bp <= 10000", name=op.f("ck_tranche_plan_parts_percent_range")),
        sa.ForeignKeyConstraint(
            ["edition_id"], ["editions.id"], name=op.f("fk_tranche_plan_parts_edition_id_editions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tranche_plan_parts")),
        sa.UniqueConstraint("edition_id", "position", name=op.f("uq_tranche_plan_parts_edition_id_position")),
    )
    with op.batch_alter_table("tranche_plan_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tranche_plan_parts_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", grants.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_ledger_entries_amount_not_zero")),
        sa.CheckConstraint(
            "kind IN ('disbursement', 'payment_returned', 'refund', 'correction')",
            name=op.f("ck_ledger_entries_kind_known"),
        ),
        sa.CheckConstraint(
            "reverses_id IS NULL OR kind = 'correction'", name=op.f("ck_ledger_entries_reversal_is_correction")
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_ledger_entries_actor_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["grants.id"], name=op.f("fk_ledger_entries_grant_id_grants"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_entries.id"],
            name=op.f("fk_ledger_entries_reverses_id_ledger_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_entries_reverses_id")),
    )
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_entries_grant_id"), ["grant_id"], unique=False)

    # The database itself refuses to change or remove a ledger row, whoever asks.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION ledger_entries_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'restrict_violation';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
            "FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_entries_no_{event.lower()} BEFORE {event} ON ledger_entries "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("no_update", "no_delete", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS ledger_entries_{name} ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_append_only()")
    else:
        for name in ("no_update", "no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ledger_entries_{name}")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entries_grant_id"))
    op.drop_table("ledger_entries")
    with op.batch_alter_table("tranche_plan_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tranche_plan_parts_edition_id"))
    op.drop_table("tranche_plan_parts")
