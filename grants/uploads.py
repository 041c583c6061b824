"""The request's uploaded files, read within the configured limits (ATTACHMENT_MAX_BYTES,
IMAGE_MAX_PIXELS) for the services, which check them by content (grants/proposals/attachments.py)."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from grants.proposals.attachments import Upload


def _read(file: FileStorage) -> Upload:
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    # One byte over the limit is enough to tell that a file is too large.
    return Upload(file.filename or "", file.read(limit + 1), limit, current_app.config["IMAGE_MAX_PIXELS"])


def uploaded(field: str) -> Upload | None:
    """The file posted in ``field``, or None when none was chosen."""
    file = request.files.get(field)
    return _read(file) if file is not None and file.filename else None


def uploaded_all(field: str) -> list[Upload]:
    """The files posted in a multiple-file ``field`` (those chosen)."""
    return [_read(file) for file in request.files.getlist(field) if file and file.filename]
