"""Session cookies verified once per worker and value (grants/auth/cookies.py): a kept value still
expires, a forged or tampered one is never kept, a new secret key refuses the old cookies."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from flask import Flask, session

from grants.auth import cookies
from grants.auth.cookies import CookieSessionInterface
from tests.conftest import first_arguments

LIFETIME = 600


@pytest.fixture
def small_app():
    app = Flask("cookies")
    app.secret_key = "first key"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=LIFETIME)
    app.session_interface = CookieSessionInterface(kept=3)

    @app.post("/set/<name>/<value>")
    def set_value(name, value):
        session[name] = value
        return ""

    @app.post("/flash/<text>")
    def add_flash(text):
        session.setdefault("_flashes", []).append(("info", text))
        session.modified = True
        return ""

    @app.get("/show")
    def show():
        return dict(session)

    return app


def _cookie(app: Flask, **values) -> str:
    client = app.test_client()
    for name, value in values.items():
        client.post(f"/set/{name}/{value}")
    return client.get_cookie("session").value


def _shown(app: Flask, cookie: str) -> dict:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client.get("/show").get_json()


def _count_verifications(app: Flask, monkeypatch) -> list:
    return first_arguments(monkeypatch, app.session_interface.get_signing_serializer(app), "loads")


def test_a_value_is_verified_once_and_read_from_the_cache_after(small_app, monkeypatch):
    cookie = _cookie(small_app, user="7")
    calls = _count_verifications(small_app, monkeypatch)
    assert _shown(small_app, cookie) == {"user": "7"}
    assert _shown(small_app, cookie) == {"user": "7"}
    assert calls == [cookie]


def test_a_session_changed_by_a_request_leaves_the_kept_value_as_it_was(small_app):
    cookie = _cookie(small_app, user="7")
    client = small_app.test_client()
    client.set_cookie("session", cookie)
    client.post("/set/user/8")  # the request changes its own copy, and gets a new cookie
    assert _shown(small_app, cookie) == {"user": "7"}
    assert _shown(small_app, client.get_cookie("session").value) == {"user": "8"}


def test_a_kept_value_expires_as_a_verified_one_does(small_app, monkeypatch):
    cookie = _cookie(small_app, user="7")
    assert _shown(small_app, cookie) == {"user": "7"}
    later = time.time() + LIFETIME + 5
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert _shown(small_app, cookie) == {}


def test_a_value_signed_in_the_future_is_refused_even_when_kept(small_app, monkeypatch):
    cookie = _cookie(small_app, user="7")
    assert _shown(small_app, cookie) == {"user": "7"}
    earlier = time.time() - 60
    monkeypatch.setattr(cookies.time, "time", lambda: earlier)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: earlier)
    assert _shown(small_app, cookie) == {}


def test_a_tampered_value_is_refused_every_time_and_never_kept(small_app, monkeypatch):
    cookie = _cookie(small_app, user="7")
    payload, _dot, rest = cookie.partition(".")
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest
    calls = _count_verifications(small_app, monkeypatch)
    assert _shown(small_app, tampered) == {}
    assert _shown(small_app, tampered) == {}
    assert calls == [tampered, tampered]


def test_a_session_with_flashed_messages_is_verified_each_time(small_app, monkeypatch):
    client = small_app.test_client()
    client.post("/flash/first")
    cookie = client.get_cookie("session").value
    calls = _count_verifications(small_app, monkeypatch)
    again = small_app.test_client()
    again.set_cookie("session", cookie)
    again.post("/flash/second")  # appends to the list it was given
    assert _shown(small_app, cookie) == {"_flashes": [["info", "first"]]}
    assert calls == [cookie, cookie]


def test_a_new_secret_key_refuses_the_cookies_of_the_old_one(small_app):
    cookie = _cookie(small_app, user="7")
    assert _shown(small_app, cookie) == {"user": "7"}
    small_app.secret_key = "second key"
    assert _shown(small_app, cookie) == {}
    small_app.config["SECRET_KEY_FALLBACKS"] = ["first key"]  # a key being rotated out still opens them
    assert _shown(small_app, cookie) == {"user": "7"}


def test_a_full_cache_starts_again_and_every_value_still_opens(small_app):
    values = [_cookie(small_app, user=str(n)) for n in range(5)]
    for n, cookie in enumerate(values):
        assert _shown(small_app, cookie) == {"user": str(n)}
    for n, cookie in enumerate(values):
        assert _shown(small_app, cookie) == {"user": str(n)}
    _serializer, kept = small_app.session_interface._signing(small_app)
    assert 0 < len(kept) <= 3


def test_the_platform_opens_sessions_through_it(app):
    assert isinstance(app.session_interface, CookieSessionInterface)
