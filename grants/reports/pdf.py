"""PDF rendering with WeasyPrint: a document may use the platform's own static assets and small
inline images, never the disk elsewhere (file:) nor the network."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from grants.memory import collector_paused
from grants.reports import fonts
from grants.slots import step_aside
from grants.text import strip_control_characters

log = logging.getLogger(__name__)

# What a printed document may load from static/: its stylesheet, fonts and pictures.
STATIC_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
# Inline images (data: URLs) of these types, up to this size, e.g. a QR code or a seal.
DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_DATA_BYTES = 256 * 1024


class RefusedURL(ValueError):
    """A document asked for something other than the platform's own assets."""


class StaticAssetFetcher(URLFetcher):
    """Serves URLs under the static folder of ``base_url`` from ``static_dir`` on disk, and small
    data: images; refuses everything else (file:, other hosts or paths, other schemes).

    WeasyPrint catches the refusal, logs it and renders the document without that resource.
    """

    def __init__(self, *, base_url: str, static_dir: str | Path, static_url_path: str = "/static"):
        # Nothing below reaches the parent's opener: fetch() is replaced, not extended.
        super().__init__(allowed_protocols=(), allow_redirects=False)
        base = urlsplit(base_url)
        self.origin = (base.scheme, base.netloc)
        # The static folder as seen from base_url (it carries the script root, e.g. /grants/).
        self.prefix = urlsplit(urljoin(base_url, static_url_path.strip("/") + "/")).path
        self.static_dir = Path(static_dir).resolve()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return self._data_image(url)
            if scheme in ("http", "https"):
                return self._static_file(url)
            raise RefusedURL("only the platform's static assets may be used")
        except RefusedURL as err:
            log.warning("PDF: refused to fetch %s (%s)", _shorten(url), err)
            raise
        except ValueError as err:  # malformed URL
            log.warning("PDF: refused to fetch %s (%s)", _shorten(url), err)
            raise RefusedURL(str(err)) from err

    def _static_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if (parts.scheme.lower(), parts.netloc) != self.origin or not parts.path.startswith(self.prefix):
            raise RefusedURL("not a static asset of this platform")
        relative = unquote(parts.path[len(self.prefix) :])
        if "\x00" in relative or "\\" in relative:
            raise RefusedURL("malformed path")
        target = (self.static_dir / relative).resolve()
        if not target.is_relative_to(self.static_dir) or not target.is_file():
            raise RefusedURL("no such static asset")
        mime = STATIC_TYPES.get(target.suffix.lower())
        if mime is None:
            raise RefusedURL("not a stylesheet, font or image")
        headers = {"Content-Type": f"{mime}; charset=utf-8" if mime == "text/css" else mime}
        return URLFetcherResponse(url, body=target.read_bytes(), headers=headers)

    def _data_image(self, url: str) -> URLFetcherResponse:
        meta, comma, payload = url[len("data:") :].partition(",")
        if not comma:
            raise RefusedURL("malformed data URL")
        params = [p.strip().lower() for p in meta.split(";")]
        mime = params[0]
        if mime not in DATA_IMAGE_TYPES:
            raise RefusedURL("data URLs are allowed for small raster images only")
        # Decoding more than the limit allows is refused before it is done.
        if len(payload) > MAX_DATA_BYTES * 3:
            raise RefusedURL("data URL too large")
        try:
            body = (
                base64.b64decode(unquote(payload), validate=True)
                if "base64" in params[1:]
                else unquote_to_bytes(payload)
            )
        except (binascii.Error, ValueError) as err:
            raise RefusedURL("malformed data URL") from err
        if len(body) > MAX_DATA_BYTES:
            raise RefusedURL("data URL too large")
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


def _shorten(url: str, limit: int = 120) -> str:
    return url if len(url) <= limit else url[:limit] + "…"


@lru_cache(maxsize=8)
def _parsed_stylesheet(static_dir: Path, name: str, mtime: float, base_url: str, static_url_path: str) -> CSS:
    # This fetcher serves what the stylesheet loads while it is parsed (@import, @font-face).
    fetcher = StaticAssetFetcher(base_url=base_url, static_dir=static_dir, static_url_path=static_url_path)
    return CSS(
        filename=str(static_dir / name), base_url=base_url, url_fetcher=fetcher, font_config=fonts.font_configuration()
    )


def _static_stylesheets(names: Sequence[str], *, static_dir: Path, base_url: str, static_url_path: str) -> list[CSS]:
    """Stylesheets of the static folder, parsed once per process (per file version): a batch of
    small documents would otherwise spend a third of its time parsing the same CSS."""
    sheets = []
    for name in names:
        path = (static_dir / name).resolve()
        if not path.is_relative_to(static_dir) or path.suffix != ".css" or not path.is_file():
            raise RefusedURL(f"not a stylesheet of this platform: {name}")
        mtime = path.stat().st_mtime
        sheets.append(_parsed_stylesheet(static_dir, name, mtime, base_url, static_url_path))
    return sheets


def render_pdf(
    html: str,
    *,
    base_url: str,
    static_dir: str | Path | None = None,
    static_url_path: str | None = None,
    stylesheets: Sequence[str] = (),
) -> bytes:
    """Render an HTML document to PDF bytes.

    ``base_url`` is the application's root URL (``request.url_root``): relative URLs resolve
    against it, and assets under its static folder are read from ``static_dir`` (the app's
    static folder by default). Anything else the document refers to is left out.
    ``stylesheets`` (paths under the static folder) are applied too, parsed once per process.
    """
    # Rows stored before inputs refused control characters must not break (or garble) a document.
    html = strip_control_characters(html)
    if static_dir is None:
        static_dir = current_app.static_folder
    if static_url_path is None:
        static_url_path = current_app.static_url_path
    fetcher = StaticAssetFetcher(base_url=base_url, static_dir=static_dir, static_url_path=static_url_path)
    font_faces = fonts.font_face_css(base_url=base_url, static_dir=static_dir, static_url_path=static_url_path)
    started = time.perf_counter()
    with step_aside(), fonts.render_lock, collector_paused():
        font_config = fonts.font_configuration()
        # The reduced CJK fonts, when generated: the stylesheets name them before the full Noto.
        sheets = (
            [CSS(string=font_faces, base_url=base_url, url_fetcher=fetcher, font_config=font_config)]
            if font_faces
            else []
        )
        sheets += _static_stylesheets(
            stylesheets, static_dir=fetcher.static_dir, base_url=base_url, static_url_path=static_url_path
        )
        document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=sheets, font_config=font_config
        )
        pdf = document.write_pdf()
    log.info("PDF: %d page(s), %d bytes in %.2fs", len(document.pages), len(pdf), time.perf_counter() - started)
    return pdf


def page_footer_content() -> Markup:
    """The page-number footer of printed documents in the reader's language, "第 X 页 / 共 Y 页";
    the numbers are CSS page counters, filled in by static/css/pdf.css."""
    return escape(_("第 %(page)s 页 / 共 %(pages)s 页")) % {
        "page": Markup('<span class="page-number"></span>'),
        "pages": Markup('<span class="page-count"></span>'),
    }
