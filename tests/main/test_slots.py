"""grants/slots.py: a worker process runs at most REQUEST_SLOTS requests at once, reads each
request's body before its turn, and lets a long render give its turn to the requests behind it."""

from __future__ import annotations

import io
import threading
import time

import pytest
from werkzeug.test import EnvironBuilder

from grants import create_app
from grants.db import unit_of_work
from grants.reports import pdf as pdf_module
from grants.reports import tables
from grants.setup import register_request_slots
from grants.slots import SPOOL_BYTES, RequestSlots, step_aside
from tests.factories import PASSWORD

WAIT = 10  # seconds a test waits for a thread at most (a loaded machine), never on a good run


def _environ(path: str = "/", body: bytes = b"", stream=None) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
    }


def _call(served, environ: dict) -> tuple[str, bytes]:
    statuses = []
    body = b"".join(served(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body


def _in_thread(served, environ: dict) -> threading.Thread:
    thread = threading.Thread(target=_call, args=(served, environ), daemon=True)
    thread.start()
    return thread


class Meter:
    """A WSGI app that reads the body, works a while, and records how many of it run at once."""

    def __init__(self, hold: float = 0.05) -> None:
        self.hold, self.running, self.most = hold, 0, 0
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"] or 0))
            time.sleep(self.hold)
        finally:
            with self.lock:
                self.running -= 1
                self.bodies.append(body)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]


class PhoneUpload(io.RawIOBase):
    """A body sent over a slow network: its first half at once, the rest once ``go`` is set."""

    def __init__(self, body: bytes, go: threading.Event) -> None:
        self.body, self.go, self.at = body, go, 0
        self.stalled = threading.Event()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        half = len(self.body) // 2
        if self.at >= half and not self.go.is_set():
            self.stalled.set()
            self.go.wait(WAIT)
        end = len(self.body) if n < 0 else self.at + n
        chunk = self.body[self.at : end if self.go.is_set() else min(end, half)]
        self.at += len(chunk)
        return chunk


class BrokenUpload(io.RawIOBase):
    """A body whose connection breaks after ``sent`` bytes."""

    def __init__(self, body: bytes, sent: int) -> None:
        self.body, self.sent, self.at = body, sent, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.at >= self.sent:
            raise ConnectionResetError("the phone went out of coverage")
        chunk = self.body[self.at : min(self.at + (n if n >= 0 else self.sent), self.sent)]
        self.at += len(chunk)
        return chunk


@pytest.mark.parametrize("slots", [1, 2])
def test_at_most_that_many_requests_run_the_app_at_once_and_every_one_is_answered(slots):
    meter = Meter()
    served = RequestSlots(meter, slots=slots, max_body=1024)
    threads = [_in_thread(served, _environ(body=f"activity {i}".encode())) for i in range(8)]
    for thread in threads:
        thread.join(WAIT)

    assert meter.most == slots
    assert sorted(meter.bodies) == sorted(f"activity {i}".encode() for i in range(8))


@pytest.mark.parametrize("size", [3000, SPOOL_BYTES + 3000], ids=["in memory", "in a file"])
def test_a_slow_upload_is_read_before_its_turn_and_holds_none(size):
    """While a phone is still sending its photos, the one turn of the process serves others; the
    app then reads the upload whole, from memory or (past SPOOL_BYTES) from a file."""
    meter = Meter(hold=0)
    served = RequestSlots(meter, slots=1, max_body=10 * SPOOL_BYTES)
    go = threading.Event()
    photo = bytes(range(256)) * (size // 256) + b"end"
    upload = PhoneUpload(photo, go)
    uploading = _in_thread(served, _environ("/photos", stream=upload) | {"CONTENT_LENGTH": str(len(photo))})
    assert upload.stalled.wait(WAIT)

    quick = _in_thread(served, _environ("/page", body=b"page"))
    quick.join(WAIT)
    assert not quick.is_alive() and meter.bodies == [b"page"]  # answered while the upload waits

    go.set()
    uploading.join(WAIT)
    assert meter.bodies == [b"page", photo]


def _noting_input(seen: list):
    """An app that notes the body stream it was handed."""

    def app(environ, start_response):
        seen.append(environ["wsgi.input"])
        start_response("200 OK", [])
        return [b""]

    return app


def test_a_body_over_the_limit_or_of_unknown_length_is_left_to_the_app():
    seen: list = []
    served = RequestSlots(_noting_input(seen), slots=1, max_body=10)
    big, chunked = io.BytesIO(b"x" * 11), io.BytesIO(b"x")
    _call(served, _environ(stream=big) | {"CONTENT_LENGTH": "11"})
    _call(served, _environ(stream=chunked) | {"CONTENT_LENGTH": ""})

    assert seen[0] is big and seen[1] is chunked and big.tell() == 0 and chunked.tell() == 0


@pytest.mark.parametrize("length", ["²", "٣", "-1", "1e3", "9" * 40])
def test_a_length_that_is_no_plain_number_is_left_to_the_app(length):
    seen: list = []
    served = RequestSlots(_noting_input(seen), slots=1, max_body=10)
    sent = io.BytesIO(b"xyz")
    status, _body = _call(served, _environ(stream=sent) | {"CONTENT_LENGTH": length})

    assert status.startswith("200") and seen == [sent] and sent.tell() == 0


def test_the_app_answers_a_post_with_an_odd_length_without_an_error(app):
    served = _serve_with_slots(app)
    environ = EnvironBuilder(path="/login", method="POST", data={"login": "x"}).get_environ()
    environ["CONTENT_LENGTH"] = "²"
    with app.app_context():
        status, _body = _call(served, environ)

    assert not status.startswith("5")


def _serve_with_slots(app, **config) -> RequestSlots:
    app.config.update(REQUEST_SLOTS=1, **config)
    register_request_slots(app)
    return app.wsgi_app


def test_the_app_answers_an_upload_over_the_limit_with_its_own_413(app):
    served = _serve_with_slots(app, MAX_CONTENT_LENGTH=2048)
    environ = EnvironBuilder(path="/login", method="POST", data={"login": "x" * 4096}).get_environ()
    with app.app_context():
        status, body = _call(served, environ)

    assert status.startswith("413") and "文件太大" in body.decode()


def test_a_connection_that_breaks_during_the_upload_gets_a_400_and_changes_nothing(app, make, session):
    served = _serve_with_slots(app)
    user = make.user()
    session.commit()
    environ = EnvironBuilder(
        path="/login", method="POST", data={"login": user.login_name, "password": PASSWORD}
    ).get_environ()
    whole = environ["wsgi.input"].read()
    environ["wsgi.input"] = BrokenUpload(whole, sent=len(whole) // 2)
    status, _body = _call(served, environ)

    assert status.startswith("400")
    session.refresh(user)
    assert user.last_login_at is None


def test_the_platform_signs_in_through_its_turns(app, make, session):
    served = _serve_with_slots(app)
    user = make.user()
    session.commit()
    client = app.test_client()

    assert isinstance(app.wsgi_app, RequestSlots) and served is app.wsgi_app
    assert client.post("/login", data={"login": user.login_name, "password": PASSWORD}).status_code == 302
    assert user.display_name in client.get("/").get_data(as_text=True)


def test_a_long_render_gives_its_turn_away_and_takes_one_again():
    aside, resume = threading.Event(), threading.Event()
    answered: list[str] = []

    def render(environ, start_response):
        with step_aside():
            aside.set()
            resume.wait(WAIT)
        time.sleep(0.05)  # the document is sent: the turn is this request's again
        answered.append("render")
        start_response("200 OK", [])
        return [b"%PDF-"]

    def page(environ, start_response):
        answered.append("page")
        start_response("200 OK", [])
        return [b"page"]

    served = RequestSlots(lambda e, s: (render if e["PATH_INFO"] == "/pdf" else page)(e, s), slots=1, max_body=1024)
    rendering = _in_thread(served, _environ("/pdf"))
    assert aside.wait(WAIT)
    during = _in_thread(served, _environ("/page"))
    during.join(WAIT)
    assert answered == ["page"]  # served while the render had stepped aside

    resume.set()
    time.sleep(0.01)
    after = _in_thread(served, _environ("/page"))
    rendering.join(WAIT)
    after.join(WAIT)
    assert answered == ["page", "render", "page"]


def test_a_request_in_a_write_transaction_keeps_its_turn(app):
    """Its row locks may be what the next request waits for: giving the turn away could leave both
    waiting on each other."""
    found = {}

    def app_code(environ, start_response):
        with unit_of_work(), step_aside():
            found["in a write transaction"] = _turn_was_given_away(served)
        with step_aside():
            found["reading"] = _turn_was_given_away(served)
        start_response("200 OK", [])
        return [b""]

    served = RequestSlots(app_code, slots=1, max_body=1024)
    _call(served, _environ())

    assert found == {"in a write transaction": False, "reading": True}


def _turn_was_given_away(served: RequestSlots) -> bool:
    if served.slots.acquire(blocking=False):
        served.slots.release()
        return True
    return False


def test_step_aside_outside_a_request_changes_nothing():
    with step_aside():  # a job, the CLI: no turn to give
        pass


class _FakeDocument:
    pages = ()

    def write_pdf(self) -> bytes:
        return b"%PDF-"


def test_pdfs_and_spreadsheets_are_made_with_the_turn_given_away(app, monkeypatch):
    found = {}

    class FakeHTML:
        def __init__(self, **kwargs) -> None:
            pass

        def render(self, **kwargs):
            found["pdf"] = _turn_was_given_away(served)
            return _FakeDocument()

    def fake_csv(table):
        found["csv"] = _turn_was_given_away(served)
        return b""

    monkeypatch.setattr(pdf_module, "HTML", FakeHTML)
    monkeypatch.setattr(tables, "to_csv", fake_csv)

    def app_code(environ, start_response):
        with app.test_request_context():
            pdf_module.render_pdf("<p>公示</p>", base_url="http://grants.test/")
        tables.download(tables.Table(title="t", headers=["a"], rows=[["1"]]), "csv", "t", "t")
        start_response("200 OK", [])
        return [b""]

    served = RequestSlots(app_code, slots=1, max_body=1024)
    _call(served, _environ())

    assert found == {"pdf": True, "csv": True}


def test_a_worker_runs_one_request_at_a_time_unless_told_otherwise(monkeypatch, tmp_path):
    def made(**config):
        base = {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        }
        return create_app(base | config).wsgi_app

    monkeypatch.delenv("REQUEST_SLOTS", raising=False)
    one = made()
    monkeypatch.setenv("REQUEST_SLOTS", "3")
    three = made()

    assert isinstance(one, RequestSlots) and one.count == 1
    assert isinstance(three, RequestSlots) and three.count == 3
    assert not isinstance(made(REQUEST_SLOTS=0), RequestSlots)
