"""The request's uploaded files, read within the configured limits (ATTACHMENT_MAX_BYTES,
IMAGE_MAX_PIXELS) and checked by content (grants/proposals/attachments.py) before the view's
write transaction starts: decoding and re-encoding a phone's photo takes a good fraction of a
second, in which an open write transaction would hold SQLite's one write lock that every
request's writes wait for."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from grants.proposals.attachments import CheckedUpload, Upload, check


def _read(file: FileStorage) -> Upload:
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    # One byte over the limit is enough to tell that a file is too large.
    return Upload(file.filename or "", file.read(limit + 1), limit, current_app.config["IMAGE_MAX_PIXELS"])


def uploaded(field: str) -> Upload | None:
    """The file posted in ``field``, or None when none was chosen."""
    file = request.files.get(field)
    return _read(file) if file is not None and file.filename else None


def checked_upload(field: str) -> CheckedUpload | None:
    """The file posted in ``field`` checked by content (``check``), or None when none was chosen.

    Raises: DomainError (empty, too large, not a photo or a PDF by its content)."""
    upload = uploaded(field)
    return check(upload) if upload is not None else None


def uploaded_all(field: str) -> list[Upload]:
    """The files posted in a multiple-file ``field`` (those chosen)."""
    return [_read(file) for file in request.files.getlist(field) if file and file.filename]
