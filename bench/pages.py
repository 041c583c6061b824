"""Benchmark: the pages many people open at once, against a hello-world Flask page.

    .venv/bin/python bench/pages.py [--requests 300] [--database URL]

Loads the demo (`flask seed-demo`) into a fresh database — a temporary SQLite file by default, or
the PostgreSQL database given, whose tables are dropped and migrated again — then renders, in this
one process and through Flask's test client, a hello-world page and each page:

    home            /                                    anonymous
    public_results  /results/<past edition>              anonymous
    public_notice   /results/<edition>/notices/<id>      anonymous
    judge_queue     /review/queue                        judge1
    judge_sheet     /review/assignments/<id>             judge1
    round_results   /review/rounds/<round 2>/results     organizer
    edition         /admin/editions/<current edition>    organizer

The floor is a hello-world view added to the platform's app, so that it passes the same request
hooks (rate limiter, security headers, locale) as every page; a bare Flask app's hello world is
printed beside it for reference.

Each page is timed beside the floor: 5 batches of N/5 requests of the page alternating with 5 of the
floor (after a warm-up of both), each the best median of its batches; r = floor / page, the page's
share of the floor's throughput. The machine's speed drifts within a run (a shared virtual machine:
a floor timed once at the start read 0.48 ms in one run, 0.93 ms in another that evening), so each
page is compared with the floor timed in the same seconds, not with one timed at the start. The last
line is

    floor_ms=<x> home=<r> public_results=<r> public_notice=<r> judge_queue=<r> judge_sheet=<r> round_results=<r> edition=<r>

with floor_ms the median of the floors timed beside the pages. Targets (issue 12):
public pages ≥ 0.40, the judge's queue and sheet ≥ 0.25, organizer pages ≥ 0.10.
Also prints each page's time and number of SQL statements, the public pages' time when rendered
each time (anonymous public pages are kept a few seconds by each worker: grants/http_cache.py), and
the signed-in layout alone (base.html around no content, as judge1): what every signed-in page costs
before its own queries and content.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scaffold import fresh_database  # bench/ is the script's folder, on sys.path when run

PAGES = ("home", "public_results", "public_notice", "judge_queue", "judge_sheet", "round_results", "edition")


def _time_beside(*gets, requests: int = 300) -> list[float]:
    """Each of ``gets`` timed as the best median of 5 batches of ``requests``/5, their batches
    alternating (after a warm-up of each), in milliseconds per request."""
    for get in gets:
        for _ in range(max(20, requests // 10)):
            get()
    medians: list[list[float]] = [[] for _ in gets]
    for _ in range(5):
        for get, kept in zip(gets, medians, strict=True):
            samples = []
            for _ in range(requests // 5 or 1):
                started = time.perf_counter()
                get()
                samples.append((time.perf_counter() - started) * 1000)
            kept.append(statistics.median(samples))
    return [min(kept) for kept in medians]


def _bare_hello_world_client():
    from flask import Flask

    hello = Flask("hello")

    @hello.get("/")
    def index():
        return "Hello, World!"

    return hello.test_client()


def _add_hello_world_page(app) -> str:
    """A hello-world page inside the platform's app, so it passes the same request hooks as every page."""

    @app.get("/bench-hello")
    def bench_hello():
        return "Hello, World!"

    return "/bench-hello"


def _add_signed_in_layout_page(app) -> str:
    """The layout every signed-in page shares (header, menu, language switch) around no content of
    its own, behind the same sign-in: what any page of a signed-in user costs before its own work."""
    from flask import render_template
    from flask_login import login_required

    layout = app.jinja_env.from_string('{% extends "base.html" %}{% block content %}{% endblock %}')

    @app.get("/bench-signed-in-layout")
    @login_required
    def bench_signed_in_layout():
        return render_template(layout)

    return "/bench-signed-in-layout"


def _targets(session):
    """The URLs to time and who opens them."""
    from sqlalchemy import select

    from grants.auth.models import User
    from grants.editions.models import Edition, Round
    from grants.judging.models import Assignment
    from grants.results.models import Publication

    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(["judge1", "organizer"])))}
    publication = session.scalars(
        select(Publication).where(Publication.status.in_(["open", "closed", "final"])).order_by(Publication.id)
    ).first()
    current = session.scalars(select(Edition).order_by(Edition.number.desc())).first()
    scoring = session.scalars(
        select(Round).where(Round.edition_id == current.id, Round.kind == "scoring").order_by(Round.position)
    ).first()
    assignment = session.scalars(
        select(Assignment).where(Assignment.judge_id == users["judge1"].id, Assignment.round_id == scoring.id)
    ).first()
    return {
        "home": (None, "/"),
        "public_results": (None, f"/results/{publication.edition_id}"),
        "public_notice": (None, f"/results/{publication.edition_id}/notices/{publication.id}"),
        "judge_queue": (users["judge1"], "/review/queue"),
        "judge_sheet": (users["judge1"], f"/review/assignments/{assignment.id}"),
        "round_results": (users["organizer"], f"/review/rounds/{scoring.id}/results"),
        "edition": (users["organizer"], f"/admin/editions/{current.id}"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    fresh_database(url)
    os.environ["DATABASE_URL"] = url

    from flask_migrate import upgrade
    from sqlalchemy import event

    from grants import create_app
    from grants.db import db, unit_of_work
    from grants.demo import seed_demo

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp.name, "ARGON2_TIME_COST": 1, "SECRET_KEY": "bench"}
    )
    hello_path = _add_hello_world_page(app)
    layout_path = _add_signed_in_layout_page(app)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        with unit_of_work() as session:
            seed_demo(session)
        targets = _targets(db.session)
        engine = db.engine
        db.session.remove()

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    floor = _bound(app.test_client(), hello_path)
    bare_ms, floor_ms = _time_beside(_bound(_bare_hello_world_client(), "/"), floor, requests=args.requests)
    print(f"hello-world: {floor_ms:.3f} ms in the platform's app (the floor), {bare_ms:.3f} ms in a bare Flask app")
    layout_client = _signed_in_client(app, targets["judge_queue"][0])
    floor_ms, layout_ms = _time_beside(floor, _bound(layout_client, layout_path), requests=args.requests)
    print(
        f"signed-in layout: {layout_ms:.3f} ms, r={floor_ms / layout_ms:.2f} (judge1: the layout alone, no content;"
        f" floor {floor_ms:.3f} ms beside it)"
    )
    ratios, floors = {}, []
    for name in PAGES:
        user, path = targets[name]
        client = app.test_client() if user is None else _signed_in_client(app, user)
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: GET {path} answered {response.status_code}")
        statements.clear()
        client.get(path)
        queries = len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))])
        floor_ms, page_ms = _time_beside(floor, _bound(client, path), requests=args.requests)
        floors.append(floor_ms)
        ratios[name] = floor_ms / page_ms
        print(
            f"{name:15} {page_ms:7.2f} ms  {queries:3d} queries  r={ratios[name]:.2f}  floor {floor_ms:.3f} ms  {path}"
        )
    # For the record: the public pages rendered afresh each time (without the worker's page cache).
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    for name in ("public_results", "public_notice"):
        floor_ms, page_ms = _time_beside(floor, _bound(app.test_client(), targets[name][1]), requests=args.requests)
        print(f"{name:15} {page_ms:7.2f} ms  rendered each time, r={floor_ms / page_ms:.2f}")
    floor_ms = statistics.median(floors)
    print(f"floor_ms={floor_ms:.3f} " + " ".join(f"{name}={ratios[name]:.2f}" for name in PAGES))


def _signed_in_client(app, user):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def _bound(client, path):
    return lambda: client.get(path)


if __name__ == "__main__":
    main()
