"""Static files under versioned URLs: kept by browsers for a year, never pinned when stale."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from grants import assets

STATIC = Path(__file__).resolve().parents[2] / "static"
LINKED = re.compile(r'(?:href|src)="(/static/([^"?]+)\?v=([0-9a-f]+))"')


def test_pages_link_static_files_by_their_content_and_they_are_kept_for_a_year(client):
    links = LINKED.findall(client.get("/login").get_data(as_text=True))
    assert {name for _url, name, _v in links} >= {"css/app.css", "js/app.js", "img/favicon.svg"}
    for url, name, version in links:
        assert version == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        response = client.get(url)
        assert response.status_code == 200
        cache = response.cache_control
        assert cache.public and cache.max_age == assets.MAX_AGE and cache.immutable and not cache.no_cache
        assert "Set-Cookie" not in response.headers
        # A browser that still asks (a forced reload) gets a 304 that keeps the promise.
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.cache_control.immutable


def test_a_url_without_the_current_version_is_revalidated_on_every_use(client):
    """A page cached before a deployment names the old version: it gets today's file, which no
    cache may keep under that URL; the plain URL is revalidated as before."""
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000", "/static/css/app.css?v="):
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.no_cache and not response.cache_control.max_age
        assert not response.cache_control.immutable


def test_an_edited_file_gets_a_new_url_at_once(tmp_path):
    versions = assets.StaticVersions(tmp_path)
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "x.css"
    sheet.write_text("a{color:red}")
    first = versions.digest("css/x.css")
    assert first == hashlib.sha256(b"a{color:red}").hexdigest()[:12]
    sheet.write_text("a{color:blue;}")
    assert versions.digest("css/x.css") not in (None, first)
    assert versions.digest("css/missing.css") is None
    assert versions.digest("../secret.css") is None  # outside the folder: no file, no version
    assert versions.digest("css") is None  # a folder


def test_links_learnt_once_follow_an_edited_file(app, client, monkeypatch):
    """The templates' url_for learns a static file's path once, but asks for its version on every use."""
    versions = assets.versions(app)
    url = LINKED.search(client.get("/login").get_data(as_text=True)).group(1)
    monkeypatch.setattr(versions, "digest", lambda filename: "0123456789ab")
    assert "/static/css/app.css?v=0123456789ab" in client.get("/login").get_data(as_text=True)
    assert url.startswith("/static/css/app.css?v=")


def test_documents_still_read_their_stylesheets_with_a_version(app):
    """PDF stylesheets named by url_for carry a version; the PDF fetcher reads the file all the same."""
    from flask import url_for

    from grants.reports.pdf import StaticAssetFetcher

    with app.test_request_context(base_url="http://grants.test/"):
        url = url_for("static", filename="css/pdf.css", _external=True)
    assert "?v=" in url
    fetcher = StaticAssetFetcher(base_url="http://grants.test/", static_dir=STATIC)
    assert fetcher.fetch(url).content_type.startswith("text/css")


def test_a_signed_in_browser_gets_static_files_without_a_query_or_a_cookie(client, login_as, world, query_counter):
    login_as(world.judge_a)
    url = LINKED.search(client.get("/").get_data(as_text=True)).group(1)
    with query_counter() as statements:
        response = client.get(url)
    assert response.status_code == 200 and response.cache_control.immutable
    assert statements == []  # the user is not loaded for a file that is the same for everyone
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.vary
