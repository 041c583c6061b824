"""Shared fixtures: a migrated database per test (SQLite or PostgreSQL), clients, factories.

The whole suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Schemas are built by running the Alembic migrations (never create_all), so every test also
exercises them; test_migrations.py checks they match the models exactly.
"""

from __future__ import annotations

import contextvars
import gc
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
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from itsdangerous import URLSafeTimedSerializer
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, event, text
from werkzeug.routing import Rule

from grants import create_app, timeutil
from grants.db import db
from tests import demo_snapshot, factories, world_snapshot

# Property tests run on shared, loaded machines (two pytest-xdist workers, browsers beside them): a
# draw that waits seconds for the CPU measures the machine, not the strategy. Hypothesis's checks on
# what is generated stay; its wall-clock ones (deadline, too_slow) are off for the whole suite.
hypothesis_settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.load_profile("shared-machine")


def _per_worker_services() -> None:
    """Give each pytest-xdist worker its own PostgreSQL database and Redis database.

    Tests drop and recreate the schema of the database they run on and flush what they write
    to Redis, so two workers must never share either. Worker gwN runs on database <name>_gwN
    (created here when missing) and on Redis database B - N, B being TEST_REDIS_URL's; the
    environment is updated so that subprocesses and helpers reading TEST_DATABASE_URL/TEST_REDIS_URL agree.
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
    # Counting down from TEST_REDIS_URL's database (the tests' default 15 when unset: gw0 on 15,
    # gw1 on 14), so that runs given different databases (e.g. /15 and /7) never share one.
    base, _slash, first = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rpartition("/")
    number = int(first or 0) - index
    if number < 0:
        raise RuntimeError(f"TEST_REDIS_URL {base}/{first}: no Redis database left for worker {worker}")
    os.environ["TEST_REDIS_URL"] = f"{base}/{number}"


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


def _send_multipart_as_browsers_do() -> None:
    """werkzeug's test client writes an empty form field as its headers and then the next boundary,
    one line break short of what browsers send (RFC 7578: the headers, a blank line, the empty
    value, then the boundary). werkzeug's parser reads both; the app's (grants.formdata) reads what
    browsers send, so the test client sends that."""
    from werkzeug.sansio import multipart as encoding

    send_event = encoding.MultipartEncoder.send_event

    def send_event_as_browsers(self, event):
        if isinstance(event, encoding.Data) and self.state == encoding.State.DATA_START and not event.data:
            self.state = encoding.State.DATA
            return b"\r\n"
        return send_event(self, event)

    encoding.MultipartEncoder.send_event = send_event_as_browsers


_send_multipart_as_browsers_do()


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
        # No limit on the requests of one process running at once: the race tests overlap their
        # requests inside the test process (tests/main/test_slots.py tests the limit; e2e serves with it).
        "REQUEST_SLOTS": 0,
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


# The longest tests run first (browser walks, the stateful property tests, the concurrent-request
# races), the rest after them in file order: a parallel run then ends on short tests, with every
# worker busy to the end, instead of one worker still running a minute-long walk alone.
_SLOW_FIRST = (
    "tests/e2e/test_phone_a11y_e2e.py::test_every_page",
    "tests/e2e/test_judging_e2e.py",
    "test_stateful.py",
    "tests/e2e/",
    "_races.py",
)


# The first test of a process that reads the demo also builds it (tests/demo_snapshot.py): a good
# part of a minute, several on a loaded machine. Those tests get that much more time.
DEMO_BUILD_SECONDS = 600


def pytest_collection_modifyitems(config, items) -> None:
    def rank(item) -> int:
        return next((i for i, part in enumerate(_SLOW_FIRST) if part in item.nodeid), len(_SLOW_FIRST))

    items.sort(key=rank)
    default = float(config.getoption("timeout", default=None) or config.getini("timeout") or 0)
    for item in items:
        if {"demo_data", "demo_template"} & set(getattr(item, "fixturenames", ())):
            marker = item.get_closest_marker("timeout")
            seconds = float(marker.args[0]) if marker and marker.args else default
            if seconds:
                item.add_marker(pytest.mark.timeout(seconds + DEMO_BUILD_SECONDS))


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


# Every test builds its own app (create_app), and with it ~160 URL rules and a Jinja environment
# that starts with no compiled template. Two things are the same for every app of the run and are
# kept for the whole run instead of being made again per test (~0.1 s of CPU a test each):
#
# - the Python functions werkzeug generates and compiles to build each rule's URLs (a pure function
#   of the rule's text, parsed parts and defaults; the rule itself is passed in as `self`);
# - the code each template compiles to (keyed by template, its source's checksum and the
#   environment's extensions, which are the same for every test app).
_rule_builders: dict[tuple, object] = {}
_compile_builder = Rule._compile_builder


def _kept_rule_builder(self: Rule, append_unknown: bool = True):
    key = (self.rule, self.host, self.subdomain, tuple(self._trace), repr(sorted((self.defaults or {}).items())))
    key += (append_unknown, self.merge_slashes)
    if key not in _rule_builders:
        _rule_builders[key] = _compile_builder(self, append_unknown)
    return _rule_builders[key]


Rule._compile_builder = _kept_rule_builder

# Parsing a rule's text into its matching parts (regular expressions, weights) is the other half of
# a rule's compilation, also the same for every app of the run. What a parse did to the rule (trace,
# arguments, converters) is recorded once and replayed; converters are made anew for each app's map.
_rule_parses: dict[tuple, tuple[list, list, list]] = {}
_parse_rule = Rule._parse_rule


def _kept_parse_rule(self: Rule, rule: str):
    key = (rule, tuple(self.map.converters.items()))
    if key not in _rule_parses:
        trace_from = len(self._trace)
        made: list[tuple] = []
        get_converter = self.get_converter

        def recording(variable, name, args, kwargs):
            made.append((variable, name, args, kwargs))
            return get_converter(variable, name, args, kwargs)

        self.get_converter = recording
        try:
            parts = list(_parse_rule(self, rule))
        finally:
            del self.get_converter
        _rule_parses[key] = (parts, self._trace[trace_from:], made)
        return parts
    parts, trace, made = _rule_parses[key]
    for variable, name, args, kwargs in made:
        self._converters[variable] = self.get_converter(variable, name, args, kwargs)
        self.arguments.add(variable)
    self._trace.extend(trace)
    return parts


Rule._parse_rule = _kept_parse_rule


class _KeptTemplateCode(BytecodeCache):
    """Compiled templates shared by the run's apps: code objects in memory, checked by source checksum."""

    def __init__(self) -> None:
        self._code: dict[tuple, object] = {}

    def _key(self, bucket) -> tuple:
        env = bucket.environment
        return (bucket.key, bucket.checksum, tuple(sorted(env.extensions)), getattr(env, "newstyle_gettext", None))

    def load_bytecode(self, bucket) -> None:
        bucket.code = self._code.get(self._key(bucket))

    def dump_bytecode(self, bucket) -> None:
        self._code[self._key(bucket)] = bucket.code


_template_code = _KeptTemplateCode()


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


_WORLD = pytest.StashKey[world_snapshot.WorldSnapshot]()


def _snapshot(database_template, tmp_path_factory, name: str, builder) -> world_snapshot.WorldSnapshot:
    tmp = tmp_path_factory.mktemp(name)

    def make_app(url: str):
        return create_app(_base_config(tmp, url))

    if IS_POSTGRES:
        return world_snapshot.build_postgres(make_app, TEST_DATABASE_URL, _postgres_reset_sql, tmp, builder)
    return world_snapshot.build_sqlite(make_app, database_template, tmp / f"{name}.db", builder)


@pytest.fixture(scope="session")
def world_template(database_template, tmp_path_factory) -> world_snapshot.WorldSnapshot:
    """The `world` fixture's database, built once per test process (see tests/world_snapshot.py)."""
    return _snapshot(database_template, tmp_path_factory, "world", world_snapshot.build_world)


# The figures tests' generated districts (tests/figures): each built on the world alone, never
# used with the judging chain or with one another.
FIGURES_CHAIN = ("figures_district", "links_district", "district_records", "annual_district")
# Fixtures built on one another (tests/judging/conftest.py, tests/results/conftest.py), the
# furthest last, the journey's story (tests/journey/conftest.py: on scoring, never used with the
# later ones), then the figures' districts: a test's database starts from the furthest of them
# it uses, once one test of this process has built it (see `chained`).
CHAIN = ("scoring", "assigned", "final_closed", "awarded", "published", "story", *FIGURES_CHAIN)
_CHAIN = pytest.StashKey[tuple[str | None, world_snapshot.WorldSnapshot | None, dict]]()
_chain_snapshots: dict[str, world_snapshot.WorldSnapshot] = {}


@pytest.fixture(scope="session")
def demo_template(database_template, tmp_path_factory) -> demo_snapshot.DemoSnapshot:
    """The `demo_data` fixture's database and files, built once per test process (see tests/demo_snapshot.py)."""
    tmp = tmp_path_factory.mktemp("demo")

    def make_app(url: str, uploads: Path):
        return create_app({**_base_config(tmp, url), "UPLOAD_DIR": str(uploads)})

    def build(folder: Path) -> demo_snapshot.DemoSnapshot:
        if IS_POSTGRES:
            return demo_snapshot.build_postgres(make_app, TEST_DATABASE_URL, _postgres_reset_sql, folder / "uploads")
        return demo_snapshot.build_sqlite(make_app, database_template, folder / "demo.db", folder / "uploads")

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(tmp)
    # The run's workers share one build: the first to ask builds it, the others wait and read it
    # (a build takes the better part of a minute of a core that the waiting worker leaves free).
    return demo_snapshot.shared(tmp_path_factory.getbasetemp().parent / "demo", build)


@pytest.fixture
def app(database_template, tmp_path, request):
    # A test that uses `demo_data` starts from the demo's rows and files; one that uses a fixture of
    # CHAIN from that fixture's rows and files (once built); one that uses `world` (directly or
    # through other fixtures) from the world's rows.
    target = next((name for name in reversed(CHAIN) if name in request.fixturenames), None)
    chained = _chain_snapshots.get(target)
    demo = request.getfixturevalue("demo_template") if "demo_data" in request.fixturenames else None
    world = None
    if demo is None and "world" in request.fixturenames:
        world = chained or request.getfixturevalue("world_template")
    start = demo or world
    request.node.stash[_CHAIN] = (target, chained, {})
    # What the database holds, for `kept`: the world's rows until a statement writes anything.
    state = _DatabaseState("world" if world is not None and chained is None else None)
    request.node.stash[_STATE] = state
    if IS_POSTGRES:
        url = TEST_DATABASE_URL
    else:
        path = request.getfixturevalue("sqlite_path")
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(start.sqlite_path if start else database_template, path)
        url = f"sqlite:///{path}"
    if world is not None and world.files:
        world_snapshot.restore_files(world, tmp_path)
    app = create_app(_base_config(tmp_path, url))
    app.jinja_env.bytecode_cache = _template_code
    app.test_client_class = CSRFClient
    with app.app_context():
        if start and IS_POSTGRES:
            world_snapshot.restore_postgres(start)
        if world is not None:  # a chain's snapshot is built on the world: its objects have the world's ids
            request.node.stash[_WORLD] = world if world.ids else request.getfixturevalue("world_template")
        if demo:
            demo_snapshot.restore_files(demo, Path(app.config["UPLOAD_DIR"]))
        event.listen(db.engine, "before_cursor_execute", state.note)
        yield app
        event.remove(db.engine, "before_cursor_execute", state.note)
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
def chained(request, session, tmp_path):
    """chained(name, build): the value of the CHAIN fixture ``name`` — loaded from the snapshot the
    test's database started from, or built; the furthest one a test uses, once built and committed,
    is kept (database, files, the values of the chain's fixtures) for the next tests that use it.
    Fixture values are made of rows, lists, tuples and dataclasses."""

    def run(name: str, build):
        target, snapshot, built = request.node.stash[_CHAIN]
        if snapshot is not None and name in snapshot.values:
            return world_snapshot.expired_value(session, snapshot.values[name])
        value = build()
        built[name] = value
        if name == target and name not in _chain_snapshots:
            session.commit()
            folder = tmp_path.parent / f"chain-{name}-{os.getpid()}"
            _chain_snapshots[name] = world_snapshot.take(folder, tmp_path, built)
        return value

    return run


_STATE = pytest.StashKey["_DatabaseState"]()
_READS = ("SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SHOW")
# What differs between two builds anyway: times, salts and random names, the factories' counters.
_TIMES = re.compile(
    r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(\+00:00)?"|\$argon2id\$[^"]*|scan-[0-9a-f]{16}|"[0-9a-f]{32}"|user[0-9]+|"invoice_no":"[0-9]{8}"'
)
_kept_snapshots: dict[tuple, world_snapshot.WorldSnapshot] = {}


class _DatabaseState:
    """What the test's database holds as far as `kept` knows: a token (the world, then each kept
    fixture put back or built on it), or None once any other statement has written to it."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def note(self, conn, cursor, statement, parameters, context, executemany) -> None:
        head = statement.lstrip()[:8].upper()
        if not head.startswith(_READS) or "SETVAL(" in statement.upper():
            self.token = None


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(f.relative_to(folder)): (f.stat().st_size, f.stat().st_mtime_ns) for f in folder.rglob("*") if f.is_file()
    }


@pytest.fixture
def kept(request, session, tmp_path):
    """kept(name, build): a fixture's value built by ``build`` (which must commit what it writes),
    or, when this process already built it on the very same database, the database (and uploaded
    files) it left put back and its value loaded by id.

    "The very same database" is checked, not assumed: the test must have started from the world
    and nothing may have written to it since, other than kept fixtures put back in the same order
    (any other write, e.g. a fixture set up before this one, makes ``build`` run as it always did).
    The key also holds the local date, so rows made on the day the build ran never meet a test
    of the next day. Values are made of rows, lists, tuples, dicts and dataclasses."""

    def run(name: str, build):
        state = request.node.stash[_STATE]
        if "query_counter" in request.fixturenames:
            # Which statements a reload issues depends on how the session last loaded a row (a build's
            # services leave their own loading options on it): a test that counts them builds.
            state.token = None
            return build()
        key = (name, state.token, timeutil.today())
        snapshot = _kept_snapshots.get(key) if state.token else None
        if snapshot is not None and os.environ.get("KEPT_VERIFY") and IS_POSTGRES:
            _verify(snapshot, build)
        if snapshot is not None:
            _put_back(snapshot)
            state.token = f"{name} on {key[1]}"
            value = world_snapshot.expired_value(session, snapshot.values[name])
            return value
        token = state.token
        files_before = _files(tmp_path / "instance")
        value = build()
        if token is None or _files(tmp_path / "instance") != files_before:
            return value  # built on another database, or wrote what a snapshot does not keep (jobs, documents)
        session.commit()
        folder = tmp_path.parent / f"kept-{len(_kept_snapshots)}-{os.getpid()}"
        _kept_snapshots[key] = world_snapshot.take(folder, tmp_path, {name: value}, folders=("uploads",))
        state.token = f"{name} on {token}"
        return value

    def _verify(snapshot: world_snapshot.WorldSnapshot, build) -> None:
        """KEPT_VERIFY=1 (PostgreSQL): build as well, and compare every row (in any order) with the snapshot's."""
        build()
        session.commit()
        with db.engine.begin() as conn:
            built = world_snapshot._postgres_rows(conn)
        built, kept_sql = (
            [sorted(re.split(r", \n |(?<=\$\[)|(?=\]\$)", part)) for part in _TIMES.sub("T", sql).split("; ")]
            for sql in (built, snapshot.restore_sql)
        )
        differ = [(a, b) for a, b in zip(built, kept_sql, strict=False) if a != b]
        assert not differ and len(built) == len(kept_sql), f"kept: the snapshot differs: {differ[:1]}"

    def _put_back(snapshot: world_snapshot.WorldSnapshot) -> None:
        session.commit()
        if IS_POSTGRES:
            with db.engine.begin() as conn:  # emptied and filled again in one round trip
                sql = f"{_postgres_reset_sql(conn)}; {snapshot.restore_sql}"
                conn.execution_options(no_parameters=True).exec_driver_sql(sql)
        else:
            db.engine.dispose()
            path = Path(db.engine.url.database)
            for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
            shutil.copy(snapshot.sqlite_path, path)
        world_snapshot.restore_files(snapshot, tmp_path)

    return run


@pytest.fixture
def demo_data(app, demo_template) -> demo_snapshot.DemoSnapshot:
    """The demo as `flask seed-demo` builds it (as of the moment the run built it once)."""
    return demo_template


@pytest.fixture
def world(make, request):
    """Two districts with their own streets, communities, editions and role holders."""
    snapshot = request.node.stash.get(_WORLD, None)
    if snapshot is None:  # asked for while the test runs (getfixturevalue): built as it always was
        return make.world()
    return world_snapshot.load(make.session, snapshot)


def first_arguments(monkeypatch, owner, name: str) -> list:
    """The first argument of every call of ``owner.name`` from now on, in order; the calls still
    run as before (the test's monkeypatch puts the original back)."""
    calls: list = []
    real = getattr(owner, name)

    def recording(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return calls


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


@pytest.fixture
def reencoding(monkeypatch) -> list[bool]:
    """Whether a write transaction was open each time a photo was re-encoded: a view checks its
    uploads before its write transaction (grants/uploads.py), as re-encoding a phone's photo takes
    a good fraction of a second in which SQLite's one write lock would be held."""
    from grants import db as grants_db
    from grants.proposals import attachments

    seen: list[bool] = []
    reencode = attachments.reencode_image

    def watched(data, *args, **kwargs):
        seen.append(grants_db._write_transaction.get())
        return reencode(data, *args, **kwargs)

    monkeypatch.setattr(attachments, "reencode_image", watched)
    return seen


def pytest_collection_finish(session):
    """Python's cyclic collector, tuned for a test process (the app's processes keep the defaults).

    A test process holds every module, the snapshots and hundreds of thousands of long-lived
    objects; with the default thresholds (700, 10, 10) the collector went over them again and
    again while each test built an app and its ORM rows, a quarter of the time of tests/org and
    tests/auth. What exists once the tests are collected is set aside for good (``freeze``), and
    the young generation is collected every 20,000 allocations instead of 700. Reference counting
    frees everything as before; only cycles wait a little longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
