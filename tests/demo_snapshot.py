"""The demo (`flask seed-demo`), built once per test process and put back for each test that asks
for `demo_data`: the demo district takes a good part of a minute to build, a dozen tests read it.

Built as of one moment through grants.demo.seed_demo into an empty database; kept as the SQLite
file, or on PostgreSQL as every row and sequence (tests/world_snapshot.py's way), together with the
files it uploaded (agreement scans, receipts, photos). A test starts from exactly the database the
command would have built at that moment, and its upload folder holds the same files.
"""

from __future__ import annotations

import fcntl
import pickle
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grants import timeutil
from grants.db import db, unit_of_work
from tests import world_snapshot


@dataclass(frozen=True)
class DemoSnapshot:
    moment: datetime  # the demo was built as of this moment
    report: str  # what seed_demo said
    summary: dict  # grants.demo.summary() of the built demo
    uploads: Path  # the files it uploaded
    sqlite_path: str | None = None
    restore_sql: str | None = None


def _seed(app) -> tuple[datetime, str, dict]:
    from grants.demo import seed_demo, summary

    moment = timeutil.now()
    with app.app_context():
        with unit_of_work() as session:
            report = seed_demo(session, moment=moment)
        figures = summary(db.session)
        db.session.remove()
    return moment, report, figures


def build_sqlite(make_app, template: str, path: Path, uploads: Path) -> DemoSnapshot:
    shutil.copy(template, path)
    app = make_app(f"sqlite:///{path}", uploads)
    moment, report, figures = _seed(app)
    with app.app_context():
        db.engine.dispose()
    return DemoSnapshot(moment, report, figures, uploads, sqlite_path=str(path))


def build_postgres(make_app, url: str, reset_sql, uploads: Path) -> DemoSnapshot:
    """Build the demo in the (empty) test database, keep its rows and sequences, empty it again."""
    app = make_app(url, uploads)
    moment, report, figures = _seed(app)
    with app.app_context():
        restore_sql = world_snapshot.dump_postgres(reset_sql, "demo")
    return DemoSnapshot(moment, report, figures, uploads, restore_sql=restore_sql)


def shared(folder: Path, build) -> DemoSnapshot:
    """The snapshot kept in ``folder`` for every process of one run: built there by the first process
    that asks (``build(folder)``), read back by the others, who wait for it under a file lock."""
    folder.mkdir(exist_ok=True)
    kept = folder / "snapshot.pickle"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if kept.exists():
                return pickle.loads(kept.read_bytes())  # noqa: S301 (written by this run, just above)
            snapshot = build(folder)
            kept.write_bytes(pickle.dumps(snapshot))
            return snapshot
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def restore_files(snapshot: DemoSnapshot, upload_dir: Path) -> None:
    shutil.copytree(snapshot.uploads, upload_dir, dirs_exist_ok=True)
