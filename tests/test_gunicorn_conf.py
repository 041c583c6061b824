"""gunicorn.conf.py, which `make run` and bench/activities.py serve with: a burst of connections is
shared by the workers, rather than taken by whichever worker accepts first; a worker's threads read
slow uploads while its one turn (grants/slots.py) serves other requests."""

from __future__ import annotations

import http.client
import runpy
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "gunicorn.conf.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")

# A WSGI app that takes a while and says which worker answered.
SLOW_APP = """
import os, time

def app(environ, start_response):
    if environ["PATH_INFO"] != "/ready":
        time.sleep(0.25)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
"""


def test_each_worker_takes_at_most_two_connections_per_thread():
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "gthread"
    assert conf["worker_connections"] == 2 * conf["threads"]


def test_the_app_keeps_a_database_connection_per_thread(monkeypatch):
    from grants.config import load_config

    monkeypatch.setenv("DB_POOL_SIZE", "")  # recorded, so that what gunicorn.conf.py sets is undone after
    monkeypatch.delenv("DB_POOL_SIZE")
    conf = runpy.run_path(str(CONF))
    assert load_config()["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == conf["threads"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Connection": "close"})
        return connection.getresponse().read().decode()
    finally:
        connection.close()


@contextmanager
def _gunicorn(tmp_path: Path, source: str, *, workers: int = 1) -> Iterator[int]:
    """gunicorn with gunicorn.conf.py serving the WSGI app ``source`` (a module's text, its callable
    ``app``) on a free port, stopped after."""
    (tmp_path / "served_app.py").write_text(source)
    port = _free_port()
    flags = ["-c", str(CONF), "-w", str(workers), "--chdir", str(tmp_path), "--pythonpath", str(ROOT)]
    server = subprocess.Popen(
        [str(GUNICORN), *flags, "-b", f"127.0.0.1:{port}", "served_app:app"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_burst_of_connections_is_shared_by_both_workers(tmp_path):
    """Three connections per thread of one worker arrive at once: a worker takes two per thread at
    most (``worker_connections``), so the other worker answers at least a third of them."""
    conf = runpy.run_path(str(CONF))
    burst = 3 * conf["threads"] * 2  # two workers' threads, three times over
    with _gunicorn(tmp_path, SLOW_APP, workers=2) as port:
        # Both workers are up once each has answered (the quick path, until two pids are seen).
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while len(seen) < 2:
            assert time.monotonic() < deadline, "gunicorn's two workers did not start"
            try:
                seen.add(_get(port, "/ready"))
            except OSError:
                time.sleep(0.05)
        answers: list[str] = []
        barrier = threading.Barrier(burst)

        def one() -> None:
            barrier.wait()
            answers.append(_get(port, "/slow"))

        threads = [threading.Thread(target=one) for _ in range(burst)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    by_worker = Counter(answers)
    assert len(answers) == burst
    assert set(by_worker) <= seen
    assert min(by_worker.values()) >= burst // 3, by_worker


# The app of one turn (grants/slots.py), as the platform's workers run it: it says how many bytes of
# body it was given.
ONE_TURN_APP = """
from grants.slots import RequestSlots

def bare(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(len(body)).encode()]

app = RequestSlots(bare, slots=1, max_body=1 << 20)
"""


def test_a_phone_still_uploading_holds_no_turn_of_a_one_turn_worker(tmp_path):
    """gunicorn's thread reads the upload while the worker's one turn serves the other requests."""
    with _gunicorn(tmp_path, ONE_TURN_APP) as port:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _get(port, "/ready") == "0"
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.05)
        photo = b"\xff" * 200_000
        phone = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = f"POST /photos HTTP/1.1\r\nHost: x\r\nContent-Length: {len(photo)}\r\nConnection: close\r\n\r\n"
        phone.sendall(head.encode() + photo[:1000])  # then the network slows down
        time.sleep(0.2)

        started = time.monotonic()
        others = [_get(port, "/page") for _ in range(3)]
        answered_in = time.monotonic() - started

        phone.sendall(photo[1000:])
        answer = b""
        while chunk := phone.recv(65536):
            answer += chunk
        phone.close()
    assert others == ["0", "0", "0"] and answered_in < 5
    assert answer.startswith(b"HTTP/1.1 200") and f"\r\n{len(photo)}\r\n".encode() in answer
