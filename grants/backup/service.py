"""flask backup / flask restore: one archive of the database, uploads, documents and secret key."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect

from grants.backup import database
from grants.backup.archive import ArchiveWriter, BackupError, Manifest, extract, verify
from grants.db import db
from grants.timeutil import now

SECRET_MEMBER = "instance/secret_key"  # noqa: S105 — a member name, not a secret
DOCUMENTS_FOLDER = "documents"  # grants.jobs.DOCUMENTS_FOLDER, under the instance folder


@dataclass
class RestoreSummary:
    manifest: Manifest
    files: int
    secret_key_path: Path

    @property
    def rows(self) -> int:
        return sum(self.manifest.row_counts.values())


@contextmanager
def _owner_only() -> Iterator[None]:
    """Everything created meanwhile (dump, archive, restored files) is readable by the owner only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _folders(app: Flask) -> dict[str, Path]:
    return {
        "uploads": Path(app.config["UPLOAD_DIR"]),
        DOCUMENTS_FOLDER: Path(app.instance_path) / DOCUMENTS_FOLDER,
    }


def _data_files(folder: Path) -> list[Path]:
    # Names starting with a dot are uploads still being written (".name.part"), not data yet.
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def default_archive_path(app: Flask) -> Path:
    return Path(app.instance_path) / "backups" / f"grants-backup-{now():%Y%m%d-%H%M%S}.tar.gz"


def create_backup(app: Flask, target: Path | None = None) -> tuple[Path, Manifest]:
    """Write one archive: a consistent database snapshot first, then uploads, documents, secret key.

    Raises:
        BackupError: the database cannot be dumped or the archive cannot be written.
    """
    target = target or default_archive_path(app)
    if target.exists():
        raise BackupError(f"{target} exists already: choose another file name")
    kind = database.database_kind(db.engine.url)
    created_at = now()
    with _owner_only(), tempfile.TemporaryDirectory(prefix="grants-backup-") as tmp:
        dump = Path(tmp) / "database"
        if kind == "sqlite":
            stats = database.dump_sqlite(Path(db.engine.url.database), dump)
        else:
            stats = database.dump_postgres(db.engine, dump)
        writer = ArchiveWriter(target)
        try:
            writer.add_file(database.MEMBERS[kind], dump)
            # After the snapshot: every attachment row in it had its file written before it was committed.
            for prefix, folder in _folders(app).items():
                for path in _data_files(folder):
                    writer.add_file(f"{prefix}/{path.relative_to(folder).as_posix()}", path)
            writer.add_bytes(SECRET_MEMBER, str(app.config["SECRET_KEY"]).encode())
            manifest = Manifest(
                created_at=created_at.isoformat(timespec="seconds"),
                database_kind=kind,
                database_file=database.MEMBERS[kind],
                alembic_revision=stats.alembic_revision,
                row_counts=stats.row_counts,
                money_sums=stats.money_sums,
            )
            return writer.finish(manifest), manifest
        except BaseException:
            writer.abort()
            raise


def _refusals(app: Flask, kind: str) -> tuple[list[str], bool]:
    """Why this instance is not empty (nothing when it is), and whether it has tables already."""
    problems = []
    for name, folder in _folders(app).items():
        if _data_files(folder):
            problems.append(f"the {name} folder {folder} holds files")
    has_tables = False
    if kind == "postgresql" or Path(db.engine.url.database).is_file():
        with db.engine.connect() as conn:
            has_tables = bool(inspect(conn).get_table_names())
            if full := database.tables_with_rows(conn):
                problems.append(
                    f"the database already holds data ({', '.join(full[:6])}{' …' if len(full) > 6 else ''})"
                )
    db.session.remove()
    db.engine.dispose()
    return problems, has_tables


def _check_stats(manifest: Manifest, stats: database.Snapshot) -> None:
    if stats.row_counts != manifest.row_counts or stats.money_sums != manifest.money_sums:
        differ = sorted(
            name
            for name in set(stats.row_counts) | set(manifest.row_counts)
            if stats.row_counts.get(name) != manifest.row_counts.get(name)
        ) + sorted(
            k
            for k in set(stats.money_sums) | set(manifest.money_sums)
            if stats.money_sums.get(k) != manifest.money_sums.get(k)
        )
        raise BackupError(f"the restored database differs from the manifest: {', '.join(differ[:8])}")


def restore_backup(app: Flask, archive: Path) -> RestoreSummary:
    """Check the archive, refuse a non-empty instance, restore the database, then the files.

    Raises:
        BackupError: damaged archive, another kind of database, or an instance that is not empty
            (nothing is changed in these cases).
    """
    manifest = verify(archive)
    kind = database.database_kind(db.engine.url)
    if manifest.database_kind != kind:
        raise BackupError(f"the archive holds a {manifest.database_kind} database; this instance uses {kind}")
    problems, has_tables = _refusals(app, kind)
    if problems:
        raise BackupError(
            "refusing to restore into an instance that is not empty: "
            + "; ".join(problems)
            + ". Restore into a new, empty database with empty uploads and documents folders."
        )
    with _owner_only(), tempfile.TemporaryDirectory(prefix="grants-restore-") as tmp:
        if kind == "sqlite":
            target = Path(db.engine.url.database)
            target.parent.mkdir(parents=True, exist_ok=True)
            copy = target.with_name(f".{target.name}.restore")
            try:
                extract(archive, manifest, {manifest.database_file: copy})
                _check_stats(manifest, database.check_sqlite_copy(copy))
                database.install_sqlite(copy, target)
            finally:
                copy.unlink(missing_ok=True)
        else:
            dump = Path(tmp) / "database"
            extract(archive, manifest, {manifest.database_file: dump})
            database.restore_postgres(db.engine, dump, drop_existing=has_tables)
            with db.engine.connect() as conn:
                _check_stats(manifest, database.snapshot_stats(conn))
        wanted = {}
        for prefix, folder in _folders(app).items():
            wanted.update({name: folder / name[len(prefix) + 1 :] for name in manifest.upload_names(prefix)})
        secret_key_path = Path(app.instance_path) / "secret_key"
        wanted[SECRET_MEMBER] = secret_key_path
        extract(archive, manifest, wanted)
    db.engine.dispose()
    return RestoreSummary(manifest=manifest, files=len(wanted) - 1, secret_key_path=secret_key_path)
