"""A session's signed CSRF token, signed once per worker (issue 12 item 9).

Every signed-in page carries forms (sign-out, the language switch, the page's own), so Flask-WTF
signed the session's token afresh on every page: a new serializer, an HMAC and an attempt at
compression. The platform's tokens have no time limit (``WTF_CSRF_TIME_LIMIT`` is None: a token
lives as long as its session), so the signed token of a session's token is kept and put where
Flask-WTF keeps a request's token (``g``) before the view runs; Flask-WTF then hands it to every
form and checks it as its own. With a time limit configured, tokens are signed afresh, as before.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session

from grants import memory

# Sessions' tokens kept per worker; when full the cache starts again (one signing per session).
KEPT_TOKENS = 4096
_REUSED = "grants.csrf_token_reused"


def _field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def _kept() -> dict[tuple[str, str], str] | None:
    """The worker's signed tokens by (secret, session's token), or None with a time limit."""
    config = current_app.config
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    return current_app.extensions.setdefault("signed_csrf_tokens", {})


def _secret() -> str:
    return current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key


def reuse_signed_token() -> None:
    """before_request: a request with a session gets its session's token as signed before, if kept."""
    if request.endpoint == "static" or current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return
    kept = _kept()
    raw = session.get(_field()) if kept is not None else None
    token = kept.get((_secret(), raw)) if isinstance(raw, str) else None
    if token is not None:
        setattr(g, _field(), token)
        setattr(g, _REUSED, True)


def keep_signed_token(response):
    """after_request: keep a token Flask-WTF signed in this request, for the session's next pages."""
    token = g.get(_field())
    kept = _kept() if token is not None and not g.get(_REUSED) else None
    if kept is not None:
        raw = session.get(_field())  # opened already: Flask-WTF read it to sign the token
        if isinstance(raw, str):
            memory.kept(kept, (_secret(), raw), token, KEPT_TOKENS)
    return response


def register(app: Flask) -> None:
    app.before_request(reuse_signed_token)
    app.after_request(keep_signed_token)
