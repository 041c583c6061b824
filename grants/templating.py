"""Template helpers every page calls many times, made cheap (issue 12 item 9)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, has_request_context, request
from flask import url_for as flask_url_for
from werkzeug.routing import BuildError

from grants import assets

# Endpoints × argument names × static files the templates name: a few hundred; the bound only
# guards against surprises.
MAX_KEPT_URLS = 2048
# Stand-ins for the numbers while a URL's pattern is learnt: larger than any id, so that each
# appears exactly once in the built URL (which is checked).
_SAMPLE_NUMBER = 907_315_264_000
_NOT_LEARNT = object()


def _is_number(value) -> bool:
    return type(value) is int  # not bool, not an int subclass


def _is_word(value) -> bool:
    # Left unchanged by URL quoting; such words (``kind="summary"``) are part of the pattern's key.
    return type(value) is str and value.isascii() and value.replace("_", "").replace("-", "").isalnum()


def _fill(pattern: tuple, values: dict) -> str:
    """The URL of a learnt pattern: static text, then (number's name, static text) pairs."""
    if not pattern[1]:
        return pattern[0]
    parts = [pattern[0]]
    for name, text in pattern[1]:
        parts.append(str(values[name]))
        parts.append(text)
    return "".join(parts)


def _with_numbers(values: dict, base: int) -> dict:
    numbers = (n for n in range(base, base + len(values)))
    return {name: next(numbers) if _is_number(value) else value for name, value in values.items()}


def _learn(endpoint: str, values: dict) -> tuple | None:
    """The pattern of this endpoint's URL with these words and numbers, learnt from Flask's own
    builder with stand-ins for the numbers and checked against it with other numbers; None when
    the URL is not a plain fill-in of its numbers (a query string, a converter that writes them
    its own way) or Flask refuses to build it (it then says why itself)."""
    try:
        samples = _with_numbers(values, _SAMPLE_NUMBER)
        url = flask_url_for(endpoint, **samples)
        check = _with_numbers(values, 1)
        expected = flask_url_for(endpoint, **check)
    except (BuildError, ValueError):
        return None
    texts = {name: str(value) for name, value in samples.items() if _is_number(value)}
    if any(url.count(text) != 1 for text in texts.values()) or "?" in url:
        return None
    ordered = sorted(texts, key=lambda name: url.index(texts[name]))
    pieces, rest = [], url
    for name in ordered:
        before, rest = rest.split(texts[name], 1)
        pieces.append(before)
    pattern = (pieces[0], tuple(zip(ordered, [*pieces[1:], rest], strict=True))) if ordered else (url, ())
    return pattern if _fill(pattern, check) == expected else None


def kept_url_for(app: Flask) -> Callable[..., str]:
    """Templates' ``url_for``: the URL of an endpoint with given argument names is the same
    pattern for every request under one script root, so it is learnt once per worker and its
    numbers filled in after (a menu link, a static file's path, a row's link with its id).

    Only whole numbers are filled in, beside words and static file names that are part of the
    pattern; anything else — other values, ``_anchor`` and the like, a blueprint-relative
    endpoint, no request — goes to Flask's own. The app's only URL default is a static file's
    version (grants.assets), added here as Flask's would."""
    kept: dict[tuple, object] = {}
    static_versions = assets.versions(app)

    def url_for(endpoint: str, **values) -> str:
        if not has_request_context() or endpoint.startswith("."):
            return flask_url_for(endpoint, **values)
        if endpoint == "static" and len(values) == 1 and "filename" in values:
            # The file's path is learnt; its version is looked up each time (an edited file's
            # URL changes at once).
            filename = values["filename"]
            key: tuple = (request.script_root, endpoint, filename)
            path = kept.get(key)
            if path is None:
                path = flask_url_for(endpoint, filename=filename, **{assets.VERSION_ARG: None})
                if len(kept) < MAX_KEPT_URLS:
                    kept[key] = path
            digest = static_versions.digest(filename)
            return f"{path}?{assets.VERSION_ARG}={digest}" if digest else path  # type: ignore[str-bytes-safe]
        else:
            key = (request.script_root, endpoint)
            for name, value in values.items():
                if _is_number(value):
                    key += (name, None)
                elif _is_word(value) and not name.startswith("_"):
                    key += (name, value)
                else:
                    return flask_url_for(endpoint, **values)
        pattern = kept.get(key, _NOT_LEARNT)
        if pattern is _NOT_LEARNT:
            pattern = _learn(endpoint, values)
            if len(kept) < MAX_KEPT_URLS:
                kept[key] = pattern
        if pattern is None:
            return flask_url_for(endpoint, **values)
        return _fill(pattern, values)  # type: ignore[arg-type]

    return url_for
