"""Headers for file downloads (Chinese file names work in every browser)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Characters no file name should carry: path separators, quotes and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_filename(name: str, *, limit: int = 120) -> str:
    """``name`` without path separators or control characters, at most ``limit`` characters,
    the extension kept."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .") or "download"
    if len(cleaned) > limit:
        stem, dot, suffix = cleaned.rpartition(".")
        cleaned = (stem[: limit - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else cleaned[:limit]
    return cleaned


def attachment_headers(
    filename: str, mimetype: str, *, inline: bool = False, ascii_name: str | None = None
) -> dict[str, str]:
    """Content-Disposition with an ASCII ``filename`` for old clients and the real name as
    ``filename*`` (RFC 6266 / RFC 5987); never cached by shared caches.

    ``ascii_name`` replaces the ASCII fallback (by default the name with non-ASCII
    characters replaced by "_").
    """
    name = safe_filename(filename)
    fallback = safe_filename(ascii_name) if ascii_name else name
    fallback = "".join(c if c.isascii() and c.isprintable() else "_" for c in fallback)
    disposition = "inline" if inline else "attachment"
    return {
        "Content-Type": mimetype,
        "Content-Disposition": f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
