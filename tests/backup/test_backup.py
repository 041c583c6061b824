"""flask backup / flask restore: one archive, restored whole into an empty instance, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import tarfile
import threading
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.backup import database, service
from grants.backup.archive import BackupError
from grants.db import db, unit_of_work
from grants.org import service as org_service
from grants.org.models import District
from grants.proposals import attachments
from grants.proposals.models import Attachment
from tests.backup.conftest import IS_POSTGRES


def _stats():
    with db.engine.connect() as conn:
        return database.snapshot_stats(conn)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _photo(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), color).save(buffer, "PNG")
    return buffer.getvalue()


def _attach(session, proposal, applicant, color: str) -> Attachment:
    attachment = attachments.add_attachment(
        session,
        actor=applicant,
        proposal=proposal,
        upload=attachments.Upload(f"{color}.png", _photo(color), 10**7),
        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        max_count=10,
    )
    session.commit()
    return attachment


def _attachment_hashes(upload_dir: Path) -> dict[str, str]:
    """stored name → (recorded sha256, sha256 of the file on disk) for every attachment row."""
    rows = db.session.execute(select(Attachment.stored_name, Attachment.sha256)).all()
    return {name: (recorded, _sha256(upload_dir / name)) for name, recorded in rows}


@pytest.fixture
def demo_instance(app, session, make, demo_data):
    """The whole demo (three editions, scores, notices, grants, groups) plus attachments and a generated document."""
    world = make.world()
    for color in ("red", "green", "blue"):
        applicant = make.user(community=world.community_a)
        _attach(session, make.proposal(world.edition_a, applicant), applicant, color)
    documents = Path(app.instance_path) / "documents"
    documents.mkdir(parents=True)
    (documents / "certificates-1.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    return app


def test_round_trip_restores_every_row_money_sum_file_and_the_secret_key(demo_instance, fresh_instance, tmp_path):
    source_stats = _stats()
    source_hashes = _attachment_hashes(Path(current_app.config["UPLOAD_DIR"]))
    assert source_stats.money_sums["proposals.requested_fen"] > 0 and source_stats.money_sums["grants.approved_fen"] > 0
    # three proposal attachments, plus the demo's agreement scans, receipts and report photos
    assert len(source_hashes) > 3 and all(recorded == on_disk for recorded, on_disk in source_hashes.values())

    archive, manifest = service.create_backup(current_app, tmp_path / "backup.tar.gz")

    assert _mode(archive) == 0o600
    assert manifest.database_kind == ("postgresql" if IS_POSTGRES else "sqlite")
    assert manifest.row_counts == source_stats.row_counts and manifest.money_sums == source_stats.money_sums
    assert manifest.alembic_revision == source_stats.alembic_revision is not None
    fresh = fresh_instance()
    with fresh.app_context():
        summary = service.restore_backup(fresh, archive)
        restored = _stats()
        restored_hashes = _attachment_hashes(Path(fresh.config["UPLOAD_DIR"]))
        restored_secret = (Path(fresh.instance_path) / "secret_key").read_text()
        db.session.remove()
    assert restored.row_counts == source_stats.row_counts
    assert all(count > 0 for name, count in restored.row_counts.items() if name in {"users", "grants", "scores"})
    assert restored.money_sums == source_stats.money_sums
    assert restored.alembic_revision == source_stats.alembic_revision
    assert restored_hashes == source_hashes
    assert restored_secret == current_app.config["SECRET_KEY"]
    assert (Path(fresh.instance_path) / "documents" / "certificates-1.zip").read_bytes().startswith(b"PK")
    assert summary.files == len(source_hashes) + 1 and summary.rows == sum(source_stats.row_counts.values())
    assert _mode(Path(fresh.instance_path) / "secret_key") == 0o600
    assert all(_mode(p) == 0o600 for p in Path(fresh.config["UPLOAD_DIR"]).iterdir())
    if not IS_POSTGRES:
        assert _mode(Path(fresh.instance_path) / "grants.db") == 0o600


def _district_entries():
    return select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "district.create")


def test_backup_taken_while_writes_go_on_is_one_consistent_moment(app, session, world, fresh_instance, tmp_path):
    """A writer adds a district and its audit entry in each transaction; the archive holds whole ones."""
    session.commit()
    districts_before = session.scalar(select(func.count()).select_from(District))
    created_before = session.scalar(_district_entries())
    stop, committed = threading.Event(), []

    def writer():
        with app.app_context():
            while not stop.is_set() and len(committed) < 2000:
                with unit_of_work() as uow:
                    org_service.create_district(uow, actor=None, name=f"并发区{len(committed)}")
                committed.append(1)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(committed) < 5:
            stop.wait(0.01)
        started_at = len(committed)
        if not IS_POSTGRES:  # the latest commits are still only in the WAL, which a file copy would miss
            assert Path(f"{db.engine.url.database}-wal").stat().st_size > 0
        archive, manifest = service.create_backup(current_app, tmp_path / "during-writes.tar.gz")
        ended_at = len(committed)
        while len(committed) < ended_at + 5 and thread.is_alive():
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    assert ended_at > started_at, "the writer committed while the backup ran"

    fresh = fresh_instance()
    with fresh.app_context():
        service.restore_backup(fresh, archive)
        restored = _stats()
        districts = db.session.scalar(select(func.count()).select_from(District))
        created = db.session.scalar(_district_entries())
        db.session.remove()
    assert restored.row_counts == manifest.row_counts
    assert districts - districts_before > 0
    assert districts < districts_before + len(committed)  # taken before the writer's last commits
    assert created - created_before == districts - districts_before  # every district with its entry


def test_restore_into_a_migrated_but_unused_database_replaces_its_empty_tables(demo_instance, fresh_instance, tmp_path):
    from flask_migrate import upgrade

    archive, manifest = service.create_backup(current_app, tmp_path / "backup.tar.gz")
    fresh = fresh_instance()
    with fresh.app_context():
        upgrade()  # `flask db upgrade` on the new instance: tables, no data
        assert _stats().row_counts["alembic_version"] == 1 and _stats().row_counts["users"] == 0
        db.engine.dispose()
        service.restore_backup(fresh, archive)
        restored = _stats()
        db.session.remove()
    assert restored.row_counts == manifest.row_counts and restored.money_sums == manifest.money_sums


def test_restore_into_an_instance_with_data_is_refused_and_changes_nothing(demo_instance, fresh_instance, tmp_path):
    archive, _manifest = service.create_backup(current_app, tmp_path / "backup.tar.gz")
    before = _stats()
    with pytest.raises(BackupError, match=r"not empty.*database already holds data"):
        service.restore_backup(current_app, archive)
    assert _stats() == before

    fresh = fresh_instance()
    stray = Path(fresh.config["UPLOAD_DIR"]) / "somebody-elses.pdf"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"%PDF-1.4 keep me")
    with fresh.app_context():
        with pytest.raises(BackupError, match=r"uploads folder .* holds files"):
            service.restore_backup(fresh, archive)
        assert _stats().row_counts.get("users", 0) == 0
        db.session.remove()
    assert sorted(p.name for p in stray.parent.iterdir()) == ["somebody-elses.pdf"]


def _rewritten(archive: Path, target: Path, *, tamper: bool = False, extra: tarfile.TarInfo | None = None) -> Path:
    """A copy of the archive with, when asked, every upload's last byte changed (the manifest left as
    it was), and ``extra`` (3 bytes if a file) added after the others, as a foreign archive holds."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if tamper and member.name.startswith("uploads/"):
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            dst.addfile(member, io.BytesIO(data))
        if extra is not None:
            dst.addfile(extra, io.BytesIO(b"abc") if extra.isfile() else None)
    return target


def test_members_the_platform_never_writes_are_refused_as_damaged(demo_instance, fresh_instance, tmp_path):
    archive, manifest = service.create_backup(current_app, tmp_path / "backup.tar.gz")
    repeated = tarfile.TarInfo(next(name for name in manifest.files if name.startswith("uploads/")))
    repeated.size = 3
    link = tarfile.TarInfo("uploads/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    escaping = tarfile.TarInfo("uploads/../../outside")
    escaping.size = 3
    fresh = fresh_instance()
    with fresh.app_context():
        for n, (extra, what) in enumerate(
            [(repeated, "appears twice"), (link, "unexpected member"), (escaping, "unsafe member name")]
        ):
            bad = _rewritten(archive, tmp_path / f"bad{n}.tar.gz", extra=extra)
            with pytest.raises(BackupError, match=f"is damaged or not a backup archive: .*{what}"):
                service.restore_backup(fresh, bad)
        assert _stats().row_counts.get("users", 0) == 0
        db.session.remove()
    assert not Path(fresh.config["UPLOAD_DIR"]).exists()
    assert not (tmp_path.parent / "outside").exists()


def test_damaged_or_tampered_archives_are_refused_and_change_nothing(demo_instance, fresh_instance, tmp_path):
    archive, _manifest = service.create_backup(current_app, tmp_path / "backup.tar.gz")
    raw = archive.read_bytes()
    # One byte flipped at eight places of the compressed stream, and in gzip's own checksum at its end:
    # wherever it lands (a file's bytes, a tar header, the manifest, the checksum), the whole stream
    # is read and gzip's check over it refuses the archive.
    flips = []
    for n, at in enumerate([*(len(raw) * k // 9 for k in range(1, 9)), len(raw) - 6]):
        flips.append(tmp_path / f"flipped{n}.tar.gz")
        flips[-1].write_bytes(raw[:at] + bytes([raw[at] ^ 0x55]) + raw[at + 1 :])
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(raw[: len(raw) * 2 // 3])
    not_gzip = tmp_path / "notes.tar.gz"
    not_gzip.write_text("not an archive")
    fresh = fresh_instance()
    with fresh.app_context():
        for bad, message in [
            *((flipped, "is damaged") for flipped in flips),
            (truncated, "damaged|truncated"),
            (not_gzip, "damaged or not a backup archive"),
            (_rewritten(archive, tmp_path / "tampered.tar.gz", tamper=True), "does not match its manifest"),
        ]:
            with pytest.raises(BackupError, match=message):
                service.restore_backup(fresh, bad)
        assert _stats().row_counts.get("users", 0) == 0
        db.session.remove()
    assert not Path(fresh.config["UPLOAD_DIR"]).exists()


def test_cli_backup_and_restore_print_what_they_did(demo_instance, fresh_instance, tmp_path):
    target = tmp_path / "cli.tar.gz"
    result = current_app.test_cli_runner().invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert f"backup written: {target}" in result.output and _mode(target) == 0o600
    with tarfile.open(target, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert set(manifest) >= {"version", "created_at", "database_kind", "alembic_revision", "row_counts", "files"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())

    again = current_app.test_cli_runner().invoke(args=["backup", "--output", str(target)])
    assert again.exit_code == 1 and "exists already" in again.output

    fresh = fresh_instance()
    runner = fresh.test_cli_runner()
    with fresh.app_context():  # the commands run in the app context they find
        restored = runner.invoke(args=["restore", str(target)])
        refused = runner.invoke(args=["restore", str(target)])
        db.session.remove()
    assert restored.exit_code == 0, restored.output
    assert "checked: sha256 of" in restored.output and "grants.approved_fen" in restored.output
    assert refused.exit_code == 1 and "refusing to restore into an instance that is not empty" in refused.output


def test_the_sqlite_database_file_is_readable_by_its_owner_only(tmp_path):
    from grants import create_app

    path = tmp_path / "new.db"
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert _mode(path) == 0o600
        assert all(_mode(p) == 0o600 for p in tmp_path.glob("new.db-*"))
        db.engine.dispose()
