"""Database: Flask-SQLAlchemy with a typed declarative base, SQLite pragmas, unit_of_work().

The concurrency discipline lives here, the same for every domain: a write transaction is
serializable on both databases (SQLite: BEGIN IMMEDIATE, one writer at a time, the writers
queued at a WriteGate rather than polling SQLite's lock; PostgreSQL: SERIALIZABLE isolation), and a transaction that loses a race (serialization failure, deadlock,
a unique key taken by a concurrent insert, SQLite's lock timeout) is rolled back and run again,
a bounded number of times, by one retrier: ``run_in_transaction(fn)`` for CLI, jobs and
services, ``retry_request(dispatch)`` for a whole request (the app's dispatch_request). What
still loses after the retries becomes ``ConcurrentChange``, a DomainError with a clear message.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from flask import request
from flask.globals import request_ctx
from flask_sqlalchemy import SQLAlchemy
from psycopg.pq import TransactionStatus
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.pool import Pool
from sqlalchemy.types import TypeDecorator

from grants import timeutil
from grants.errors import ConcurrentChange

log = logging.getLogger(__name__)
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every backend and always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware datetimes (grants.timeutil)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return timeutil.now()


# Write paths take SQLite's write lock when their transaction starts (BEGIN IMMEDIATE);
# a deferred BEGIN that reads and then writes fails with "database is locked" under load.
_write_transaction: ContextVar[bool] = ContextVar("write_transaction", default=False)


def in_write_transaction() -> bool:
    """Whether this context runs inside a unit of work (whose transaction may hold row locks)."""
    return _write_transaction.get()


BUSY_TIMEOUT_SECONDS = 15


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN itself (SQLAlchemy's SQLite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")  # first: the pragmas below may wait for a lock
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[2]]
    cursor.close()
    for path in files:
        _owner_only(path)


def _owner_only(path: str) -> None:
    """The database holds personal data: its file (and the WAL beside it) readable by the owner only."""
    for name in (path, f"{path}-wal", f"{path}-shm"):
        try:
            mode = os.stat(name).st_mode
            if mode & 0o077:
                os.chmod(name, mode & 0o700)
        except OSError:  # not there (yet), or not ours to change
            continue


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    # On the driver's connection itself: every request that reads begins a transaction, and a
    # statement through SQLAlchemy's execution machinery costs several times more than BEGIN does.
    if connection.dialect.name != "sqlite":
        return
    statement = "BEGIN IMMEDIATE" if _write_transaction.get() else "BEGIN"
    try:
        connection.connection.driver_connection.execute(statement)
    except sqlite3.Error as err:  # as SQLAlchemy would raise it ("database is locked": lost_race)
        raise DBAPIError.instance(statement, None, err, sqlite3.Error, dialect=connection.dialect) from err


# A request's reads on PostgreSQL run outside any transaction (psycopg's autocommit), each
# statement on its own as it would in the READ COMMITTED transaction otherwise opened around them:
# the same rows are seen, and the BEGIN that psycopg sends before the first read and the COMMIT or
# ROLLBACK after the last are two round trips fewer for every page, and for every write (a unit of
# work ends the reads first). Writes are never made so: a unit of work opens its transaction (with
# its isolation level), and so does everything outside a request (jobs, CLI, tests' own sessions).
_request_reads: ContextVar[bool] = ContextVar("request_reads", default=False)


@contextmanager
def reads_outside_transactions() -> Iterator[None]:
    """While a request is handled: its reads run outside any transaction on PostgreSQL."""
    token = _request_reads.set(True)
    try:
        yield
    finally:
        _request_reads.reset(token)


_READS_AUTOCOMMIT = "grants.reads_autocommit"
_IDLE = TransactionStatus.IDLE  # not in a transaction, the connection good


@event.listens_for(Engine, "begin")
def _postgres_on_begin(connection) -> None:
    """Reads of a request in autocommit; every other transaction as it was asked for. Only what this
    hook turned on is turned off again: a connection someone set to AUTOCOMMIT stays so."""
    if connection.dialect.name != "postgresql" or "isolation_level" in connection.get_execution_options():
        return
    info = connection.connection.info  # the driver connection's, kept across checkouts
    driver = connection.connection.driver_connection
    # Changed only while idle (its last transaction has ended), where psycopg changes it locally; a
    # connection lost meanwhile is left to fail at its first statement, where SQLAlchemy replaces it.
    if driver.info.transaction_status != _IDLE:
        return
    if _request_reads.get() and not _write_transaction.get():
        if not driver.autocommit:
            driver.autocommit = True
            info[_READS_AUTOCOMMIT] = True
    elif info.pop(_READS_AUTOCOMMIT, False):
        driver.autocommit = False


@event.listens_for(Engine, "before_execute")
def _postgres_streams_in_a_transaction(connection, clause, multiparams, params, execution_options) -> None:
    """A read that streams its rows (``yield_per``: a server-side cursor, which PostgreSQL keeps only
    inside a transaction) opens one: the rest of the request's reads then run in it."""
    if not (execution_options.get("stream_results") or execution_options.get("yield_per")):
        return
    if connection.dialect.name != "postgresql" or not connection.connection.info.get(_READS_AUTOCOMMIT):
        return
    driver = connection.connection.driver_connection
    if driver.autocommit and driver.info.transaction_status == _IDLE:
        driver.autocommit = False


# A pooled PostgreSQL connection is checked (SELECT 1) before it is handed out only when it has
# been idle this long: one that a request gave back a moment ago is alive, and checking it on every
# checkout cost a round trip each time (two per request that writes: its read transaction and its
# unit of work). A connection the server closed while it sat idle (a restart, an idle timeout) is
# found so and replaced before any request uses it.
PING_AFTER_IDLE_SECONDS = 5.0
_IDLE_SINCE = "grants.idle_since"


@event.listens_for(Pool, "checkin")
def _note_idle(dbapi_connection, connection_record) -> None:
    if connection_record is not None:  # None: the connection was invalidated
        connection_record.info[_IDLE_SINCE] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
    """Raises DisconnectionError for a connection that does not answer: the pool then closes it and
    hands out a new one (SQLAlchemy's checkout contract)."""
    if isinstance(dbapi_connection, sqlite3.Connection):  # a file: nothing can close it under us
        return
    idle_since = connection_record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        _ping(dbapi_connection)
    except Exception as err:
        raise DisconnectionError(f"a pooled connection idle for {time.monotonic() - idle_since:.0f} s is gone") from err


def _ping(dbapi_connection) -> None:
    """SELECT 1 outside any transaction (psycopg: in autocommit, as SQLAlchemy's own ping)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = autocommit


class WriteGate:
    """One SQLite write transaction at a time, its waiters woken as soon as it ends.

    SQLite lets one writer in and makes the others poll: a connection that finds the database
    locked sleeps and tries again (1, 2, 5 … then 100 ms apart, up to busy_timeout), so under
    load the lock is often free while every waiter sleeps, and writes queue up far longer than
    they take. The gate queues them instead: a thread waits on a lock of its process (woken at
    once when the holder leaves), and the one thread of each process that holds it then takes
    an exclusive flock on a file beside the database, which other processes (gunicorn workers,
    the jobs worker, the CLI) take too. Reentrant in a thread. A waiter that gets no turn within
    busy_timeout goes on without it, and SQLite's own lock decides as before.
    """

    POLL_SECONDS = 0.0005  # the one waiter of a process checks the other processes' flock this often

    def __init__(self, path: str):
        self.path = f"{path}.write-gate"
        self._lock = threading.Lock()
        self._local = threading.local()
        self._fd: int | None = None

    def _file(self) -> int:
        """The gate file's descriptor; -1 when it cannot be made (then only this process's threads queue)."""
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                log.warning("no write gate file at %s: other processes' writers are not queued", self.path)
                self._fd = -1
        return self._fd

    def enter(self, timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth:
            self._local.depth = depth + 1
            return
        deadline = time.monotonic() + timeout
        if not self._lock.acquire(timeout=timeout):
            self._local.depth, self._local.held = 1, False
            return
        try:
            fd = self._file()
            while fd >= 0:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        self._lock.release()
                        self._local.depth, self._local.held = 1, False
                        return
                    time.sleep(self.POLL_SECONDS)
        except BaseException:
            self._lock.release()
            raise
        self._local.depth, self._local.held = 1, True

    def leave(self) -> None:
        self._local.depth -= 1
        if self._local.depth or not self._local.held:
            return
        self._local.held = False
        try:
            if self._file() >= 0:
                fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._lock.release()


_gates: dict[tuple[int, str], WriteGate] = {}
_gates_lock = threading.Lock()


def write_gate(session: Session) -> WriteGate | None:
    """The gate of the session's SQLite database file (None on PostgreSQL or an in-memory database)."""
    url = session.get_bind().url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    key = (os.getpid(), os.path.abspath(url.database))  # a forked process makes its own
    gate = _gates.get(key)
    if gate is None:
        with _gates_lock:
            gate = _gates.setdefault(key, WriteGate(key[1]))
    return gate


# --- losing a race, and running again ---------------------------------------------------------

# How often a transaction that lost a race is run in all (the first run included), and the pause
# before the n-th run: random (so the losers do not collide again in step), growing, capped.
# Eight runs: with two server processes, 200 activity logs at once on PostgreSQL lost one in about
# 3,400 to a fifth serialization failure in a row (SSI's predicate locks on small tables are whole-
# table locks, so unrelated writers can fail each other); a transaction is a few milliseconds, and
# the pauses before the eighth run add up to about a second at most.
ATTEMPTS = 8
BACKOFF_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.25

# SQLSTATEs that mean "a concurrent transaction got there first": serialization_failure,
# deadlock_detected, unique_violation (a concurrent insert of the same key).
_PG_LOST_RACE = frozenset({"40001", "40P01", "23505"})


def lost_race(err: BaseException) -> bool:
    """Whether a database error means a concurrent transaction won (running again may succeed)."""
    if not isinstance(err, DBAPIError):
        return False
    orig = err.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code:
        return code in _PG_LOST_RACE
    if isinstance(orig, sqlite3.IntegrityError):
        return str(orig).startswith("UNIQUE constraint failed")
    if isinstance(orig, sqlite3.OperationalError):
        return "database is locked" in str(orig)
    return False


class RetryTransaction(Exception):
    """Internal: a unit of work lost a race and was rolled back; its retrier runs it again.

    Deliberately not a DomainError, so that views' ``except DomainError`` let it through.
    """


@dataclass
class _RetryScope:
    attempt: int
    attempts: int
    parent: _RetryScope | None
    committed: int = 0

    def may_retry(self) -> bool:
        # Only while nothing was committed in this run: running it again must not repeat a commit.
        return self.committed == 0 and self.attempt < self.attempts

    def note_commit(self) -> None:
        scope: _RetryScope | None = self
        while scope is not None:
            scope.committed += 1
            scope = scope.parent


_retry_scope: ContextVar[_RetryScope | None] = ContextVar("retry_scope", default=None)


def backoff(attempt: int) -> float:
    """Seconds to wait before run ``attempt + 1``."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_SECONDS * 2**attempt))


def retrying(call: Callable[[], T], *, attempts: int = ATTEMPTS, before_retry: Callable[[], None] | None = None) -> T:
    """Run ``call()``; when a unit of work inside it lost a race before anything was committed,
    run it again (at most ``attempts`` runs in all). The last run's loss raises ConcurrentChange.
    """
    for attempt in range(1, attempts + 1):
        token = _retry_scope.set(_RetryScope(attempt, attempts, _retry_scope.get()))
        try:
            return call()
        except RetryTransaction:
            log.info("transaction lost a race (run %d of %d); running it again", attempt, attempts)
            if before_retry is not None:
                before_retry()
            time.sleep(backoff(attempt))
        finally:
            _retry_scope.reset(token)
    raise AssertionError("unreachable: the last run raises ConcurrentChange instead of retrying")


def run_in_transaction(fn: Callable[[Session], T], *, attempts: int = ATTEMPTS) -> T:
    """``fn(session)`` in one unit of work, run again when it loses a race (CLI, jobs, services).

    ``fn`` must have no effect outside the database, as it may run more than once.

    Raises:
        ConcurrentChange: it still lost after ``attempts`` runs.
    """

    def once() -> T:
        with unit_of_work() as session:
            return fn(session)

    return retrying(once, attempts=attempts)


def retry_request(dispatch: Callable[[], T]) -> T:
    """Run a request's view, and again when it lost a race before committing anything.

    Before running again: the messages flashed by the lost run are forgotten, uploaded files are
    rewound, and the session's objects are expired (they are read again). Effects outside the
    database that a service makes inside its transaction register an undo with ``on_rollback``;
    effects after a commit (an enqueued job) cannot repeat, as nothing is run again after one.
    """
    from grants.http_cache import peek_session

    # Peeked, and dict.get: the copy must not mark the session as accessed (that adds "Vary: Cookie"
    # to every answer, the anonymous API's included).
    flashes = list(dict.get(peek_session() or {}, "_flashes", ()))

    def forget_lost_run() -> None:
        db.session.rollback()
        http_session = request_ctx.session
        if flashes:
            http_session["_flashes"] = list(flashes)
        else:
            http_session.pop("_flashes", None)
        request_ctx.flashes = None
        for _name, upload in request.files.items(multi=True):
            upload.stream.seek(0)

    return retrying(dispatch, before_retry=forget_lost_run)


def _lost(err: BaseException) -> Exception:
    scope = _retry_scope.get()
    # SQLite's lock timeout has waited long already (busy_timeout): answer now rather than wait again.
    waited = isinstance(getattr(err, "orig", None), sqlite3.OperationalError)
    if scope is not None and scope.may_retry() and not waited:
        return RetryTransaction()
    log.warning("transaction lost a race and is not run again: %s", err)
    return ConcurrentChange()


# --- the unit of work ---------------------------------------------------------------------------

_ROLLBACK_ACTIONS = "grants.rollback_actions"


def on_rollback(session: Session, action: Callable[[], None]) -> None:
    """Undo an effect outside the database (e.g. a file written) if this transaction rolls back."""
    session.info.setdefault(_ROLLBACK_ACTIONS, []).append(action)


@event.listens_for(Session, "after_commit")
def _forget_rollback_actions(session: Session) -> None:
    session.info.pop(_ROLLBACK_ACTIONS, None)


@event.listens_for(Session, "after_soft_rollback")
def _on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # not a savepoint
        _run_rollback_actions(session)


def _run_rollback_actions(session: Session) -> None:
    for action in session.info.pop(_ROLLBACK_ACTIONS, []):
        try:
            action()
        except Exception:  # an undo that fails must not hide the error being handled
            log.exception("could not undo an effect of a rolled back transaction")


SERIALIZABLE = "SERIALIZABLE"
READ_COMMITTED = "READ COMMITTED"
_READS_COMMITTED = "grants.db.reads_committed"


def current_transaction(session: Session):
    """The session's current (outermost) transaction, for a scoped session too: a key for notes in
    ``session.info`` that hold for this transaction only."""
    return (session() if isinstance(session, scoped_session) else session).get_transaction()


def reads_committed(session: Session) -> bool:
    """Whether each statement of the session's write transaction sees all that was committed
    before it: always on SQLite (one writer: the write lock is taken before the first read), and on
    PostgreSQL in a unit of work opened with ``isolation=READ_COMMITTED``."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return session.info.get(_READS_COMMITTED) is current_transaction(session)


_SIGNED_IN = "grants.db.signed_in"


def keep_signed_in(session: Session, objects: Iterable[object]) -> None:
    """The signed-in user and their roles, as read when the request started (``auth.sessions``):
    a unit of work entered later in the request keeps them loaded (``_end_read_transaction``)."""
    session.info[_SIGNED_IN] = list(objects)


def _end_read_transaction(session: Session) -> None:
    """End the read transaction a view left open, so that the write transaction starts afresh.
    What it loaded is expired, to be read again in the write transaction (under its locks) when
    used, except the signed-in user and their roles: the request is the user's as it started (a
    unit uses them as its actor, never counts on them), and reading them again would cost every
    write a statement, on SQLite while it holds the one write lock."""
    kept = session.info.get(_SIGNED_IN)
    if not kept:
        session.commit()
        return
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    kept_ids = {id(obj) for obj in kept}
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept_ids:
            session.expire(obj)


@contextmanager
def unit_of_work(isolation: str = SERIALIZABLE) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on any exception.

    A read transaction left open by the view is ended first, so that the write
    transaction starts with the write lock and re-reads what it checks (all but the
    signed-in user and their roles: ``_end_read_transaction``). On PostgreSQL
    the transaction is SERIALIZABLE: it commits only if running it alone would give the
    same result, else it fails and is rolled back (then run again by the surrounding
    retrier, see ``retrying``).

    ``isolation=READ_COMMITTED`` is for a unit whose every rule is guarded by a row lock that it
    takes before it reads what the rule counts (``SELECT … FOR UPDATE``: a group's activities under
    the group's row). Each statement then sees what was committed before it, so the rule holds, and
    the unit is spared SSI's false alarms: rows that concurrent units insert side by side land on
    the same index pages, which their foreign-key checks read, and about one in ten of 200
    simultaneous activity logs was aborted and run again for it. SQLite: the same either way.

    Raises:
        ConcurrentChange: it lost a race and there is no retrier around, or no run left.
    """
    if isolation not in (SERIALIZABLE, READ_COMMITTED):
        raise ValueError(f"unit_of_work: no isolation level {isolation!r}")
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("unit_of_work() entered with unflushed changes outside a unit")
        _end_read_transaction(session)
    token = _write_transaction.set(True)
    gate = write_gate(session)
    if gate is not None:
        gate.enter()  # before BEGIN IMMEDIATE: the writers queue here rather than poll SQLite's lock
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": isolation})
            if isolation == READ_COMMITTED:
                session.info[_READS_COMMITTED] = current_transaction(session)
        yield session
        session.commit()
    except BaseException as err:
        session.rollback()
        _run_rollback_actions(session)  # also when no statement had begun a transaction
        if lost_race(err):
            raise _lost(err) from err
        raise
    else:
        scope = _retry_scope.get()
        if scope is not None:
            scope.note_commit()
    finally:
        session.info.pop(_READS_COMMITTED, None)
        _write_transaction.reset(token)
        if gate is not None:
            gate.leave()


def as_loaded(session: Session, model: type[T], values: dict) -> T:
    """The object of ``model`` whose columns are ``values`` (by attribute name, the primary key at
    least), in ``session`` as a query that read them leaves it: persistent, unchanged, the columns
    not given loaded when first used, relationships loaded lazily. An object of the same identity
    already in the session is returned as it is, as a query returns it.

    For the hottest reads (the signed-in user on every request, a row a plain insert just made),
    where the ORM's loading of a row cost more than the statement: the caller reads the row with
    Core, through the session's connection. The object enters the session's identity map as the
    ORM's own loader puts it there (SQLAlchemy is pinned; tests/test_core.py checks the result
    against a query's)."""
    layout = _layout(model)
    return _attach(session, layout, [values[key] for key in layout.primary_key], lambda: values)


def loaded_from_row(session: Session, row, models: Iterable[type]) -> list:
    """The objects of ``models`` whose columns fill ``row`` one table after another, as a Core
    ``select(table_a, table_b, …)`` reads them (columns after the last table are left alone), each
    ``as_loaded``; None where a table's primary key is NULL (an outer join found no row)."""
    objects, start = [], 0
    for model in models:
        layout = _layout(model)
        ident = [row[start + i] for i in layout.primary_key_positions]
        if None in ident:
            objects.append(None)
        else:
            columns = row[start : start + len(layout.keys)]
            objects.append(_attach(session, layout, ident, functools.partial(_by_key, layout.keys, columns)))
        start += len(layout.keys)
    return objects


@dataclass(frozen=True)
class _Layout:
    mapper: object
    keys: tuple[str, ...]  # the columns' attribute names, in the table's order
    primary_key: tuple[str, ...]
    primary_key_positions: tuple[int, ...]
    columns: frozenset[str]


@functools.cache
def _layout(model) -> _Layout:
    mapper = sa_inspect(model)
    keys = tuple(mapper.get_property_by_column(column).key for column in mapper.local_table.columns)
    primary_key = tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
    positions = tuple(keys.index(key) for key in primary_key)
    return _Layout(mapper, keys, primary_key, positions, frozenset(prop.key for prop in mapper.column_attrs))


def _by_key(keys: tuple[str, ...], columns) -> dict:
    return dict(zip(keys, columns, strict=True))


def _attach(session: Session, layout: _Layout, ident: list, values: Callable[[], dict]):
    """The session's object of that identity, else a new one of ``values()`` (built only then: a
    user's row repeats for each of their roles)."""
    if isinstance(session, scoped_session):
        session = session()
    key = layout.mapper.identity_key_from_primary_key(ident)
    existing = session.identity_map.get(key)
    if existing is not None:
        return existing
    values = values()
    obj = layout.mapper.class_manager.new_instance()
    state = sa_inspect(obj)
    state.dict.update(values)  # as loaded: no change events, nothing to flush
    if len(values) < len(layout.columns):
        state._expire_attributes(state.dict, layout.columns.difference(values))
    state.key = key
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    return obj


def get_or_404(model, ident):
    """Load one object by primary key or abort with 404."""
    return db.get_or_404(model, ident)
