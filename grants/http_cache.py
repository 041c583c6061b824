"""Shared caching of anonymous public pages and the open-data API (issue 12 item 9).

A notice shared in residents' chat groups is opened by thousands within the hour: the same page
for every anonymous visitor. Such a page carries no session (no cookie is set), says how long any
cache may keep it (``public, max-age``) and gives a validator (ETag), so that a proxy or the
browser can serve it again or revalidate it with a 304.

``Vary: Cookie`` is set on the HTML pages on purpose: a signed-in visitor's copy of the same URL
shows their name and the objection link, so a cache must not hand the anonymous copy to a request
that carries a session cookie (requests without cookies, the chat-group case, all share one copy).
The open-data API and PDFs are the same for everyone, so they do not vary on cookies. For that,
nothing may open the session of an anonymous request just to look at it: Flask 3.1 marks the
session accessed, and so adds ``Vary: Cookie``, on any use of ``flask.session`` (``peek_session``
does not), and Flask-Login opens it to find the user unless grants.auth.sessions says there is none.
``Vary: Accept-Language``: without a language cookie the language follows the browser's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app, g, request
from flask.globals import request_ctx
from flask_babel import get_locale

PUBLIC_MAX_AGE = 60  # seconds; published lists change rarely and a minute of delay is harmless
CACHED_PAGES = 512  # per worker, least recently used first out


class PageCache:
    """The rendered anonymous public pages of one worker, each kept PUBLIC_PAGE_CACHE_SECONDS.

    The same promise the pages make to every shared cache (``max-age``), kept in the worker too,
    so that thousands opening one notice cost one rendering per worker and interval.
    """

    def __init__(self, size: int = CACHED_PAGES):
        self._pages: OrderedDict[tuple, tuple[float, bytes, str]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return found[1], found[2]

    def put(self, key: tuple, body: bytes, mimetype: str, seconds: int) -> None:
        with self._lock:
            self._pages[key] = (time.monotonic() + seconds, body, mimetype)
            self._pages.move_to_end(key)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def page_cache():
    return current_app.extensions.setdefault("public_page_cache", PageCache())


def _cache_key() -> tuple:
    return (request.full_path, str(get_locale()))


def public_page():
    """Mark this request as a public page (no session unless the visitor already has one) and
    answer it from the worker's page cache when an anonymous visitor asks again."""
    g.public_page = True
    seconds = current_app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 0)
    if seconds <= 0 or request.method not in ("GET", "HEAD") or not _anonymous_without_session():
        return None
    found = page_cache().get(_cache_key())
    if found is None:
        return None
    g.page_from_cache = True
    body, mimetype = found
    return current_app.response_class(body, mimetype=mimetype)


def is_public_page() -> bool:
    return bool(g.get("public_page"))


def _anonymous_without_session() -> bool:
    # Without a session (or remember-me) cookie nobody is signed in: the user is not looked up, so
    # a page that never read the session (the API) does not vary on cookies at all.
    cookies = request.cookies
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if current_app.config["SESSION_COOKIE_NAME"] in cookies or remember in cookies:
        return False
    opened = peek_session()
    return opened is None or not opened.modified


def peek_session():
    """The request's session without marking it accessed (which would add ``Vary: Cookie``)."""
    # RequestContext.session sets ``accessed`` on every read (Flask 3.1); the object itself does not.
    return getattr(request_ctx._get_current_object(), "_session", None)


def cache_public_response(response):
    """Make a successful GET of a public page cacheable by anyone, with an ETag and 304s."""
    if not is_public_page() or request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if not _anonymous_without_session():
        response.headers["Cache-Control"] = "private, no-store"
        return response
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response.vary.add("Accept-Language")
    if response.mimetype == "text/html":
        # Said, not left to chance: the same URL greets a signed-in visitor (see the module's note).
        response.vary.add("Cookie")
    response.add_etag()
    seconds = current_app.config.get("PUBLIC_PAGE_CACHE_SECONDS", 0)
    if seconds > 0 and not g.get("page_from_cache"):
        page_cache().put(_cache_key(), response.get_data(), response.mimetype, seconds)
    return response.make_conditional(request)
