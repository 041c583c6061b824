"""A request's reads on PostgreSQL run outside any transaction (grants.db): no BEGIN before them
and no COMMIT or ROLLBACK after; a unit of work still writes in a transaction of its own, and
everything outside a request (jobs, the CLI, a test's own session) keeps its transactions."""

from __future__ import annotations

import pytest
from flask import jsonify
from psycopg.pq import TransactionStatus
from sqlalchemy import func, select, text

from grants.audit.models import AuditEntry
from grants.db import db, unit_of_work
from grants.errors import DomainError
from tests.conftest import IS_POSTGRES

pytestmark = pytest.mark.skipif(not IS_POSTGRES, reason="psycopg's autocommit: PostgreSQL only")


def _status(session) -> str:
    """The transaction status of the driver connection the session is using now."""
    return TransactionStatus(session.connection().connection.driver_connection.info.transaction_status).name


def test_a_requests_reads_run_outside_transactions_and_its_unit_of_work_in_one(app, client):
    @app.get("/test-reads-then-write")
    def reads_then_write():
        seen = {}
        db.session.execute(text("SELECT 1"))
        seen["after_a_read"] = _status(db.session)
        with unit_of_work() as session:
            session.execute(text("SELECT 1"))
            seen["in_the_unit"] = _status(session)
        db.session.execute(text("SELECT 1"))
        seen["read_after_the_unit"] = _status(db.session)
        return jsonify(seen)

    assert client.get("/test-reads-then-write").get_json() == {
        "after_a_read": "IDLE",  # no transaction was opened around the read
        "in_the_unit": "INTRANS",
        "read_after_the_unit": "IDLE",
    }


def test_a_unit_of_work_in_a_request_is_still_all_or_nothing(app, client):
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    db.session.rollback()

    @app.post("/test-half-a-write")
    def half_a_write():
        db.session.execute(text("SELECT 1"))  # a read first, as every view does
        try:
            with unit_of_work() as session:
                session.add(AuditEntry(actor_name="t", action="test.write", object_type="test", object_id=1))
                session.flush()
                raise DomainError("refused after the insert")
        except DomainError:
            pass
        return "ok"

    assert client.post("/test-half-a-write").status_code == 200
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before


def test_outside_a_request_reads_keep_their_transaction_on_a_connection_a_request_used(app, client):

    @app.get("/test-read")
    def read():
        db.session.execute(text("SELECT 1"))
        return _status(db.session)

    assert client.get("/test-read").text == "IDLE"
    db.session.remove()
    db.session.execute(text("SELECT 1"))  # most likely the connection the request gave back
    assert _status(db.session) == "INTRANS"
    db.session.rollback()


def test_a_connection_asked_for_in_autocommit_stays_so(app):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT 1"))
        assert connection.connection.driver_connection.autocommit is True
        assert connection.connection.driver_connection.info.transaction_status == TransactionStatus.IDLE


def test_a_read_that_streams_its_rows_runs_in_a_transaction(app, client):
    # yield_per reads through a server-side cursor, which PostgreSQL keeps only in a transaction.
    @app.get("/test-stream")
    def stream():
        db.session.execute(text("SELECT 1"))
        rows = db.session.execute(select(AuditEntry.id).execution_options(yield_per=2))
        count = sum(1 for _row in rows)
        return jsonify(count=count, status=_status(db.session))

    assert client.get("/test-stream").get_json() == {"count": 0, "status": "INTRANS"}
