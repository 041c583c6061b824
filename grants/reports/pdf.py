"""PDF rendering with WeasyPrint: only the platform's own assets, never the network or files."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "http://platform.local/"
_FONT_CONFIG: FontConfiguration | None = None


class RefusedURL(ValueError):
    """A document asked for something outside the platform's static assets."""


class StaticOnlyFetcher(URLFetcher):
    """Serves files under ``static_dir`` for URLs under /static/ of BASE_URL; refuses the rest
    (file:, data:, any other host), so a document cannot read the disk or reach the network."""

    def __init__(self, static_dir: Path, static_url_path: str = "/static"):
        super().__init__(allowed_protocols=("http",), allow_redirects=False)
        self.static_dir = static_dir.resolve()
        self.prefix = static_url_path.rstrip("/") + "/"

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.netloc != urlsplit(BASE_URL).netloc:
            raise RefusedURL(f"refused URL: {url}")
        path = unquote(parts.path)
        if not path.startswith(self.prefix):
            raise RefusedURL(f"refused URL: {url}")
        target = (self.static_dir / path[len(self.prefix) :]).resolve()
        if self.static_dir not in target.parents or not target.is_file():
            raise RefusedURL(f"refused URL: {url}")
        mime, _encoding = mimetypes.guess_type(target.name)
        return URLFetcherResponse(
            url, body=target.read_bytes(), headers={"Content-Type": mime or "application/octet-stream"}
        )


def render_pdf(html: str, *, static_dir: Path) -> bytes:
    """Render an HTML document to PDF bytes; relative asset URLs resolve against BASE_URL."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher(static_dir))
    return document.write_pdf(font_config=_FONT_CONFIG)


def page_footer_content() -> str:
    """CSS ``content`` value for the page-number footer, in the reader's language."""
    from flask_babel import gettext as _

    return '"' + _("第 %(page)s 页 / 共 %(pages)s 页", page='" counter(page) "', pages='" counter(pages) "') + '"'
