"""How many requests of one worker process run the application at the same moment.

A process runs Python one thread at a time (the GIL). When 200 group leaders post their
activities in the same second after a festival, a worker's eight threads all took requests at
once: they took turns on the one core every few milliseconds, each turn costing the switch and
the caches, and held eight transactions open on the database at once, where they waited on one
another's row locks. The same 200 posts took more CPU in all, the server's and PostgreSQL's, than
when the requests ran one after the other (measured with bench/activities.py: issue 14).

So a process runs at most ``REQUEST_SLOTS`` requests at once (one by default: the database is on
the same machine, or SQLite in the process, and every request is work for its cores). The threads
are still there for what is not work: a request's body is read in full before its turn (a phone
uploading photos over a slow network holds a thread, never a turn), and the answer is written
after it. A request waits for its turn, in about the order it came.

With the database on another machine, each of its round trips leaves the core idle: there,
2 to 4 slots keep the cores busy. 0 turns the limit off (the test suite, whose concurrency tests
need the requests to overlap inside one process).

Long renders step aside (``step_aside``): a PDF's layout gives its turn to the requests waiting
behind it and takes one again when done, as long as it holds no write transaction (whose row
locks a waiting request may need).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from tempfile import SpooledTemporaryFile

from grants.params import whole_number

DEFAULT_SLOTS = 1  # REQUEST_SLOTS when the environment does not set it (grants/config.py)
# A body this large is kept in memory while it waits for its turn; a larger one goes to a file.
SPOOL_BYTES = 1024 * 1024
_CHUNK = 64 * 1024

_held: ContextVar[threading.Semaphore | None] = ContextVar("request_slot", default=None)


class RequestSlots:
    """WSGI middleware: reads each request's body, then runs the application in one of ``slots``
    turns of this process. A body larger than ``max_body`` (or of unknown length) is left to the
    application, which refuses it (413) or reads it itself."""

    def __init__(self, wsgi_app, *, slots: int, max_body: int) -> None:
        if slots < 1:
            raise ValueError(f"RequestSlots: {slots} slots")
        self.wsgi_app = wsgi_app
        self.count = slots
        self.slots = threading.Semaphore(slots)
        self.max_body = max_body

    def __call__(self, environ, start_response):
        body = read_body_first(environ, self.max_body)
        try:
            with self.slots:
                token = _held.set(self.slots)
                try:
                    return self.wsgi_app(environ, start_response)
                finally:
                    _held.reset(token)
        finally:
            if body is not None:
                body.close()


def read_body_first(environ: dict, max_body: int) -> SpooledTemporaryFile | None:
    """Replace ``wsgi.input`` by a copy of the whole body, read now, and return the copy. A client
    that stops sending leaves a shorter copy, which the application's parser finds short (400), as
    it would have found the connection."""
    # ASCII digits only ("²" is a digit to str.isdigit and no number to int): anything else is left
    # to the application, as is a body over the limit.
    left = whole_number(environ.get("CONTENT_LENGTH"), maximum=max_body)
    if not left:
        return None
    stream = environ["wsgi.input"]
    body = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by the caller, after the answer)
    try:
        while left > 0:
            chunk = stream.read(min(left, _CHUNK))
            if not chunk:
                break
            body.write(chunk)
            left -= len(chunk)
    except OSError:  # the connection broke: what came is what the application sees
        pass
    body.seek(0)
    environ["wsgi.input"] = body
    return body


@contextmanager
def step_aside() -> Iterator[None]:
    """Give this request's turn to the next waiting one for the duration, and take a turn again
    after. Kept when the request is in a write transaction, or runs without slots (jobs, CLI)."""
    from grants.db import in_write_transaction

    slots = _held.get()
    if slots is None or in_write_transaction():
        yield
        return
    slots.release()
    try:
        yield
    finally:
        slots.acquire()
