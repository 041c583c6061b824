"""Template helpers every page calls many times, made cheap (issue 12 item 9)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, has_request_context, request
from flask import url_for as flask_url_for

# Endpoints × static files the templates name: a few dozen; the bound only guards against surprises.
MAX_KEPT_URLS = 2048


def kept_url_for(app: Flask) -> Callable[..., str]:
    """Templates' ``url_for``: a URL without arguments (the menu, the header's links, a static
    file) is the same for every request under one script root, so it is built once per worker.

    Anything else — arguments, a blueprint-relative endpoint, no request — goes to Flask's own.
    The app has no URL defaults or value preprocessors that could make such a URL differ."""
    kept: dict[tuple[str, str, str | None], str] = {}

    def url_for(endpoint: str, **values) -> str:
        if not has_request_context() or endpoint.startswith("."):
            return flask_url_for(endpoint, **values)
        if values and not (endpoint == "static" and len(values) == 1 and "filename" in values):
            return flask_url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        url = kept.get(key)
        if url is None:
            url = flask_url_for(endpoint, **values)
            if len(kept) < MAX_KEPT_URLS:
                kept[key] = url
        return url

    return url_for
