"""Attachments of a proposal: type checked by content, stored outside static/ under random names."""

from __future__ import annotations

import hashlib
import io
import math
import os
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from grants import audit
from grants.db import on_rollback
from grants.errors import DomainError, NotAllowed
from grants.proposals import policy
from grants.proposals.models import Attachment, Proposal

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; the IMAGE_MAX_PIXELS setting
MAX_SIDE = 2048  # accepted photos are stored at most this long on their longest side
EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class Upload:
    """An uploaded file as a view read it (at most ``max_bytes`` + 1 bytes), with the limits it is
    held to (see grants/uploads.py, which reads them from the request and the settings)."""

    filename: str
    data: bytes
    max_bytes: int
    max_pixels: int = MAX_PIXELS


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed the content checks: a photo re-encoded without metadata, ready to store;
    or, with ``cleaned`` False, a photo that decodes but still is as it came (metadata and all): it is
    stored apart (in the pending folder, by ``store_checked``) and re-encoded by a background job
    (``clean_pending``) before anyone can open it."""

    filename: str
    mime: str
    data: bytes
    cleaned: bool = True


class ImageTooLarge(DomainError):
    """An image that declares more pixels than the limit (a decompression bomb, or a huge scan)."""

    def __init__(self, max_pixels: int):
        super().__init__(
            _(
                "图片尺寸太大（超过%(mp)d百万像素），请缩小后再上传。",
                mp=max_pixels // 1_000_000,
            ),
            field="file",
        )


def _is_image(data: bytes) -> bool:
    return (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def detect_type(data: bytes, max_pixels: int = MAX_PIXELS) -> str | None:
    """The MIME type judged from the content (JPEG, PNG, WebP that decode; PDF), else None.

    Raises: ImageTooLarge when an image declares more than ``max_pixels`` pixels (only its header
        is read, so a decompression bomb is never decoded).
    """
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "application/pdf"
    if _is_image(data):
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageTooLarge(max_pixels)
                image.verify()
                return IMAGE_TYPES.get(image.format)
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(max_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
    return None


def reencode_image(data: bytes, max_side: int = MAX_SIDE) -> bytes:
    """The photo decoded and written again: turned upright, at most ``max_side`` pixels on its
    longest side, without EXIF or other metadata (a phone photo carries where it was taken)."""
    out = io.BytesIO()
    source = _Source(data)
    with Image.open(source) as image:
        image_format = image.format
        width, height = image.size
        if image_format == "JPEG":  # decode a large JPEG at a reduced scale straight away
            scale = min(1.0, max_side / max(width, height))
            image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        _loaded_whole(image, source)
        if image.getexif().get(EXIF_ORIENTATION, 1) != 1:
            image = ImageOps.exif_transpose(image)
        image.thumbnail((max_side, max_side))
        if image_format == "JPEG":
            image.convert("RGB").save(out, format="JPEG", quality=85)
        elif image_format == "WEBP":
            (image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")).save(
                out, format="WEBP", quality=85, method=2
            )
        else:
            image.save(out, format="PNG")
    return out.getvalue()


# What Pillow raises for a photo it cannot read whole (broken, truncated, a decompression bomb).
UNREADABLE_IMAGE = (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError)


def unreadable_image() -> DomainError:
    return DomainError(_("这张图片无法读取，请换一张照片或另存后再上传。"), field="file")


class _Source(io.BytesIO):
    """A photo's bytes that note when the decoder asks for more than there is.

    Pillow reports a JPEG cut short only while LOAD_TRUNCATED_IMAGES is off, and WeasyPrint turns it
    on for the whole process when it is imported: Pillow then pads the missing rows with grey. A
    whole JPEG's decoder stops at its end marker and never reads past the file's end (bytes after the
    marker, such as a phone's motion-photo video, are never read); a cut one does."""

    ran_out = False

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if not chunk and size != 0:
            self.ran_out = True
        return chunk


def _loaded_whole(image: Image.Image, source: _Source) -> None:
    """Decode ``image`` (opened on ``source``); raises OSError when a JPEG turns out cut short."""
    source.ran_out = False
    image.load()
    if image.format == "JPEG" and source.ran_out:
        raise OSError("image file is truncated")


def check_decodes(data: bytes) -> None:
    """The photo decodes whole: every byte of it is read (a JPEG at reduced scale, which reads all of
    its data at a fraction of the cost). Raises what Pillow raises for a broken or truncated file."""
    source = _Source(data)
    with Image.open(source) as image:
        if image.format == "JPEG":
            width, height = image.size
            image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        _loaded_whole(image, source)


def clean_filename(name: str) -> str:
    """A display name: no path, no control characters, at most 100 characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-100:] or _("附件")


def write_file(upload_dir: Path, data: bytes) -> tuple[str, Path]:
    """Store bytes under a new random name (written whole, then renamed); returns (name, path)."""
    stored_name = secrets.token_hex(16)
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / stored_name
    temp = upload_dir / f".{stored_name}.part"
    temp.write_bytes(data)
    os.replace(temp, path)
    return stored_name, path


def check_upload(
    data: bytes, max_bytes: int, max_pixels: int = MAX_PIXELS, *, reencode: bool = True
) -> tuple[str, bytes]:
    """(MIME type, bytes to store) of an acceptable upload, judged by its content; a photo is
    re-encoded (``reencode_image``), a PDF stored as it came. With ``reencode`` False a photo is
    decoded whole (``check_decodes``) and returned as it came: the caller has it re-encoded later.

    Raises: DomainError (empty, larger than ``max_bytes``, more pixels than ``max_pixels``, not a
        photo or a PDF).
    """
    if not data:
        raise DomainError(_("文件是空的。"), field="file")
    if len(data) > max_bytes:
        raise DomainError(_("文件超过%(mb)d MB，请压缩后再上传。", mb=max_bytes // (1024 * 1024)), field="file")
    mime = detect_type(data, max_pixels)
    if mime is None:
        raise DomainError(_("只能上传照片（JPG、PNG、WebP）或PDF文件；这个文件的内容不是这些格式。"), field="file")
    if mime.startswith("image/"):
        try:
            if reencode:
                data = reencode_image(data)
            else:
                check_decodes(data)
        except UNREADABLE_IMAGE as exc:
            raise unreadable_image() from exc
    return mime, data


def check(upload: Upload, *, photo: bool = False, clean_later: bool = False) -> CheckedUpload:
    """``upload`` checked by content (``check_upload``); with ``photo``, anything but a photo is
    refused by name. With ``clean_later`` a photo is checked (it decodes whole) but not re-encoded:
    it is stored apart by ``store_checked``. Raises: DomainError.

    A view checks its uploads before its write transaction starts, and hands the services the
    result: decoding and re-encoding a phone's photo takes a good fraction of a second, in which
    a write transaction would hold SQLite's one write lock that every request's writes wait for."""
    mime, data = check_upload(upload.data, upload.max_bytes, upload.max_pixels, reencode=not clean_later)
    _refuse_unless_photo(upload.filename, mime, photo)
    return CheckedUpload(upload.filename, mime, data, cleaned=not (clean_later and mime.startswith("image/")))


def checked(upload: Upload | CheckedUpload, *, photo: bool = False) -> CheckedUpload:
    """``upload`` as ``check`` returns it: checked now, unless it was already (by the view, before
    the transaction). Raises: DomainError."""
    if isinstance(upload, Upload):
        return check(upload, photo=photo)
    _refuse_unless_photo(upload.filename, upload.mime, photo)
    return upload


def _refuse_unless_photo(filename: str, mime: str, photo: bool) -> None:
    if photo and not mime.startswith("image/"):
        raise DomainError(_("“%(name)s”不是照片，请上传JPG、PNG或WebP照片。", name=filename), field="photos")


def store_checked(
    session: Session, *, actor, checked: CheckedUpload, upload_dir: Path, proposal_id: int | None = None
) -> Attachment:
    """Store an upload that passed ``check`` (its row is flushed; the file goes if the transaction rolls back).

    A photo not re-encoded yet keeps its row as any upload, but its bytes go into the pending folder,
    where nothing serves them (``file_path`` points to where the cleaned photo will be);
    ``clean_pending`` puts the cleaned photo there."""
    return store_upload(
        session,
        actor=actor,
        filename=checked.filename,
        data=checked.data,
        mime=checked.mime,
        upload_dir=upload_dir,
        proposal_id=proposal_id,
        folder=_folder(checked, upload_dir),
    )


def _folder(checked: CheckedUpload, upload_dir: Path) -> Path:
    """Where a checked upload's file goes: the upload folder, or the pending folder for a photo
    not re-encoded yet."""
    return upload_dir if checked.cleaned else pending_dir(upload_dir)


def store_checked_upload(
    session: Session, *, actor, upload: Upload | CheckedUpload, upload_dir: Path, proposal_id: int | None = None
) -> Attachment:
    """Check an upload by content (unless it was, ``checked``), then store it. Raises: DomainError
    (see ``check_upload``)."""
    return store_checked(session, actor=actor, checked=checked(upload), upload_dir=upload_dir, proposal_id=proposal_id)


def store_upload(
    session: Session,
    *,
    actor,
    filename: str,
    data: bytes,
    mime: str,
    upload_dir: Path,
    proposal_id: int | None,
    folder: Path | None = None,
) -> Attachment:
    """Write a checked upload under a random name and add its row (the file is removed again
    when the row cannot be stored or the transaction rolls back). The file goes into ``folder``
    when given (a photo waiting to be cleaned), else into the upload folder."""
    stored_name, path = write_file(folder or upload_dir, data)
    try:
        attachment = Attachment(**_row(actor.id, stored_name, filename, data, _digest(data), mime, proposal_id))
        session.add(attachment)
        session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    # A transaction that rolls back later (a broken rule, a race lost at commit) removes it too.
    on_rollback(session, lambda: path.unlink(missing_ok=True))
    return attachment


@dataclass(frozen=True)
class WrittenUpload:
    """A checked upload whose file is written already (``written``), waiting for its row."""

    upload: CheckedUpload
    stored_name: str
    path: Path
    sha256: str  # of its bytes, taken with the write: a phone's photo of a few MB takes milliseconds


def _write(upload: CheckedUpload, upload_dir: Path) -> WrittenUpload:
    """The file of a checked upload written where ``store_checked`` puts it."""
    stored_name, path = write_file(_folder(upload, upload_dir), upload.data)
    return WrittenUpload(upload, stored_name, path, _digest(upload.data))


@contextmanager
def written(uploads: list[CheckedUpload], upload_dir: Path) -> Iterator[list[WrittenUpload]]:
    """Write the checked uploads' files before the write transaction that adds their rows
    (``insert_checked``), so that SQLite's one write lock is not held while they are written; each
    file is removed again if the block raises (a rule refused, the transaction rolled back or its
    commit failed). Wrap the unit of work only: what follows its commit must not raise here."""
    files: list[WrittenUpload] = []
    try:
        for upload in uploads:
            files.append(_write(upload, upload_dir))
        yield files
    except BaseException:
        for file in files:
            file.path.unlink(missing_ok=True)
        raise


def insert_checked(
    session: Session, *, actor_id: int, uploads: list[CheckedUpload | WrittenUpload], upload_dir: Path
) -> list[int]:
    """Store uploads that passed ``check`` as ``store_checked`` does (their files written now unless
    ``written`` wrote them), their rows inserted by one statement rather than flushed one by one
    (an activity's photos, logged by many at once); returns the rows' ids in the uploads' order.
    The files go if the transaction rolls back."""
    if not uploads:
        return []
    files: list[WrittenUpload] = []

    def remove_files() -> None:
        for file in files:
            file.path.unlink(missing_ok=True)

    on_rollback(session, remove_files)
    for upload in uploads:
        files.append(upload if isinstance(upload, WrittenUpload) else _write(upload, upload_dir))
    rows = [
        _row(actor_id, file.stored_name, file.upload.filename, file.upload.data, file.sha256, file.upload.mime, None)
        for file in files
    ]
    return list(session.connection().execute(_INSERT_RETURNING_IDS, rows).scalars())


_INSERT_RETURNING_IDS = Attachment.__table__.insert().returning(Attachment.__table__.c.id, sort_by_parameter_order=True)


def _row(
    actor_id: int | None, stored_name: str, filename: str, data: bytes, sha256: str, mime: str, proposal_id: int | None
):
    return {
        "proposal_id": proposal_id,
        "uploaded_by_id": actor_id,
        "stored_name": stored_name,
        "original_name": clean_filename(filename),
        "mime": mime,
        "size": len(data),
        "sha256": sha256,
    }


def _digest(data: bytes) -> str:
    """The SHA-256 an attachment row records of its stored file's bytes."""
    return hashlib.sha256(data).hexdigest()


# --- photos cleaned in the background -----------------------------------------------------------

PENDING_FOLDER = "pending"  # under the upload folder: photos as they came, never served


def pending_dir(upload_dir: Path) -> Path:
    return upload_dir / PENDING_FOLDER


def is_pending(upload_dir: Path, attachment: Attachment) -> bool:
    """Whether the photo waits to be cleaned (nothing is served for it meanwhile)."""
    return (
        not file_path(upload_dir, attachment).is_file() and (pending_dir(upload_dir) / attachment.stored_name).is_file()
    )


def clean_pending(upload_dir: Path, stored_name: str) -> tuple[int, str] | None:
    """Re-encode one pending photo (``reencode_image``: upright, resized, no metadata) into the
    served place. Returns the cleaned file's (size, sha256) for its row, or None when there was
    nothing to clean (done already, e.g. by a task delivered twice). The original stays until the
    row is committed: then ``drop_pending`` removes it (a run that must be repeated finds it still).

    Raises: DomainError when the photo cannot be re-encoded (the original is removed then: it is
        never served).
    """
    source = pending_dir(upload_dir) / stored_name
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return None
    try:
        cleaned = reencode_image(data)
    except UNREADABLE_IMAGE as exc:
        source.unlink(missing_ok=True)
        raise unreadable_image() from exc
    target = upload_dir / stored_name
    temp = upload_dir / f".{stored_name}.part"
    temp.write_bytes(cleaned)
    os.replace(temp, target)  # whole or not at all: the served file is only ever the cleaned one
    return len(cleaned), _digest(cleaned)


def drop_pending(upload_dir: Path, stored_names: list[str]) -> None:
    """Remove the originals of photos cleaned and committed."""
    for name in stored_names:
        (pending_dir(upload_dir) / name).unlink(missing_ok=True)


def add_attachment(
    session: Session, *, actor, proposal: Proposal, upload: Upload | CheckedUpload, upload_dir: Path, max_count: int
) -> Attachment:
    """Store an uploaded file for the proposal (checked by content unless it was: ``checked``).

    Raises:
        NotAllowed: not the applicant, or the proposal is locked.
        DomainError: empty, too large, too many, or not a photo/PDF by its content.
    """
    if not policy.can_edit(actor, proposal):
        raise NotAllowed(_("只有申报人可以在提交前上传附件。"))
    if len(proposal.attachments) >= max_count:
        raise DomainError(_("每份申报书最多上传%(n)d个附件。", n=max_count), field="file")
    attachment = store_checked(
        session, actor=actor, checked=checked(upload), upload_dir=upload_dir, proposal_id=proposal.id
    )
    audit.record(
        session,
        actor=actor,
        action="attachment.add",
        obj=attachment,
        district_id=proposal.edition.district_id,
        after={"proposal_id": proposal.id, "name": attachment.original_name, "sha256": attachment.sha256},
    )
    return attachment


def delete_attachment(session: Session, *, actor, proposal: Proposal, attachment: Attachment, upload_dir: Path) -> None:
    """Raises: NotAllowed when the actor may not edit the proposal."""
    if attachment.proposal_id != proposal.id or not policy.can_edit(actor, proposal):
        raise NotAllowed(_("只有申报人可以在提交前删除附件。"))
    audit.record(
        session,
        actor=actor,
        action="attachment.delete",
        obj=attachment,
        district_id=proposal.edition.district_id,
        before={"proposal_id": proposal.id, "name": attachment.original_name, "sha256": attachment.sha256},
    )
    session.delete(attachment)
    session.flush()
    (upload_dir / attachment.stored_name).unlink(missing_ok=True)


def file_path(upload_dir: Path, attachment: Attachment) -> Path:
    return upload_dir / attachment.stored_name
