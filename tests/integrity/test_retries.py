"""The concurrency discipline itself (grants.db): a unit of work that loses a race is rolled back
and run again, a bounded number of times, by run_in_transaction() or, for a request, by the app's
dispatch_request; after the last run the user gets a clear message, never a 500; nothing is
committed twice and no effect of a lost run is left behind."""

from __future__ import annotations

import io

import pytest
from flask import flash, request
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from grants import db as grants_db
from grants.db import ATTEMPTS, lost_race, on_rollback, run_in_transaction, unit_of_work
from grants.errors import ConcurrentChange, DomainError
from grants.org.models import District
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL


class _Driver(Exception):
    """A driver error as psycopg raises it (``sqlstate``)."""

    def __init__(self, sqlstate: str):
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def serialization_failure() -> OperationalError:
    return OperationalError("COMMIT", None, _Driver("40001"))


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(grants_db, "backoff", lambda attempt: 0)


def _districts(session) -> int:
    session.commit()
    return session.scalar(select(func.count(District.id)))


def test_errors_that_mean_a_lost_race_are_told_apart_from_others():
    assert lost_race(serialization_failure())
    assert lost_race(OperationalError("x", None, _Driver("40P01")))  # deadlock
    assert lost_race(IntegrityError("x", None, _Driver("23505")))  # a concurrent insert of the key
    assert not lost_race(IntegrityError("x", None, _Driver("23503")))  # a foreign key: a bug, not a race
    assert not lost_race(DomainError("规则"))
    import sqlite3

    assert lost_race(IntegrityError("x", None, sqlite3.IntegrityError("UNIQUE constraint failed: users.mobile")))
    assert lost_race(OperationalError("x", None, sqlite3.OperationalError("database is locked")))
    assert not lost_race(IntegrityError("x", None, sqlite3.IntegrityError("CHECK constraint failed: x")))


def test_a_serialization_failure_is_rolled_back_and_run_again_then_commits_once(app, session):
    runs = []

    def create(work):
        runs.append(1)
        work.add(District(name=f"重试区{len(runs)}"))
        work.flush()
        if len(runs) == 1:
            raise serialization_failure()
        return len(runs)

    assert run_in_transaction(create) == 2
    assert len(runs) == 2
    names = session.scalars(select(District.name)).all()
    assert names == ["重试区2"]  # the lost run's row was rolled back; the second committed once


def test_exhausted_runs_give_a_clear_domain_error_and_commit_nothing(app, session):
    runs = []

    def always_loses(work):
        runs.append(1)
        work.add(District(name=f"失败区{len(runs)}"))
        work.flush()
        raise serialization_failure()

    with pytest.raises(ConcurrentChange) as caught:
        run_in_transaction(always_loses)
    assert len(runs) == ATTEMPTS
    assert isinstance(caught.value, DomainError) and "同时修改" in str(caught.value)
    assert _districts(session) == 0


def test_a_unit_of_work_without_a_retrier_raises_the_domain_error_at_once(app, session):
    with pytest.raises(ConcurrentChange), unit_of_work() as work:
        work.add(District(name="无重试区"))
        work.flush()
        raise serialization_failure()
    assert _districts(session) == 0


def test_other_errors_are_not_retried(app, session):
    runs = []

    def refuses(work):
        runs.append(1)
        raise DomainError("不行")

    with pytest.raises(DomainError, match="不行"):
        run_in_transaction(refuses)
    assert len(runs) == 1


def test_an_undo_registered_in_a_transaction_runs_on_rollback_only(app, session, tmp_path):
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    for path in (kept, dropped):
        path.write_bytes(b"x")
    with unit_of_work() as work:
        on_rollback(work, lambda: kept.unlink())
    with pytest.raises(DomainError), unit_of_work() as work:
        on_rollback(work, lambda: dropped.unlink())
        raise DomainError("回滚")
    assert kept.exists() and not dropped.exists()


def test_a_unit_of_work_reads_again_all_but_the_signed_in_user(app, session, world):
    """What the view read is expired when its unit of work starts and read again under the write
    lock; the signed-in user and their roles, read when the request started, are kept."""
    from sqlalchemy import event

    from grants.auth.models import User

    user = session.scalars(select(User).where(User.id == world.organizer_a.id)).one()
    roles = list(user.grants)
    district = session.get(District, world.district_a.id)
    grants_db.keep_signed_in(session, [user, *roles])
    assert district.name and roles
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    event.listen(grants_db.db.engine, "before_cursor_execute", note)
    try:
        with unit_of_work():
            assert user.display_name and [r.role for r in roles]
            assert not statements  # nothing read again for the user
            assert district.name  # read again, in the write transaction
    finally:
        event.remove(grants_db.db.engine, "before_cursor_execute", note)
    assert any("FROM districts" in s for s in statements)
    assert not any("FROM users" in s or "FROM role_grants" in s for s in statements)


@pytest.mark.skipif(not IS_POSTGRES, reason="SERIALIZABLE isolation is PostgreSQL's (SQLite has one writer)")
def test_a_real_concurrent_update_on_postgresql_is_retried(app, session):
    district = District(name="并发区", office_name="0")
    session.add(district)
    session.commit()
    district_id = district.id
    other = create_engine(TEST_DATABASE_URL)
    runs = []

    def increment(work):
        runs.append(1)
        current = work.get(District, district_id)
        value = int(current.office_name)
        if len(runs) == 1:  # another transaction commits a change after this one read the row
            with other.begin() as conn:
                conn.execute(text("UPDATE districts SET office_name = '10' WHERE id = :id"), {"id": district_id})
        current.office_name = str(value + 1)
        work.flush()

    try:
        run_in_transaction(increment)
    finally:
        other.dispose()
    assert len(runs) == 2
    session.expire_all()
    assert session.get(District, district_id).office_name == "11"  # not "1": the update was not lost


# --- the request level --------------------------------------------------------------------------------


@pytest.fixture
def race_views(app):
    """Test routes: ``/_race/<n>`` loses its unit of work's race on the first n runs."""
    runs: list[int] = []

    def lose_first(times: int):
        runs.append(1)
        upload = request.files.get("file")
        body = upload.read() if upload else b""
        flash("已收到")  # before the unit of work: a lost run's message must not be shown twice
        with unit_of_work() as work:
            work.add(District(name=f"请求区{len(runs)}"))
            work.flush()
            if len(runs) <= times:
                raise serialization_failure()
        return body

    def commit_then_lose():
        runs.append(1)
        with unit_of_work() as work:
            work.add(District(name="先提交"))
        with unit_of_work() as work:
            work.add(District(name="后失败"))
            work.flush()
            raise serialization_failure()

    def lose_in_a_view_that_shows_domain_errors():
        try:
            with unit_of_work() as work:
                work.add(District(name="总是失败"))
                work.flush()
                raise serialization_failure()
        except DomainError as err:
            return str(err), 400

    app.add_url_rule("/_race/<int:times>", view_func=lose_first, methods=["POST"])
    app.add_url_rule("/_race/commit-then-lose", view_func=commit_then_lose, methods=["POST"])
    app.add_url_rule("/_race/shown", view_func=lose_in_a_view_that_shows_domain_errors, methods=["POST"])
    return runs


def test_a_request_that_lost_a_race_is_dispatched_again_with_its_upload_rewound_and_one_flash(
    client, session, race_views
):
    response = client.post("/_race/2", data={"file": (io.BytesIO(b"photo-bytes"), "a.jpg")})
    assert response.status_code == 200
    assert response.data == b"photo-bytes"  # the third run read the whole upload again
    assert len(race_views) == 3
    with client.session_transaction() as http_session:
        assert [message for _category, message in http_session["_flashes"]] == ["已收到"]
    assert session.scalars(select(District.name)).all() == ["请求区3"]


def test_a_request_that_keeps_losing_gets_a_409_page_in_its_language_not_a_500(client, session, race_views):
    response = client.post("/_race/99")
    assert response.status_code == 409
    assert "其他人刚刚同时修改了这项内容" in response.get_data(as_text=True)
    assert len(race_views) == ATTEMPTS
    assert _districts(session) == 0
    english = client.post("/_race/99", headers={"Accept-Language": "en"})
    assert english.status_code == 409 and "Someone else changed this" in english.get_data(as_text=True)


def test_a_view_that_shows_domain_errors_shows_the_message_itself(client, race_views):
    response = client.post("/_race/shown")
    assert response.status_code == 400 and "同时修改" in response.get_data(as_text=True)


def test_a_request_is_not_run_again_after_one_of_its_units_committed(client, session, race_views):
    response = client.post("/_race/commit-then-lose")
    assert response.status_code == 409
    assert len(race_views) == 1  # running it again would commit the first unit twice
    assert session.scalars(select(District.name)).all() == ["先提交"]


def test_an_uploaded_file_written_in_a_lost_run_is_removed(app, session, world, tmp_path):
    from grants.proposals.attachments import store_upload

    upload_dir = tmp_path / "uploads"
    runs = []

    def attach(work):
        runs.append(1)
        store_upload(
            work,
            actor=world.resident,
            filename="a.pdf",
            data=b"%PDF-1.4 test",
            mime="application/pdf",
            upload_dir=upload_dir,
            proposal_id=None,
        )
        if len(runs) == 1:
            raise serialization_failure()

    run_in_transaction(attach)
    assert len(runs) == 2
    assert len([p for p in upload_dir.rglob("*") if p.is_file()]) == 1  # the lost run's file is gone


def _isolation(work) -> str:
    if work.get_bind().dialect.name != "postgresql":
        return "one writer"
    return work.execute(text("SHOW transaction_isolation")).scalar()


def test_a_unit_of_work_is_serializable_unless_it_asks_to_read_committed_data(app, session):
    from grants.db import READ_COMMITTED, reads_committed

    with unit_of_work() as work:
        default = (_isolation(work), reads_committed(work))
    with unit_of_work(READ_COMMITTED) as work:
        asked = (_isolation(work), reads_committed(work))
    with unit_of_work() as work:  # the next unit is SERIALIZABLE again
        after = (_isolation(work), reads_committed(work))
    if IS_POSTGRES:
        assert default == after == ("serializable", False) and asked == ("read committed", True)
    else:  # SQLite: the write lock is taken before the first read, whatever was asked
        assert default == asked == after == ("one writer", True)
    with pytest.raises(ValueError, match="REPEATABLE READ"), unit_of_work("REPEATABLE READ"):
        pass
