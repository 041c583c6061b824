"""Shared PDF rendering: the URL fetcher serves the platform's static assets and nothing else,
rendering never touches the network, and download headers carry Chinese file names."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import socket
import subprocess
from urllib.parse import quote

import pytest

from grants import PROJECT_ROOT
from grants.reports import fonts
from grants.reports.pdf import MAX_DATA_BYTES, RefusedURL, StaticAssetFetcher, render_pdf
from grants.reports.responses import attachment_headers, safe_filename

STATIC = PROJECT_ROOT / "static"
BASE = "http://grants.test/"
# The smallest valid PNG (1×1, transparent).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def fetcher() -> StaticAssetFetcher:
    return StaticAssetFetcher(base_url=BASE, static_dir=STATIC, static_url_path="/static")


@pytest.fixture
def pdf_log(monkeypatch, caplog):
    """caplog, with the renderer's logger enabled again (Alembic's fileConfig in migrations/env.py
    disables the loggers that exist when the test database is migrated)."""
    monkeypatch.setattr(logging.getLogger("grants.reports.pdf"), "disabled", False)
    return caplog


@pytest.fixture
def no_network(monkeypatch):
    """Fails the test if anything opens a network connection."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} missing: the Makefile installs poppler-utils")
        pytest.skip(f"{tool} not installed (poppler-utils)")
    return path


def test_fetcher_serves_the_print_stylesheet_from_the_static_folder(fetcher):
    response = fetcher.fetch(BASE + "static/css/pdf.css")

    assert response.content_type == "text/css" and response.charset == "utf-8"
    assert response.read() == (STATIC / "css" / "pdf.css").read_bytes()


def test_fetcher_serves_images_and_ignores_query_strings(fetcher):
    response = fetcher.fetch(BASE + "static/img/favicon.svg?v=2")

    assert response.content_type == "image/svg+xml"
    assert response.read() == (STATIC / "img" / "favicon.svg").read_bytes()


def test_fetcher_follows_the_script_root_of_the_base_url():
    fetcher = StaticAssetFetcher(base_url="https://example.org/grants/", static_dir=STATIC)

    assert fetcher.fetch("https://example.org/grants/static/css/pdf.css").content_type == "text/css"
    with pytest.raises(RefusedURL):
        fetcher.fetch("https://example.org/static/css/pdf.css")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://" + str(STATIC / "css" / "pdf.css"),  # even the platform's own files, by path
        "http://example.com/static/css/pdf.css",  # another host
        "https://grants.test/static/css/pdf.css",  # another scheme than the base URL's
        "http://grants.test:8080/static/css/pdf.css",  # another port
        "http://grants.test/attachments/1",  # the platform, but not a static asset
        "http://grants.test/static/../grants/config.py",
        "http://grants.test/static/%2e%2e/grants/config.py",
        "http://grants.test/static/css/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "http://grants.test/static/css/missing.css",
        "http://grants.test/static/css/",  # a folder
        "http://grants.test/static/js/app.js",  # not a stylesheet, font or image
        "ftp://grants.test/static/css/pdf.css",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>",
        "data:image/png;base64,not*base64",
        "data:image/png;base64",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_but_static_assets_and_small_images(fetcher, no_network, url, pdf_log):
    with pdf_log.at_level("WARNING", logger="grants.reports.pdf"), pytest.raises(RefusedURL):
        fetcher.fetch(url)

    assert "refused to fetch" in pdf_log.text


def test_fetcher_accepts_a_small_inline_image_and_refuses_a_large_one(fetcher):
    small = fetcher.fetch("data:image/png;base64," + base64.b64encode(PNG).decode())
    assert small.content_type == "image/png" and small.read() == PNG

    large = base64.b64encode(PNG + b"\0" * MAX_DATA_BYTES).decode()
    with pytest.raises(RefusedURL):
        fetcher.fetch("data:image/png;base64," + large)


def test_render_uses_the_stylesheet_leaves_out_what_is_refused_and_never_uses_the_network(
    app, no_network, pdf_log, tmp_path
):
    html = (
        '<html lang="zh-CN"><head><link rel="stylesheet" href="/static/css/pdf.css"></head><body>'
        '<p>楼道微花园</p><img src="file:///etc/passwd"><img src="http://example.com/x.png">'
        '<img src="data:image/png;base64,' + base64.b64encode(PNG).decode() + '">'
        '<link rel="stylesheet" href="https://cdn.example.com/x.css"></body></html>'
    )
    with app.test_request_context(), pdf_log.at_level("WARNING"):
        pdf = render_pdf(html, base_url=BASE)

    assert pdf.startswith(b"%PDF-")
    refused = [r.getMessage() for r in pdf_log.records if r.name == "grants.reports.pdf"]
    assert len(refused) == 3 and not any("pdf.css" in message for message in refused)
    assert any("file:///etc/passwd" in m for m in refused) and any("example.com/x.png" in m for m in refused)
    assert any("cdn.example.com" in m for m in refused)
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    info = subprocess.run([_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info  # the page size comes from pdf.css, so the stylesheet was used


def test_the_cjk_font_named_in_the_print_stylesheet_is_installed():
    if not fonts.cjk_font_installed() and not os.environ.get("CI"):
        pytest.skip("fonts-noto-cjk not installed (the Makefile installs it)")
    assert fonts.cjk_font_installed()
    stylesheet = (STATIC / "css" / "pdf.css").read_text(encoding="utf-8")
    assert all(f'"{family}"' in stylesheet for family in fonts.CJK_FAMILIES)


def test_download_headers_carry_the_chinese_name_and_an_ascii_fallback():
    headers = attachment_headers("申报书-楼道/微花园.pdf", "application/pdf", ascii_name="proposal-7.pdf")

    assert headers["Content-Disposition"] == (
        f"attachment; filename=\"proposal-7.pdf\"; filename*=UTF-8''{quote('申报书-楼道_微花园.pdf', safe='')}"
    )
    assert headers["Cache-Control"] == "private, no-store" and headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),
        ('a"b\\c\r\n.pdf', "a_b_c__.pdf"),
        ("   ", "download"),
        ("长" * 200 + ".pdf", "长" * 116 + ".pdf"),
    ],
)
def test_safe_filename_removes_separators_quotes_and_control_characters(name, expected):
    assert safe_filename(name) == expected
