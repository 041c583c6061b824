"""Shared pieces: money, the state-machine helper, unit_of_work, UTC storage."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, func, select, text

from grants import money
from grants.audit.models import AuditEntry
from grants.db import as_loaded, db, loaded_from_row, run_in_transaction, unit_of_work
from grants.editions.models import Edition
from grants.editions.states import EditionStatus, edition_machine
from grants.errors import DomainError, InvalidTransition, NotAllowed
from tests.conftest import IS_POSTGRES

# --- money -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text_in", "fen"),
    [("5000", 500_000), ("5,000.5", 500_050), ("¥12.34", 1234), ("0.01", 1), (" 7 ", 700), (Decimal("1.10"), 110)],
)
def test_yuan_to_fen_parses_exactly(text_in, fen):
    assert money.yuan_to_fen(text_in) == fen


@pytest.mark.parametrize("bad", ["abc", "-1", "1.234", "", "NaN", "Infinity", "1e400"])
def test_yuan_to_fen_refuses_bad_amounts(bad):
    with pytest.raises(ValueError):
        money.yuan_to_fen(bad)


@given(st.integers(min_value=0, max_value=10**12))
def test_format_and_parse_round_trip(fen):
    assert money.yuan_to_fen(money.format_fen(fen)) == fen
    assert money.yuan_to_fen(money.fen_to_yuan_input(fen)) == fen


def test_format_fen():
    assert money.format_fen(123405) == "¥1,234.05"
    assert money.format_fen(-5) == "-¥0.05"
    assert money.format_fen(None) == ""


# --- state machine -----------------------------------------------------------


def test_transition_moves_status_and_writes_audit_in_the_same_transaction(session, make, world):
    edition = world.edition_a
    edition_machine.transition(session, edition, EditionStatus.OPEN.value, actor=world.organizer_a)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "edition.open"))
    assert edition.status == "open"
    assert entry.before == {"status": "draft"} and entry.after == {"status": "open"}
    assert entry.district_id == world.district_a.id and entry.actor_id == world.organizer_a.id
    session.rollback()  # nothing committed: both the status and the audit entry disappear
    assert session.get(Edition, edition.id).status == "draft"
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "edition.open")) == 0


def test_transition_not_in_the_table_is_refused_with_a_translated_message(session, world):
    with pytest.raises(InvalidTransition, match="筹备中"):
        edition_machine.transition(session, world.edition_a, EditionStatus.CLOSED.value, actor=world.organizer_a)
    assert world.edition_a.status == "draft"


def test_transition_by_someone_without_the_right_is_refused(session, world):
    for actor in (world.organizer_b, world.staff_a, world.judge_a, world.resident):
        with pytest.raises(NotAllowed):
            edition_machine.transition(session, world.edition_a, EditionStatus.OPEN.value, actor=actor)
    assert world.edition_a.status == "draft"


def test_transition_requiring_a_reason_refuses_without_one(session, world):
    edition_machine.transition(session, world.edition_a, "open", actor=world.organizer_a)
    with pytest.raises(DomainError, match="原因"):
        edition_machine.transition(session, world.edition_a, "draft", actor=world.organizer_a, reason="  ")
    edition_machine.transition(session, world.edition_a, "draft", actor=world.organizer_a, reason="补充材料")
    assert session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "edition.back_to_draft")) == "补充材料"


def test_available_lists_only_moves_the_actor_may_make(world):
    assert [t.target for t in edition_machine.available(world.edition_a, world.organizer_a)] == ["open"]
    assert edition_machine.available(world.edition_a, world.organizer_b) == []


# --- unit_of_work and storage ---------------------------------------------------


def test_unit_of_work_commits_on_success_and_rolls_back_on_error(app, make):
    district = make.district("测试区")
    db.session.commit()
    with pytest.raises(DomainError), unit_of_work():
        district.office_name = "改了"
        raise DomainError("stop")
    db.session.expire_all()
    assert db.session.get(type(district), district.id).office_name == ""
    with unit_of_work():
        db.session.get(type(district), district.id).office_name = "民政局"
    db.session.expire_all()
    assert db.session.get(type(district), district.id).office_name == "民政局"


def _user_row(session, user_id: int):
    from grants.auth.models import User

    return session.connection().execute(select(User.__table__).where(User.__table__.c.id == user_id)).one()


def test_as_loaded_gives_the_object_a_query_gives(app, make):
    """An object made from a Core row is what a query returns: the same values, persistent and
    unchanged; a relationship loads lazily; a change flushes that one column."""
    from sqlalchemy import inspect as sa_inspect

    from grants.auth.models import User

    user = make.user("zhangsan", name="张三", community=make.community())
    session = db.session()
    queried = {prop.key: getattr(user, prop.key) for prop in sa_inspect(User).column_attrs}
    community_name, user_id = user.community.name, user.id
    session.expunge_all()

    row = _user_row(session, user_id)
    (loaded,) = loaded_from_row(session, row, (User,))
    assert {key: getattr(loaded, key) for key in queried} == queried
    state = sa_inspect(loaded)
    assert state.persistent and not session.new and not session.dirty and not session.is_modified(loaded)
    assert session.get(User, user_id) is loaded  # in the identity map: no second object, no query
    assert loaded.community.name == community_name

    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        loaded.display_name = "张三丰"
        session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1 and "display_name" in updates[0] and "username" not in updates[0]
    session.expunge_all()
    assert session.get(User, user_id).display_name == "张三丰"


def test_as_loaded_reads_the_columns_not_given_when_first_used_and_keeps_an_object_already_loaded(app, make):
    from grants.auth.models import User

    user_id = make.user("lisi", name="李四").id
    session = db.session()
    session.expunge_all()
    partial = as_loaded(session, User, {"id": user_id})
    assert partial.display_name == "李四" and partial.username == "lisi"
    row = _user_row(session, user_id)
    partial.display_name = "改了，未提交"
    (again,) = loaded_from_row(session, row, (User,))
    assert again is partial and again.display_name == "改了，未提交"  # as a query: the session's object
    session.rollback()


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite locking")
def test_unit_of_work_takes_the_sqlite_write_lock_up_front(app):
    """A unit that has only read holds the write lock already (BEGIN IMMEDIATE): another connection
    cannot begin writing; a read transaction outside a unit leaves it free."""
    import sqlite3

    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        with unit_of_work() as session:
            session.execute(text("SELECT 1"))
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
        db.session.execute(text("SELECT 1"))  # a read transaction
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
        db.session.rollback()


@pytest.mark.skipif(IS_POSTGRES, reason="SQLite locking")
def test_a_unit_that_finds_the_sqlite_write_lock_taken_raises_the_concurrent_change_message(app):
    """BEGIN IMMEDIATE that gives up waiting ("database is locked") is a lost race, told to the user
    as ConcurrentChange (a DomainError), never an error page."""
    import sqlite3

    from grants.errors import ConcurrentChange

    db.session.connection().exec_driver_sql("PRAGMA busy_timeout=50")  # give up at once, not after 15 s
    db.session.rollback()  # the connection goes back to the pool; the unit below takes it again
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process writes (it does not queue at our gate)
        with pytest.raises(ConcurrentChange), unit_of_work() as session:
            session.execute(text("SELECT 1"))
    finally:
        other.close()
        db.session.connection().exec_driver_sql("PRAGMA busy_timeout=15000")
        db.session.rollback()


def test_concurrent_read_then_write_units_do_not_fail_with_database_locked(app, make):
    district = make.district("并发区")
    db.session.commit()
    district_id, model = district.id, type(district)
    errors: list[Exception] = []

    def increment(session):
        d = session.get(model, district_id)
        d.office_name = str(int(d.office_name or "0") + 1)

    def worker():
        with app.app_context():
            try:
                for _ in range(10):
                    run_in_transaction(increment, attempts=20)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.session.commit()  # end the test's read snapshot
    # Read-modify-write loses no update: SQLite's write lock, PostgreSQL's SERIALIZABLE plus retries.
    assert db.session.get(model, district_id).office_name == "40"


def test_datetimes_are_stored_in_utc_and_come_back_aware(session, world):
    local = datetime(2026, 3, 1, 9, 0, tzinfo=UTC) + timedelta(hours=0)
    world.edition_a.submission_opens_at = local
    session.commit()
    session.expire_all()
    value = session.get(Edition, world.edition_a.id).submission_opens_at
    assert value == local and value.tzinfo is not None


def test_naive_datetimes_are_refused(session, world):
    world.edition_a.submission_opens_at = datetime(2026, 3, 1, 9, 0)
    with pytest.raises(Exception, match="naive"):
        session.flush()
    session.rollback()


# --- imports -----------------------------------------------------------------


@pytest.mark.parametrize(
    "module", ["grants.demo", "grants.editions.queries", "grants.judging.reading", "grants.judging.views"]
)
def test_a_module_imported_first_finds_every_model(module):
    """A module that builds a statement with loader options at import configures every mapper; it
    imports on its own in a new interpreter (a script, `python -m`, one test file run alone)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
