"""Headers for file downloads (Chinese file names work in every browser)."""

from __future__ import annotations

from urllib.parse import quote


def attachment_headers(filename: str, mimetype: str, *, inline: bool = False) -> dict[str, str]:
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    disposition = "inline" if inline else "attachment"
    return {
        "Content-Type": mimetype,
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
