"""Attachments of a proposal: type checked by content, stored outside static/ under random names."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from grants import audit
from grants.db import on_rollback
from grants.errors import DomainError, NotAllowed
from grants.proposals import policy
from grants.proposals.models import Attachment, Proposal

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_count: int


def detect_type(data: bytes) -> str | None:
    """The MIME type judged from the content (JPEG, PNG, WebP that decode; PDF), else None."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "application/pdf"
    if (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    ):
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                return IMAGE_TYPES.get(image.format)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
    return None


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


def check_upload(data: bytes, max_bytes: int) -> str:
    """The MIME type of an acceptable upload, judged by its content.

    Raises: DomainError (empty, larger than ``max_bytes``, not a photo or a PDF).
    """
    if not data:
        raise DomainError(_("文件是空的。"), field="file")
    if len(data) > max_bytes:
        raise DomainError(_("文件超过%(mb)d MB，请压缩后再上传。", mb=max_bytes // (1024 * 1024)), field="file")
    mime = detect_type(data)
    if mime is None:
        raise DomainError(_("只能上传照片（JPG、PNG、WebP）或PDF文件；这个文件的内容不是这些格式。"), field="file")
    return mime


def store_upload(
    session: Session, *, actor, filename: str, data: bytes, mime: str, upload_dir: Path, proposal_id: int | None
) -> Attachment:
    """Write a checked upload under a random name and add its row (the file is removed again
    when the row cannot be stored or the transaction rolls back)."""
    stored_name, path = write_file(upload_dir, data)
    try:
        attachment = Attachment(
            proposal_id=proposal_id,
            uploaded_by_id=actor.id,
            stored_name=stored_name,
            original_name=clean_filename(filename),
            mime=mime,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        session.add(attachment)
        session.flush()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    # A transaction that rolls back later (a broken rule, a race lost at commit) removes it too.
    on_rollback(session, lambda: path.unlink(missing_ok=True))
    return attachment


def add_attachment(
    session: Session, *, actor, proposal: Proposal, filename: str, data: bytes, upload_dir: Path, limits: Limits
) -> Attachment:
    """Store an uploaded file for the proposal.

    Raises:
        NotAllowed: not the applicant, or the proposal is locked.
        DomainError: empty, too large, too many, or not a photo/PDF by its content.
    """
    if not policy.can_edit(actor, proposal):
        raise NotAllowed(_("只有申报人可以在提交前上传附件。"))
    if len(proposal.attachments) >= limits.max_count:
        raise DomainError(_("每份申报书最多上传%(n)d个附件。", n=limits.max_count), field="file")
    mime = check_upload(data, limits.max_bytes)
    attachment = store_upload(
        session, actor=actor, filename=filename, data=data, mime=mime, upload_dir=upload_dir, proposal_id=proposal.id
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
