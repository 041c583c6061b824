"""Databases that many tests start from, built once per test process and put back for each test.

Most tests start from `world` (two districts, their editions and eight users with roles): ~110
statements through the services on every test. The demo (`flask seed-demo`: three editions,
grants, groups and their activities) takes seconds. Each is built once through the same services
into an empty database, and what it left there is kept: on SQLite the database file itself (a test
starts from a copy of it instead of the empty one), on PostgreSQL every row as JSON and every
sequence's position, put back in one round trip; the files it wrote (uploads, documents) are
copied into the test's own folders. Either way a test starts from exactly the database and files
the fixture would have built, and gets the same objects (loaded by id in its session).
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from grants.db import db
from tests import factories

DOLLAR_QUOTE = "$world_rows$"


FILE_FOLDERS = ("instance", "uploads")  # under the folder of the app's settings (tests/conftest.py)


@dataclass(frozen=True)
class WorldSnapshot:
    ids: dict[str, tuple[type, int]]  # World field -> (model, primary key); empty for the demo
    sqlite_path: str | None = None  # a database file holding the rows (SQLite)
    restore_sql: str | None = None  # statements that put the rows back into an empty database (PostgreSQL)
    files: str | None = None  # the folder holding what the builder wrote under FILE_FOLDERS
    values: dict[str, object] = dataclasses.field(default_factory=dict)  # fixture name -> value as ids


Builder = Callable[[], dict[str, tuple[type, int]]]  # runs in the app's context, returns ids to load


def build_world() -> dict[str, tuple[type, int]]:
    """Build the world through the factories (as the fixture does) and note its objects' ids."""
    world = factories.Factories(db.session).world()
    objects = {field.name: getattr(world, field.name) for field in dataclasses.fields(world)}
    return {name: (type(obj), obj.id) for name, obj in objects.items()}


def _build(app, builder: Builder) -> dict[str, tuple[type, int]]:
    with app.app_context():
        ids = builder()
        db.session.remove()
    return ids


def build_sqlite(make_app, template: str, path: Path, builder: Builder = build_world) -> WorldSnapshot:
    shutil.copy(template, path)
    app = make_app(f"sqlite:///{path}")
    ids = _build(app, builder)
    with app.app_context():
        db.engine.dispose()
    return WorldSnapshot(ids=ids, sqlite_path=str(path), files=str(path.parent))


def build_postgres(make_app, url: str, reset_sql, folder: Path, builder: Builder = build_world) -> WorldSnapshot:
    """Build in the (empty) test database, keep its rows and sequences, empty it again."""
    app = make_app(url)
    ids = _build(app, builder)
    with app.app_context(), db.engine.begin() as conn:
        restore_sql = _postgres_rows(conn)
        conn.exec_driver_sql(reset_sql(conn))
    return WorldSnapshot(ids=ids, restore_sql=restore_sql, files=str(folder))


def _postgres_rows(conn) -> str:
    """Statements that put every row and sequence position back into the emptied database."""
    statements = ["SET LOCAL synchronous_commit = off", "SET LOCAL session_replication_role = replica"]
    for table in db.metadata.sorted_tables:
        rows = conn.exec_driver_sql(f'SELECT json_agg(t)::text FROM "{table.name}" AS t').scalar()  # noqa: S608 (our table names)
        if rows is None:
            continue
        if DOLLAR_QUOTE in rows:
            raise RuntimeError(f"the rows in {table.name} contain {DOLLAR_QUOTE}")
        statements.append(
            f'INSERT INTO "{table.name}" SELECT * FROM json_populate_recordset(NULL::"{table.name}", '  # noqa: S608
            f"{DOLLAR_QUOTE}{rows}{DOLLAR_QUOTE})"
        )
    sequences = conn.exec_driver_sql(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
    ).all()
    if sequences:
        statements.append("SELECT " + ", ".join(f"setval('\"{name}\"', {value}, true)" for name, value in sequences))
    return "; ".join(statements)


def take(folder: Path, files_from: Path, values: dict[str, object], folders=FILE_FOLDERS) -> WorldSnapshot:
    """A snapshot of the test's database as it is now (committed), its files and fixture values."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in folders:
        if (files_from / name).is_dir():
            shutil.copytree(files_from / name, folder / name)
    kept = {name: _ids_of(value) for name, value in values.items()}
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            return WorldSnapshot(ids={}, restore_sql=_postgres_rows(conn), files=str(folder), values=kept)
    path = folder / "database.db"
    source = db.engine.raw_connection()
    try:
        target = sqlite3.connect(path)
        source.driver_connection.backup(target)  # consistent, WAL included
        target.close()
    finally:
        source.close()
    return WorldSnapshot(ids={}, sqlite_path=str(path), files=str(folder), values=kept)


def _ids_of(value):
    """A fixture's value with every row object replaced by (model, primary key)."""
    if isinstance(value, db.Model):
        return _Row(type(value), value.id)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), {f.name: _ids_of(getattr(value, f.name)) for f in dataclasses.fields(value)})
    if isinstance(value, list | tuple):
        return type(value)(_ids_of(v) for v in value)
    if isinstance(value, dict):
        return {k: _ids_of(v) for k, v in value.items()}
    return value


def load_value(session, kept, row):
    """The fixture's value again, each of its row objects made by ``row(model, primary key)``."""
    if isinstance(kept, _Row):
        return row(kept.model, kept.pk)
    if isinstance(kept, tuple) and len(kept) == 2 and isinstance(kept[0], type) and dataclasses.is_dataclass(kept[0]):
        return kept[0](**{name: load_value(session, v, row) for name, v in kept[1].items()})
    if isinstance(kept, list | tuple):
        return type(kept)(load_value(session, v, row) for v in kept)
    if isinstance(kept, dict):
        return {k: load_value(session, v, row) for k, v in kept.items()}
    return kept


def expired_value(session, kept):
    """The fixture's value again as its build leaves it once committed: each row in the test's session
    by its primary key alone, every other attribute expired (loaded on first use), and nothing else
    loaded along with it (a row already in the session is that row)."""

    def row(model, pk):
        found = session.identity_map.get(identity_key(model, pk))
        if found is not None:
            return found
        obj = model.__mapper__.class_manager.new_instance()
        obj.id = pk
        make_transient_to_detached(obj)
        session.add(obj)
        return obj

    return load_value(session, kept, row)


@dataclass(frozen=True)
class _Row:
    model: type
    pk: int


def restore_files(snapshot: WorldSnapshot, folder: Path) -> None:
    """Copy the files the builder wrote into a test's folder (the settings' folder of tests/conftest.py)."""
    for name in FILE_FOLDERS:
        source = Path(snapshot.files) / name
        if source.is_dir():
            shutil.copytree(source, folder / name, dirs_exist_ok=True)


def restore_postgres(snapshot: WorldSnapshot) -> None:
    """Put the world's rows back (the database is empty: every test's teardown empties it)."""
    with db.engine.begin() as conn:
        # No parameters: the JSON's "%" must reach the server as they are.
        conn.execution_options(no_parameters=True).exec_driver_sql(snapshot.restore_sql)


def load(session, snapshot: WorldSnapshot) -> factories.World:
    """The world's objects in the test's session, committed and expired as the fixture left them:
    by their ids alone, without a query (each is read on first use, as after the commit)."""
    return expired_value(session, (factories.World, {name: _Row(*pair) for name, pair in snapshot.ids.items()}))


def dump_postgres(reset_sql, what: str) -> str:
    """Statements that put every row and sequence of the app's database back into it once empty;
    the database is emptied (``reset_sql``). Runs in an app context."""
    with db.engine.begin() as conn:
        try:
            return _postgres_rows(conn)
        except RuntimeError as err:
            raise RuntimeError(f"{what}: {err}") from None
        finally:
            conn.exec_driver_sql(reset_sql(conn))
