"""The `world` fixture's rows, built once per test process and put back for each test that uses it.

Most tests start from `world` (two districts, their editions and eight users with roles): ~110
statements through the services on every test. It is built once through the same services into an
empty database, and what it left there is kept: on SQLite the database file itself (tests that use
`world` start from a copy of it instead of the empty one), on PostgreSQL every row as JSON and every
sequence's position, put back in one round trip. Either way a test starts from exactly the
database the fixture would have built, and gets the same objects (loaded by id in its session).
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

from grants.db import db
from tests import factories

DOLLAR_QUOTE = "$world_rows$"


@dataclass(frozen=True)
class WorldSnapshot:
    ids: dict[str, tuple[type, int]]  # World field -> (model, primary key)
    sqlite_path: str | None = None  # a database file holding the world (SQLite)
    restore_sql: str | None = None  # statements that put the rows back into an empty database (PostgreSQL)


def _build(app) -> dict[str, tuple[type, int]]:
    """Build the world through the factories (as the fixture does) and note its objects' ids."""
    with app.app_context():
        world = factories.Factories(db.session).world()
        objects = {field.name: getattr(world, field.name) for field in dataclasses.fields(world)}
        ids = {name: (type(obj), obj.id) for name, obj in objects.items()}
        db.session.remove()
    return ids


def build_sqlite(make_app, template: str, path: Path) -> WorldSnapshot:
    shutil.copy(template, path)
    app = make_app(f"sqlite:///{path}")
    ids = _build(app)
    with app.app_context():
        db.engine.dispose()
    return WorldSnapshot(ids=ids, sqlite_path=str(path))


def build_postgres(make_app, url: str, reset_sql) -> WorldSnapshot:
    """Build the world in the (empty) test database, keep its rows and sequences, empty it again."""
    app = make_app(url)
    ids = _build(app)
    with app.app_context():
        restore_sql = dump_postgres(reset_sql, "world")
    return WorldSnapshot(ids=ids, restore_sql=restore_sql)


def dump_postgres(reset_sql, what: str) -> str:
    """Statements that put every row and sequence of the app's database back into it once empty;
    the database is emptied (``reset_sql``). Runs in an app context."""
    statements = ["SET LOCAL synchronous_commit = off", "SET LOCAL session_replication_role = replica"]
    with db.engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.exec_driver_sql(f'SELECT json_agg(t)::text FROM "{table.name}" AS t').scalar()  # noqa: S608 (our table names)
            if rows is None:
                continue
            if DOLLAR_QUOTE in rows:
                raise RuntimeError(f"the {what}'s rows in {table.name} contain {DOLLAR_QUOTE}")
            statements.append(
                f'INSERT INTO "{table.name}" SELECT * FROM json_populate_recordset(NULL::"{table.name}", '  # noqa: S608
                f"{DOLLAR_QUOTE}{rows}{DOLLAR_QUOTE})"
            )
        sequences = conn.exec_driver_sql(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
        ).all()
        if sequences:
            statements.append(
                "SELECT " + ", ".join(f"setval('\"{name}\"', {value}, true)" for name, value in sequences)
            )
        conn.exec_driver_sql(reset_sql(conn))
    return "; ".join(statements)


def restore_postgres(snapshot) -> None:
    """Put the rows back (the database is empty: every test's teardown empties it)."""
    with db.engine.begin() as conn:
        # No parameters: the JSON's "%" must reach the server as they are.
        conn.execution_options(no_parameters=True).exec_driver_sql(snapshot.restore_sql)


def load(session, snapshot: WorldSnapshot) -> factories.World:
    """The world's objects in the test's session, committed and expired as the fixture left them."""
    by_model: dict[type, list[int]] = {}
    for model, pk in snapshot.ids.values():
        by_model.setdefault(model, []).append(pk)
    for model, pks in by_model.items():
        session.scalars(db.select(model).where(model.id.in_(pks))).all()
    world = factories.World(**{name: session.get(model, pk) for name, (model, pk) in snapshot.ids.items()})
    # Ends the transaction the loading opened (a reader's snapshot held on SQLite would make the
    # test's later writes fail as "database is locked"), and expires them as the fixture's commit did.
    session.commit()
    return world
