"""Flask's signed-cookie sessions, each cookie value verified once per worker (issue 12 item 9).

Every request of a signed-in user carries the same session cookie until the session changes
(the last-seen time is rewritten at most once a minute: grants.auth.sessions). Flask verified it
from scratch on every request — a new serializer, the HMAC, base64, zlib, the tagged JSON — which
was a tenth of what a signed-in page costs beyond a hello-world page. Here a value that verified is
kept with its signing time and contents: the same bytes under the same keys verify the same way, so
only the age is checked again on later requests (as itsdangerous checks it). A value that did not
verify is never kept; a session holding anything but plain values (flashed messages are lists,
which ``flash`` appends to in place) is verified each time, as before.
"""

from __future__ import annotations

import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from grants.memory import kept

# Cookie values kept per worker: each signed-in browser has one at a time (a new one at most every
# minute). When full the cache starts again, a cost of one verification per browser.
KEPT_COOKIES = 4096
_PLAIN = (str, int, float, bool, type(None))


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self, kept: int = KEPT_COOKIES) -> None:
        self._kept = kept
        # (secret key, fallbacks) -> (serializer, {cookie value: (signed at, contents)}); a new
        # secret key starts a new cache.
        self._by_keys: dict[tuple, tuple[URLSafeTimedSerializer, dict[str, tuple[int, dict]]]] = {}

    def _signing(self, app: Flask) -> tuple[URLSafeTimedSerializer, dict] | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._by_keys.get(keys)
        if found is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:
                return None
            found = self._by_keys[keys] = (serializer, {})
        return found

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        signing = self._signing(app)
        return signing[0] if signing else None

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        signing = self._signing(app)
        if signing is None:
            return None
        serializer, verified = signing
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = verified.get(value)
        if known is not None and 0 <= int(time.time()) - known[0] <= max_age:
            return self.session_class(known[1])
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
            kept(verified, value, (int(signed_at.timestamp()), dict(data)), self._kept)
        return self.session_class(data)
