"""The funding ledger: append-only in the database on both backends, balances are sums, corrections net to zero."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from grants.audit.models import AuditEntry
from grants.db import db
from grants.errors import Conflict, DomainError
from grants.funding import ledger
from grants.funding.models import LedgerEntry


@pytest.fixture
def grant(make_grant, world, kept):
    def build():
        return make_grant(world.edition_a, community=world.community_a)

    return kept("funding.ledger.grant", build)


def _row(grant_id: int):
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT id, kind, amount_fen, ref FROM ledger_entries WHERE grant_id = :g ORDER BY id"),
            {"g": grant_id},
        ).all()


def test_record_writes_the_entry_and_its_audit_entry_in_one_transaction(session, grant, world):
    entry = ledger.record(
        session, grant=grant, kind="disbursement", amount_fen=228_001, ref="PZ-001", actor=world.finance_a
    )
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "ledger.record")).one()
    assert audit.object_id == entry.id and audit.actor_id == world.finance_a.id
    assert audit.after["amount_fen"] == 228_001 and audit.district_id == world.district_a.id
    session.rollback()  # the caller's transaction owns both: nothing of either is left
    assert session.scalar(select(func.count(LedgerEntry.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "ledger.record")) == 0


def test_balance_is_the_sum_of_the_ledger(session, grant, make_grant, world):
    other = make_grant(world.edition_a, approved_fen=100_000, community=world.community_a)
    assert ledger.balance(session, grant.id) == 0
    ledger.record(session, grant=grant, kind="disbursement", amount_fen=228_001, ref="PZ-1", actor=world.finance_a)
    ledger.record(session, grant=grant, kind="disbursement", amount_fen=152_000, ref="PZ-2", actor=world.finance_a)
    ledger.record(session, grant=grant, kind="refund", amount_fen=-12_345, ref="TH-1", actor=world.finance_a)
    ledger.record(session, grant=other, kind="disbursement", amount_fen=60_000, ref="PZ-3", actor=world.finance_a)
    session.commit()
    assert ledger.balance(session, grant.id) == 228_001 + 152_000 - 12_345
    assert type(ledger.balance(session, grant.id)) is int
    assert ledger.balance(session, other.id) == 60_000
    assert [e.ref for e in ledger.entries(session, grant.id)] == ["PZ-1", "PZ-2", "TH-1"]


def test_a_correction_is_an_opposite_entry_that_nets_to_zero(session, grant, world):
    wrong = ledger.record(
        session, grant=grant, kind="disbursement", amount_fen=50_000, ref="PZ-9", actor=world.finance_a
    )
    correction = ledger.reverse(session, entry=wrong, actor=world.finance_a, note="金额录错")
    session.commit()
    assert (correction.kind, correction.amount_fen, correction.reverses_id) == ("correction", -50_000, wrong.id)
    assert ledger.balance(session, grant.id) == 0
    assert [(r.kind, r.amount_fen) for r in _row(grant.id)] == [("disbursement", 50_000), ("correction", -50_000)]
    with pytest.raises(Conflict):
        ledger.reverse(session, entry=wrong, actor=world.finance_a)
    with pytest.raises(Conflict):
        ledger.reverse(session, entry=correction, actor=world.finance_a)
    assert ledger.balance(session, grant.id) == 0


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        ("disbursement", 0),
        ("disbursement", -5),
        ("refund", 5),
        ("payment_returned", 5),
        ("bonus", 5),
        ("correction", 1.5),
    ],
)
def test_bad_movements_are_refused_and_nothing_is_written(session, grant, world, kind, amount):
    with pytest.raises(DomainError):
        ledger.record(session, grant=grant, kind=kind, amount_fen=amount, ref="X", actor=world.finance_a)
    assert _row(grant.id) == [] and session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_the_database_refuses_a_zero_amount(session, grant):
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_entries (grant_id, kind, amount_fen, ref, note, at) "
                "VALUES (:g, 'disbursement', 0, '', '', CURRENT_TIMESTAMP)"
            ),
            {"g": grant.id},
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET amount_fen = 1 WHERE id = :id",
        "UPDATE ledger_entries SET ref = 'changed', note = 'x' WHERE id = :id",
        "DELETE FROM ledger_entries WHERE id = :id",
        "DELETE FROM ledger_entries",
    ],
)
def test_the_database_refuses_to_change_or_remove_a_ledger_row(session, grant, world, statement):
    entry = ledger.record(
        session, grant=grant, kind="disbursement", amount_fen=228_001, ref="PZ-1", actor=world.finance_a
    )
    session.commit()
    before = _row(grant.id)
    with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
        conn.execute(text(statement), {"id": entry.id})
    assert "append-only" in str(caught.value)
    assert _row(grant.id) == before == [(entry.id, "disbursement", 228_001, "PZ-1")]


def test_the_orm_cannot_change_a_ledger_row_either(session, grant, world):
    entry = ledger.record(
        session, grant=grant, kind="disbursement", amount_fen=1_000, ref="PZ-1", actor=world.finance_a
    )
    session.commit()
    entry.amount_fen = 2_000
    with pytest.raises(DBAPIError):
        session.commit()
    session.rollback()
    assert ledger.balance(session, grant.id) == 1_000


def test_the_append_only_triggers_exist_after_upgrade_head(app):
    # The `database_template` fixture built this database with `upgrade head`.
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            names = set(
                conn.execute(
                    text(
                        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger_entries'::regclass AND NOT tgisinternal"
                    )
                ).scalars()
            )
            assert names == {"ledger_entries_no_update", "ledger_entries_no_delete", "ledger_entries_no_truncate"}
        else:
            names = set(
                conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries'")
                ).scalars()
            )
            assert names == {"ledger_entries_no_update", "ledger_entries_no_delete"}
    assert {c["name"] for c in inspect(db.engine).get_check_constraints("ledger_entries")} >= {
        "ck_ledger_entries_amount_not_zero"
    }


def test_the_migration_goes_down_and_up_again_with_its_triggers(app):
    from flask_migrate import downgrade, upgrade

    def tables() -> set[str]:
        return set(inspect(db.engine).get_table_names())

    db.session.remove()
    downgrade(revision="i12h_notifications")
    assert not {"ledger_entries", "tranche_plan_parts"} & tables()
    upgrade()
    assert {"ledger_entries", "tranche_plan_parts"} <= tables()
    test_the_append_only_triggers_exist_after_upgrade_head(app)
