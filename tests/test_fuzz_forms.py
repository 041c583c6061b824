"""The form fuzzer (scripts/fuzz_forms.py, `make fuzz`) finds what answers 500, and only that."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Flask, request

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "fuzz_forms.py"


def _fuzzer():
    spec = importlib.util.spec_from_file_location("fuzz_forms", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _probe_app() -> Flask:
    app = Flask("probe")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/")
    def home():
        return '<a href="/careless">a</a> <a href="/careful">b</a> <a href="/list?page=1&q=x">c</a>'

    def page(action: str) -> str:
        return (
            f'<form method="post" action="{action}"><input name="n" value="1">'
            '<select name="kind"><option value="a">A</option><option value="b" selected>B</option></select>'
            '<input type="checkbox" name="late" value="1"><input type="file" name="photo"></form>'
        )

    @app.route("/careless", methods=["GET", "POST"])
    def careless():
        if request.method == "POST":
            return str(int(request.form.get("n") or 0) + 1)  # "²" passes str.isdigit, not int()
        return page("/careless")

    @app.route("/careful", methods=["GET", "POST"])
    def careful():
        if request.method == "POST":
            text = request.form.get("n", "")
            return ("ok", 200) if text.isascii() and text.isdigit() else ("请填写整数。", 400)
        return page("/careful")

    @app.get("/list")
    def listing():
        return str(int(request.args.get("page", "1")))

    return app


def test_the_walk_reports_each_answer_500_and_what_was_odd():
    found = _fuzzer().walk(_probe_app(), "anon", 20)
    where = {(method, what.split(" ", 1)[0]) for method, what, _trace in found}
    assert where == {("POST", "/careless"), ("GET", "/list")}
    assert any("n='²'" in what for _m, what, _t in found) and any("page=" in what for _m, what, _t in found)
    assert all("ValueError" in trace for _m, _w, trace in found)


def test_each_field_is_made_odd_in_turn_with_the_others_as_the_page_filled_them():
    fuzzer = _fuzzer()
    bodies = dict(fuzzer.variants({"csrf_token": ["t"], "n": ["1"], "kind": ["b"], "late": []}))
    assert bodies["empty"] == {}
    assert bodies["n='²'"] == {"n": ["²"], "kind": ["b"], "late": [""]}
    assert bodies["every field='NaN'"] == {"n": "NaN", "kind": "NaN", "late": "NaN"}
    assert len(bodies) == 1 + len(fuzzer.ODD) * 4
