"""Walk the demo as each role and send every form it finds odd values: no answer may be a 500.

    .venv/bin/python scripts/fuzz_forms.py [ROLE ...] [--pages 800] [--database URL]

Loads the demo (`flask seed-demo`) into a fresh database — a temporary SQLite file by default, or
the PostgreSQL database given, whose tables are dropped and migrated again (PostgreSQL enforces
column types and lengths that SQLite lets pass) — then, for each role (default: every kind of demo
account and an anonymous visitor), starting again from the seeded demo:

1. follows the links of the pages it can open, from the home page (at most --pages pages);
2. sends each kind of form found (one per URL shape, e.g. /groups/activities/N/edit) once empty,
   once with every field set to each odd value, and once per field with that field set to each
   odd value and the others as the page filled them in;
3. asks again for the pages whose links carry a query string (filters, page numbers), with each
   parameter set to each odd value in turn.

CSRF checks and the sign-in limits are off (the form's rules are what is probed). Prints every
request answered 500 with the end of its traceback, and exits 1 when there was one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import traceback
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scaffold import fresh_database  # noqa: E402  (bench/scaffold.py)

ROLES = ("organizer", "finance", "judge1", "staff1", "street1", "resident1", "jm001", "anon")
PASSWORD = "demo12345"  # noqa: S105 (the demo's published password)
# Each a value some parser has choked on: a digit int() refuses, an infinity, NaN, an id no column
# holds, more digits than int() converts (Python's 4,300-digit limit), a negative, a long text,
# impossible dates and times, a full-width digit, a NUL.
ODD = (
    "²",
    "1e309",
    "NaN",
    "9" * 20,
    "1" * 5000,
    "-1",
    "x" * 3000,
    "0",
    "2026-13-45",
    "25:61",
    "１",
    "\x00",
    "=1+1",
    "",
)
SKIPPED = re.compile(r"/logout|/static/|\.(pdf|xlsx|csv|zip)$")


class Page(HTMLParser):
    """The links and forms of a page: each form's action, method and fields as the page fills them."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", tag)
            if kind in ("file", "submit", "button", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(a["name"], [])
                return
            self._form["fields"].setdefault(a["name"], []).append(a.get("value") or "")
            self._select = a["name"] if tag == "select" else None
        elif tag == "option" and self._form is not None and self._select and "value" in a:
            values = self._form["fields"][self._select]
            if not values[-1] or "selected" in a:
                values[-1] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def variants(fields: dict[str, list[str]]):
    """(what is odd, body) to send: nothing filled in, every field odd at once, then one field odd
    at a time with the others as the page filled them in."""
    names = sorted(n for n in fields if n != "csrf_token")
    filled = {n: fields[n] or [""] for n in names}
    yield "empty", {}
    for odd in ODD:
        yield f"every field={odd[:20]!r}", {n: odd for n in names}
    for name in names:
        for odd in ODD:
            yield f"{name}={odd[:20]!r}", {**filled, name: [odd] * len(filled[name])}


def signed_in(app, login: str):
    """A test client of the app signed in as ``login`` ("anon": not signed in)."""
    client = app.test_client()
    if login != "anon":
        answer = client.post("/login", data={"login": login, "password": PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"{login}: sign-in answered {answer.status_code}")
    return client


def action_of(url: str, form: dict) -> str:
    """The path a form found on ``url`` is sent to."""
    return urlparse(urljoin(url, form["action"] or url)).path


def follow(get, pages: int):
    """(URL, answer, the page's links and forms or None) of each page reached by following links
    from the home page, ``get(url)`` asking for each; at most ``pages`` pages."""
    seen, queue = set(), ["/"]
    while queue and len(seen) < pages:
        url = queue.pop(0)
        if url in seen or SKIPPED.search(urlparse(url).path):
            continue
        seen.add(url)
        answer = get(url)
        if "html" not in (answer.content_type or ""):
            yield url, answer, None
            continue
        page = Page()
        page.feed(answer.get_data(as_text=True))
        for href in page.links:
            target = urlparse(urljoin(url, href))
            if not target.netloc or target.netloc == "localhost":
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
        yield url, answer, page


def walk(app, role: str, pages: int) -> list[tuple[str, str, str]]:
    """(method, URL, traceback) of every answer 500 while walking as ``role``."""
    from flask import got_request_exception

    errors: list[str] = []

    def record(sender, exception, **extra):
        errors.append("".join(traceback.format_exception(exception))[-1500:])

    got_request_exception.connect(record, app)
    client = signed_in(app, role)
    found: list[tuple[str, str, str]] = []

    def request(method: str, url: str, data: dict, what: str = ""):
        before = len(errors)
        if method == "post":
            answer = client.post(url, data=data)
        else:
            answer = client.get(url, query_string=data) if data else client.get(url)
        if answer.status_code >= 500:
            found.append((method.upper(), f"{urlparse(url).path} {what}".strip(), "\n".join(errors[before:])))
        return answer

    seen, forms = set(), []
    for url, _answer, page in follow(lambda url: request("get", url, {}), pages):
        seen.add(url)
        forms += [(url, form) for form in (page.forms if page else [])]
    shapes = set()
    for url, form in forms:
        action = action_of(url, form)
        shape = (form["method"], re.sub(r"\d+", "N", action))
        if shape in shapes or SKIPPED.search(action):
            continue
        shapes.add(shape)
        for what, data in variants(form["fields"]):
            request(form["method"], action, data, what)
    # The links' own query strings (filters, pages, years): each parameter odd in turn.
    asked = set()
    for url in seen:
        parts = urlparse(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        for name in dict(query):
            shape = (re.sub(r"\d+", "N", parts.path), name)
            if shape in asked:
                continue
            asked.add(shape)
            others = [(n, v) for n, v in query if n != name]
            for odd in ODD:
                request("get", f"{parts.path}?{urlencode([*others, (name, odd)])}", {}, f"{name}={odd[:20]!r}")
    got_request_exception.disconnect(record, app)
    print(
        f"{role}: {len(seen)} pages, {len(shapes)} kinds of form, {len(asked)} query parameters, "
        f"{len(found)} answers 500",
        flush=True,
    )
    return found


def demo_app(url: str, folder: Path, *, seed: bool):
    """The app on ``url`` with its files under ``folder``; ``seed``: migrate and load the demo first."""
    from flask_migrate import upgrade

    from grants import create_app
    from grants.db import db, unit_of_work
    from grants.demo import seed_demo

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "UPLOAD_DIR": str(folder / "uploads"),
            "SECRET_KEY": "fuzz-forms",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )
    if seed:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            with unit_of_work() as session:
                seed_demo(session)
            db.session.remove()
            db.engine.dispose()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roles", nargs="*", default=list(ROLES))
    parser.add_argument("--pages", type=int, default=800, help="pages to open per role")
    parser.add_argument("--database", default="", help="a PostgreSQL URL (its tables are dropped)")
    args = parser.parse_args()
    os.environ["ARGON2_TIME_COST"] = "1"  # the demo's accounts sign in many times
    work = Path(tempfile.mkdtemp(prefix="fuzz-forms-"))
    seeded = work / "seeded"
    if not args.database:  # SQLite: the demo is loaded once, and each role starts from a copy of it
        seeded.mkdir()
        demo_app(f"sqlite:///{seeded / 'demo.db'}", seeded, seed=True)
    found = []
    for role in args.roles:
        folder = work / role
        if args.database:  # loaded again for each role: the last role's posts changed it
            folder.mkdir()
            fresh_database(args.database)
            app = demo_app(args.database, folder, seed=True)
        else:
            shutil.copytree(seeded, folder)
            app = demo_app(f"sqlite:///{folder / 'demo.db'}", folder, seed=False)
        found += [(role, *answer) for answer in walk(app, role, args.pages)]
    for role, method, url, trace in found:
        print(f"\n== {role} {method} {url}\n{trace}")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
