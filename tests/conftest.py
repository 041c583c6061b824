"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL), clients, factories.

The whole suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Schemas are built by running the Alembic migrations (never create_all), so every test also
exercises them; test_migrations.py checks they match the models exactly.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, text

from grants import create_app
from grants.db import db
from tests import factories


def _per_worker_services() -> None:
    """Give each pytest-xdist worker its own PostgreSQL database and Redis database.

    Tests drop and recreate the schema of the database they run on and flush what they write
    to Redis, so two workers must never share either. Worker gwN runs on database <name>_gwN
    (created here when missing) and on Redis database 15 - N; the environment is updated so
    that subprocesses and helpers reading TEST_DATABASE_URL/TEST_REDIS_URL agree.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    index = int(worker[2:])
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith("postgresql"):
        base, _slash, name = url.rpartition("/")
        name, _q, query = name.partition("?")
        worker_name = f"{name}_{worker}"
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": worker_name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{worker_name}"'))
            # A throwaway database: a commit need not wait for the disk (locks and isolation are
            # unchanged; only durability after a crash of the server is given up).
            conn.execute(text(f'ALTER DATABASE "{worker_name}" SET synchronous_commit = off'))
        engine.dispose()
        os.environ["TEST_DATABASE_URL"] = f"{base}/{worker_name}" + (f"?{query}" if query else "")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if redis_url:
        base, _slash, _db = redis_url.rpartition("/")
        os.environ["TEST_REDIS_URL"] = f"{base}/{15 - index}"


_per_worker_services()
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _compile_translations() -> None:
    """Compile the catalogues when a .po is newer than its .mo (make does it too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "grants" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as src, mo.open("wb") as dst:
                write_mo(dst, read_po(src))


_compile_translations()


def _base_config(tmp_path: Path, database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        # argon2id stays the algorithm; only its cost is lowered so the suite stays fast.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "SERVER_NAME": None,
    }


def _migrate(database_url: str, tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(_base_config(tmp_path, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory) -> str:
    """Migrate an empty database once per run; tests get copies (SQLite) or truncation (PostgreSQL)."""
    tmp = tmp_path_factory.mktemp("db")
    if IS_POSTGRES:
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(TEST_DATABASE_URL, tmp)
        return TEST_DATABASE_URL
    path = tmp / "template.db"
    _migrate(f"sqlite:///{path}", tmp)
    return str(path)


class CSRFClient(FlaskClient):
    """A test client that behaves like a browser between requests.

    Each request runs in its own application context (own ``g``, own database session), as
    in production, instead of inside the test's context; the test's session is committed
    before and after, so requests see the test's setup and the test sees their changes.
    Forms send the CSRF token like a browser does (``csrf=False`` to omit it).
    """

    _token: str | None = None

    def open(self, *args, **kwargs):
        outer = has_app_context()
        if outer:
            db.session.commit()

        def in_fresh_app_context():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        response = contextvars.copy_context().run(in_fresh_app_context)
        if outer:
            db.session.commit()
        return response

    def csrf_token(self) -> str:
        """A valid token for this client's session, made as Flask-WTF makes it (public pages carry none)."""
        if self._token is None:
            with self.session_transaction() as sess:
                raw = sess.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())  # noqa: S324 (Flask-WTF's own recipe)
            self._token = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)
        return self._token

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


# One engine per database URL for the whole run: SQLAlchemy caches compiled SQL per engine (per
# dialect), so a fresh engine per test compiled every statement again, a large share of the run.
_engines: dict[str, object] = {}
_make_engine = db._make_engine


def _shared_engine(bind_key, options, app):
    url = str(options["url"])
    if url not in _engines:
        _engines[url] = _make_engine(bind_key, options, app)
    return _engines[url]


db._make_engine = _shared_engine


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory) -> Path:
    """The one SQLite file tests run on (a fresh copy of the migrated template for each test)."""
    return tmp_path_factory.mktemp("live") / "test.db"


_reset_sql: list[str] = []


def _postgres_reset_sql(conn) -> str:
    """Empty every table and restart every sequence, in one round trip.

    TRUNCATE took ~0.3 s a test (it replaces and syncs every table's files); DELETE of a few
    rows takes a millisecond. Triggers are off for the cleanup (replica role, as the suite's
    superuser), so tables that refuse DELETE to the application (append-only ledgers) are
    emptied too and foreign keys need no order.
    """
    if not _reset_sql:
        sequences = conn.exec_driver_sql("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").scalars()
        statements = ["SET LOCAL synchronous_commit = off", "SET LOCAL session_replication_role = replica"]
        statements += [f'DELETE FROM "{t.name}"' for t in reversed(db.metadata.sorted_tables)]  # noqa: S608 (our table names)
        restarts = [f"setval('\"{name}\"', 1, false)" for name in sequences]
        if restarts:
            statements.append("SELECT " + ", ".join(restarts))
        _reset_sql.append("; ".join(statements))
    return _reset_sql[0]


@pytest.fixture
def app(database_template, tmp_path, request):
    if IS_POSTGRES:
        url = TEST_DATABASE_URL
    else:
        path = request.getfixturevalue("sqlite_path")
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(database_template, path)
        url = f"sqlite:///{path}"
    app = create_app(_base_config(tmp_path, url))
    app.test_client_class = CSRFClient
    with app.app_context():
        yield app
        db.session.remove()
        if IS_POSTGRES:
            with db.engine.begin() as conn:
                conn.exec_driver_sql(_postgres_reset_sql(conn))
        else:
            db.engine.dispose()  # the next test replaces the file: no connection may outlive it


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def login_as(client):
    """login_as(user): the client's next requests are made as this user."""

    def _login(user):
        client._token = None
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return client

    return _login


@pytest.fixture
def make(session):
    """Factories bound to the test session: make.user(...), make.edition(...), ..."""
    return factories.Factories(session)


@pytest.fixture
def world(make):
    """Two districts with their own streets, communities, editions and role holders."""
    return make.world()


@contextmanager
def count_queries(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _record)


@pytest.fixture
def query_counter(app):
    return lambda: count_queries(db.engine)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
