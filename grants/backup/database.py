"""Consistent database snapshots and their restore: SQLite's online backup API, PostgreSQL's pg_dump.

The row counts and money sums of the manifest are read from the very snapshot that is archived
(the SQLite copy; the exported PostgreSQL snapshot pg_dump runs in), so they match it exactly
even while the server keeps writing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import column, create_engine, func, inspect, literal_column, select, table, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from grants.backup.archive import BackupError

SQLITE_MEMBER = "database/grants.sqlite3"
POSTGRES_MEMBER = "database/grants.pgdump"
MEMBERS = {"sqlite": SQLITE_MEMBER, "postgresql": POSTGRES_MEMBER}
# Holds the schema's revision, not data: a migrated but unused database is still empty.
BOOKKEEPING_TABLES = {"alembic_version"}


@dataclass
class Snapshot:
    row_counts: dict[str, int]
    money_sums: dict[str, int]
    alembic_revision: str | None


def database_kind(url: URL) -> str:
    """Raises: BackupError for a database other than SQLite or PostgreSQL."""
    kind = url.get_backend_name()
    if kind not in MEMBERS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {kind}")
    return kind


def snapshot_stats(conn: Connection) -> Snapshot:
    """Rows per table and Σ of every ``*_fen`` column, read in the connection's transaction."""
    inspector = inspect(conn)
    counts: dict[str, int] = {}
    sums: dict[str, int] = {}
    for name in sorted(inspector.get_table_names()):
        counts[name] = conn.scalar(select(func.count()).select_from(table(name)))
        for col in inspector.get_columns(name):
            if col["name"].endswith("_fen"):
                total = conn.scalar(select(func.coalesce(func.sum(column(col["name"])), 0)).select_from(table(name)))
                sums[f"{name}.{col['name']}"] = int(total)
    revision = None
    if "alembic_version" in counts:
        revision = ",".join(sorted(conn.scalars(text("SELECT version_num FROM alembic_version")).all())) or None
    return Snapshot(counts, sums, revision)


def tables_with_rows(conn: Connection) -> list[str]:
    """The data tables that hold at least one row (a restore refuses to overwrite them)."""
    full = []
    for name in sorted(inspect(conn).get_table_names()):
        if name not in BOOKKEEPING_TABLES and conn.scalar(
            select(literal_column("1")).select_from(table(name)).limit(1)
        ):
            full.append(name)
    return full


def _stats_of_file(path: Path) -> Snapshot:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return snapshot_stats(conn)
    finally:
        engine.dispose()


# --- SQLite ------------------------------------------------------------------------------------


def dump_sqlite(source: Path, dest: Path) -> Snapshot:
    """Copy a live SQLite database (WAL included) with the online backup API, in one step.

    One step (pages=-1) copies every page inside one read transaction: a consistent snapshot,
    while writers go on in the WAL.
    """
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
    except sqlite3.Error as err:
        raise BackupError(f"SQLite backup of {source} failed: {err}") from err
    finally:
        src.close()
    return _stats_of_file(dest)


def check_sqlite_copy(copy: Path) -> Snapshot:
    """The counts and sums of an extracted copy, before it replaces anything."""
    try:
        return _stats_of_file(copy)
    except Exception as err:
        raise BackupError(f"the database in the archive cannot be read: {err}") from err


def install_sqlite(copy: Path, target: Path) -> None:
    """Move the checked copy into place (same folder, so the rename is atomic)."""
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.chmod(copy, 0o600)
    os.replace(copy, target)


# --- PostgreSQL --------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client (Debian: postgresql-client)")
    return path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the tools; the password goes in the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 — our own argv
    if result.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def dump_postgres(engine: Engine, dest: Path) -> Snapshot:
    """pg_dump (custom format) inside an exported snapshot that the counts are read in too."""
    pg_dump = _tool("pg_dump")
    conninfo, env = _libpq(engine.url)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            snapshot_id = conn.scalar(text("SELECT pg_export_snapshot()"))
            stats = snapshot_stats(conn)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={dest}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
    return stats


def restore_postgres(engine: Engine, dump: Path, *, drop_existing: bool) -> None:
    """pg_restore in one transaction; ``drop_existing`` first drops the (empty) tables of a migrated database."""
    pg_restore = _tool("pg_restore")
    conninfo, env = _libpq(engine.url)
    args = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if drop_existing:
        args += ["--clean", "--if-exists"]
    _run([*args, f"--dbname={conninfo}", str(dump)], env)
