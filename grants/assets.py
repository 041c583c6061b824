"""Static files under URLs that name their content: ``/static/css/app.css?v=<digest>``.

Such a URL changes whenever the file does, so browsers and proxies may keep the file for a year
without asking again (``immutable``). Without it, a phone asked the server again for the
stylesheet, the script and the icon on every page it opened (three more round trips a page, the
stylesheet's blocking the page's first paint), and the server answered each with a 304. A URL
with another digest (a page cached from before a deployment) or none is still served, as before:
revalidated on every use, so that it never pins a stale file.

The digest is of the file's bytes, computed once per worker and file version (size and
modification time are checked on each use, so an edited file gets a new URL at once).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, request
from werkzeug.security import safe_join

MAX_AGE = 365 * 24 * 3600  # seconds: a versioned URL's file never changes
VERSION_ARG = "v"


class StaticVersions:
    """The digest of each file of a static folder, by its size and modification time."""

    def __init__(self, folder: str | Path):
        self._folder = str(folder)
        self._known: dict[str, tuple[tuple[int, int], str]] = {}

    def digest(self, filename: str) -> str | None:
        """The file's digest (12 hex digits), or None when the static folder has no such file."""
        path = safe_join(self._folder, filename)
        if path is None:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        version = (stat.st_size, stat.st_mtime_ns)
        known = self._known.get(filename)
        if known is not None and known[0] == version:
            return known[1]
        try:
            with open(path, "rb") as file:
                digest = hashlib.sha256(file.read()).hexdigest()[:12]
        except OSError:  # a folder, or gone since
            return None
        self._known[filename] = (version, digest)  # one dict item: threads may race, to the same value
        return digest


def versions(app: Flask) -> StaticVersions:
    return app.extensions["static_versions"]


def max_age(app: Flask, filename: str | None) -> int | None:
    """How long the static file this request asks for may be kept: a year under its current
    versioned URL, else None (revalidated on every use)."""
    asked = request.args.get(VERSION_ARG) if request else None
    if asked and filename and asked == versions(app).digest(filename):
        return MAX_AGE
    return None


def register(app: Flask) -> None:
    """Versioned static URLs from ``url_for('static', ...)``; served by the app's
    ``get_send_file_max_age`` (``max_age`` above), marked immutable here."""
    app.extensions["static_versions"] = StaticVersions(app.static_folder)

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and VERSION_ARG not in values and "filename" in values:
            digest = versions(app).digest(values["filename"])
            if digest is not None:
                values[VERSION_ARG] = digest

    @app.after_request
    def immutable(response):
        if request.endpoint == "static" and response.cache_control.max_age == MAX_AGE:
            response.cache_control.immutable = True
        return response
