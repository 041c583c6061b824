"""The backup archive: a gzip'd tar of the data files and a manifest.json (no Flask, no database).

The manifest is the last member; it names every other member with its size and sha256, so that
a restore reads the whole archive once to check it before it changes anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

FORMAT = "grants-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, UnicodeDecodeError)


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why."""


@dataclass
class Manifest:
    created_at: str
    database_kind: str  # "sqlite" | "postgresql"
    database_file: str
    alembic_revision: str | None
    row_counts: dict[str, int]
    money_sums: dict[str, int]
    files: dict[str, dict] = field(default_factory=dict)  # name -> {"size": n, "sha256": hex}
    format: str = FORMAT
    version: int = FORMAT_VERSION

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        """Raises: BackupError when it is not a manifest this version can read."""
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError("not a backup archive of this platform (manifest format)")
            if raw.get("version") != FORMAT_VERSION:
                raise BackupError(f"backup format version {raw.get('version')!r} is not supported")
            return cls(**raw)
        except (ValueError, TypeError, AttributeError) as err:
            raise BackupError(f"the manifest is damaged: {err}") from err

    def upload_names(self, prefix: str) -> list[str]:
        return sorted(name for name in self.files if name.startswith(prefix + "/"))


class _HashingReader:
    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self.digest.update(data)
        self.size += len(data)
        return data


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or str(path) != name:
        raise BackupError(f"unsafe member name in the archive: {name!r}")
    return name


class ArchiveWriter:
    """Writes the archive under a temporary name (owner-only) and renames it into place at the end."""

    def __init__(self, target: Path):
        self.target = target
        self.files: dict[str, dict] = {}
        self._temp = target.with_name(f".{target.name}.part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self._temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as err:
            raise BackupError(
                f"{self._temp} exists: another backup is being written, or one was interrupted (then remove it)"
            ) from err
        except OSError as err:
            raise BackupError(f"cannot write {target}: {err.strerror}") from err
        self._raw = os.fdopen(fd, "wb")
        self._tar = tarfile.open(fileobj=self._raw, mode="w:gz", compresslevel=6)  # noqa: SIM115 — closed by finish()/abort()

    def add_file(self, name: str, source: Path) -> bool:
        """Add one file; False when it vanished meanwhile (a deleted upload is no error)."""
        try:
            fh = source.open("rb")
        except FileNotFoundError:
            return False
        with fh:
            info = tarfile.TarInfo(_safe_name(name))
            stat = os.fstat(fh.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
            reader = _HashingReader(fh)
            self._tar.addfile(info, reader)
            if reader.size != info.size:
                raise BackupError(f"{source} changed while it was being copied")
        self.files[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}
        return True

    def add_bytes(self, name: str, data: bytes) -> None:
        self._add_raw(name, data)
        self.files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def _add_raw(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(_safe_name(name))
        info.size, info.mode = len(data), 0o600
        self._tar.addfile(info, io.BytesIO(data))

    def finish(self, manifest: Manifest) -> Path:
        manifest.files = dict(self.files)
        self._add_raw(MANIFEST, manifest.to_bytes())
        self._tar.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        os.replace(self._temp, self.target)
        return self.target

    def abort(self) -> None:
        # Cleaning up after the real error, which the caller raises: a second one would hide it.
        for closing in (self._tar.close, self._raw.close):
            with contextlib.suppress(Exception):
                closing()
        self._temp.unlink(missing_ok=True)


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:gz")
    except FileNotFoundError as err:
        raise BackupError(f"{path}: no such file") from err
    except _READ_ERRORS as err:
        raise BackupError(f"{path} is damaged or not a backup archive ({err})") from err


def _not_ours(path: Path, what: str) -> BackupError:
    """A member this platform never writes: a bit flipped in the compressed stream, or a foreign archive."""
    return BackupError(f"{path} is damaged or not a backup archive: {what}")


def _iter_files(path: Path, tar: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, BinaryIO]]:
    for member in tar:
        if not member.isfile():
            raise _not_ours(path, f"unexpected member {member.name!r}")
        try:
            _safe_name(member.name)
        except BackupError as err:
            raise _not_ours(path, str(err)) from err
        yield member, tar.extractfile(member)


def verify(path: Path) -> Manifest:
    """Read the whole archive: every member is in the manifest with its size and sha256, none missing.

    Raises:
        BackupError: damaged, truncated, tampered with or not a backup archive.
    """
    seen: dict[str, dict] = {}
    manifest_bytes = None
    try:
        with _open(path) as tar:
            for member, fh in _iter_files(path, tar):
                if member.name in seen or (member.name == MANIFEST and manifest_bytes is not None):
                    raise _not_ours(path, f"member {member.name!r} appears twice")
                if member.name == MANIFEST:
                    manifest_bytes = fh.read()
                    continue
                digest = hashlib.sha256()
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                seen[member.name] = {"size": member.size, "sha256": digest.hexdigest()}
            # tarfile stops at the end marker, or quietly at a header it cannot read: the rest of
            # the stream is read too, so that gzip checks its CRC over every byte written.
            while tar.fileobj.read(CHUNK):
                pass
    except _READ_ERRORS as err:
        raise BackupError(f"{path} is damaged or truncated ({err})") from err
    if manifest_bytes is None:
        raise _not_ours(path, "it has no manifest")
    manifest = Manifest.from_bytes(manifest_bytes)
    if seen != manifest.files:
        bad = sorted(set(seen) ^ set(manifest.files) | {n for n in seen if seen[n] != manifest.files.get(n)})
        raise BackupError(f"{path} does not match its manifest (sha256 or size differ): {', '.join(bad[:5])}")
    if manifest.database_file not in manifest.files:
        raise BackupError(f"{path} holds no database dump")
    return manifest


def extract(path: Path, manifest: Manifest, wanted: dict[str, Path]) -> None:
    """Write the members named in ``wanted`` to their target paths (owner-only), checking each hash.

    Raises:
        BackupError: a member differs from the manifest (the archive changed since it was verified).
    """
    try:
        with _open(path) as tar:
            for member, fh in _iter_files(path, tar):
                target = wanted.get(member.name)
                if target is None:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                digest = hashlib.sha256()
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.fchmod(fd, 0o600)  # also when it replaces an existing file (the instance's secret key)
                with os.fdopen(fd, "wb") as out:
                    while chunk := fh.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != manifest.files[member.name]["sha256"]:
                    raise BackupError(f"{member.name} changed since the archive was checked")
    except _READ_ERRORS as err:
        raise BackupError(f"{path} is damaged or truncated ({err})") from err
