"""Forms with uploads (multipart/form-data), parsed by the ``multipart`` package's push parser.

Werkzeug's own parser compiles two regular expressions for every request (each request has a
boundary of its own) and handles each part through a chain of events: a phone's activity log, ten
fields and one photo, cost about 2 ms more of the server's CPU with it than with the push parser
(of 11 to 16 ms in all, one process), which finds the boundary with ``bytes.find`` (issue 14,
bench/activities.py). What the views get is unchanged: ``request.form`` and ``request.files`` as
werkzeug gives them, with its limits.

Limits (Flask's settings, as werkzeug applies them): ``MAX_CONTENT_LENGTH`` on the whole body (the
stream is limited before it gets here), ``MAX_FORM_MEMORY_SIZE`` on a text field and
``MAX_FORM_PARTS`` on the number of parts; past either, 413 (RequestEntityTooLarge). A body that is
not valid multipart gives an empty form, as werkzeug's does (the view then refuses it: its CSRF
token is missing).
"""

from __future__ import annotations

import math
from typing import IO

from flask import Request
from multipart import MultipartSegment, ParserLimitReached, PushMultipartParser
from werkzeug.datastructures import FileStorage, Headers
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser

CHUNK_BYTES = 64 * 1024
_CHARSETS = {"ascii", "us-ascii", "utf-8", "iso-8859-1"}


class PushFormDataParser(FormDataParser):
    """werkzeug's FormDataParser, with multipart bodies read by ``PushMultipartParser``."""

    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None, options: dict):
        boundary = options.get("boundary", "").encode("ascii")  # not ASCII: a ValueError, an empty form
        if not boundary:
            raise ValueError("Missing boundary")
        parser = PushMultipartParser(boundary, max_segment_count=self.max_form_parts or math.inf)
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        segment: MultipartSegment | None = None
        text: list[bytes] = []
        text_size = 0
        container: IO[bytes] | None = None
        try:
            for event in parser.parse_blocking(stream.read, CHUNK_BYTES):
                if isinstance(event, MultipartSegment):
                    segment, text, text_size = event, [], 0
                    container = None if event.filename is None else self._file_container(event, content_length)
                elif event is None:  # the segment's end
                    if container is None:
                        fields.append((segment.name or "", _text(segment, text)))
                    else:
                        container.seek(0)
                        upload = FileStorage(
                            container, segment.filename, segment.name, headers=Headers(segment.headerlist)
                        )
                        files.append((segment.name or "", upload))
                elif container is None:
                    text_size += len(event)
                    if self.max_form_memory_size is not None and text_size > self.max_form_memory_size:
                        raise RequestEntityTooLarge()
                    text.append(bytes(event))
                else:
                    container.write(event)
        except ParserLimitReached as err:  # too many parts, or a part's headers too long or too many
            raise RequestEntityTooLarge() from err
        return stream, self.cls(fields), self.cls(files)

    def _file_container(self, segment: MultipartSegment, content_length: int | None) -> IO[bytes]:
        """Where an uploaded file's bytes go (werkzeug's stream factory: in memory, on disk past 500 KB)."""
        return self.stream_factory(
            total_content_length=content_length,
            filename=segment.filename,
            content_type=segment.header("Content-Type", None),
            content_length=0,
        )


def _text(segment: MultipartSegment, chunks: list[bytes]) -> str:
    """A text field's value: in its declared charset when that is a safe one (as werkzeug), else UTF-8."""
    charset = (segment.charset or "utf-8").lower()
    return b"".join(chunks).decode(charset if charset in _CHARSETS else "utf-8", "replace")


class PlatformRequest(Request):
    form_data_parser_class = PushFormDataParser
