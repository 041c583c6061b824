"""A session's signed CSRF token is signed once per worker and is the one Flask-WTF checks
(grants/csrf.py); another session's token is refused, and with a time limit tokens are signed afresh."""

from __future__ import annotations

import re

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _tokens(client, path: str = "/account") -> list[str]:
    return TOKEN.findall(client.get(path).get_data(as_text=True))


def test_a_session_gets_the_same_signed_token_on_every_page_and_it_is_accepted(app, client, login_as, world):
    login_as(world.judge_a)
    first = _tokens(client)
    again = _tokens(client, "/")
    assert len(first) >= 2 and set(first) == set(again) and len(set(first)) == 1  # every form of every page
    assert list(app.extensions["signed_csrf_tokens"].values()) == [first[0]]
    assert client.post("/logout", data={"csrf_token": first[0]}).status_code == 302
    assert client.get("/account").status_code == 302  # signed out: the token was accepted


def test_another_session_gets_its_own_token_and_cannot_use_the_first_ones(app, client, login_as, world):
    mine = _tokens(login_as(world.judge_a))[0]
    other = app.test_client()  # another browser, signed in through the sign-in form
    assert other.post("/login", data={"login": world.organizer_a.login_name, "password": PASSWORD}).status_code == 302
    theirs = _tokens(other)[0]
    assert theirs != mine
    assert other.post("/logout", data={"csrf_token": mine}).status_code == 400
    assert other.get("/account").status_code == 200  # still signed in: the sign-out was refused
    assert other.post("/logout", data={"csrf_token": theirs}).status_code == 302


def test_with_a_time_limit_tokens_are_signed_afresh(app, client, login_as, world):
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    login_as(world.judge_a)
    token = _tokens(client)[0]
    assert "signed_csrf_tokens" not in app.extensions
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
