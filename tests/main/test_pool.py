"""Pooled PostgreSQL connections: checked before use only after they sat idle (grants.db), and one
that the server closed meanwhile is replaced before any request uses it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

import grants.db
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(
    not IS_POSTGRES, reason="a PostgreSQL server closes connections; a SQLite file does not"
)


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


@pytest.fixture
def engine():
    engine = create_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def test_a_connection_the_server_closed_while_idle_is_replaced_before_use(engine, monkeypatch):
    first = _backend(engine)
    with psycopg.connect(TEST_DATABASE_URL.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    monkeypatch.setattr(grants.db, "PING_AFTER_IDLE_SECONDS", 0)  # it has been idle long enough
    second = _backend(engine)
    assert second != first
    assert _backend(engine) == second  # the new one is pooled and answers


def test_a_connection_given_back_a_moment_ago_is_handed_out_without_a_check(engine, monkeypatch):
    first = _backend(engine)
    pings = []
    monkeypatch.setattr(grants.db, "_ping", pings.append)
    assert _backend(engine) == first and pings == []
    monkeypatch.setattr(grants.db, "PING_AFTER_IDLE_SECONDS", 0)
    assert _backend(engine) == first and len(pings) == 1


def test_a_check_leaves_the_connection_as_it_was(engine, monkeypatch):
    monkeypatch.setattr(grants.db, "PING_AFTER_IDLE_SECONDS", 0)
    _backend(engine)
    with engine.connect() as connection:  # checked: SELECT 1 in autocommit, then back to transactions
        assert connection.connection.dbapi_connection.autocommit is False
        connection.execute(text("SELECT 1"))
        assert connection.in_transaction()
