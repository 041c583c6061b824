"""The cross-account walk (scripts/cross_access.py) finds an object page or form of one account
that another reaches, and nothing that is refused or public."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Flask, abort, redirect, request, session

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
NOTES = {1: "ann", 2: "bob"}


def _walker():
    spec = importlib.util.spec_from_file_location("cross_access", SCRIPTS / "cross_access.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _probe_app() -> Flask:
    app = Flask("probe")
    app.secret_key = "probe"

    @app.post("/login")
    def login():
        session["user"] = request.form["login"]
        return redirect("/")

    def signed_in() -> str:
        if "user" not in session:
            abort(redirect("/login"))
        return session["user"]

    @app.get("/")
    def home():
        user = session.get("user")
        mine = [n for n, owner in NOTES.items() if owner == user]
        return "".join(f'<a href="/notes/{n}">n</a><a href="/public/{n}">p</a>' for n in mine)

    @app.get("/notes/<int:note>")
    def note(note: int):
        signed_in()  # but not whose note it is: the hole the walk must find
        return f'<form method="post" action="/notes/{note}/delete"><input name="why" value="old"></form>'

    @app.post("/notes/<int:note>/delete")
    def delete(note: int):
        if NOTES.get(note) != signed_in():
            abort(403)
        return redirect("/")

    @app.get("/public/<int:note>")
    def public(note: int):
        return "open to everyone"

    return app


def test_another_accounts_object_page_is_reported_and_refused_or_public_ones_are_not():
    reached = _walker().cross(_probe_app(), "ann", "bob", 20)
    assert reached == ["GET /notes/1"]


def test_an_anonymous_visitor_sent_to_sign_in_reaches_nothing():
    reached = _walker().cross(_probe_app(), "ann", "anon", 20)
    assert reached == []  # /notes/1 sends it to sign in; the delete form likewise
