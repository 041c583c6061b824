"""Benchmark: 200 group leaders submit an activity at the same moment, over HTTP, to a served app.

    .venv/bin/python bench/activities.py [--submissions 200] [--groups 40] [--database URL | --pg]
                                         [--redis URL]

Builds, in a fresh database (a temporary SQLite file by default; the PostgreSQL database of
--database, or of DATABASE_URL with --pg, whose tables are dropped and migrated again), one
community with --groups groups, each with its leader and five members, and the community's staff.
Serves the app as `make run` does: gunicorn with the settings of gunicorn.conf.py (one worker per
core, 8 threads each, running one request at a time: REQUEST_SLOTS; --workers/--threads override
them), the job queue in SQLite or in the Redis of --redis URL, and the jobs worker
beside it (`flask jobs-worker`, in the CPU's idle class: grants/jobs.py), which re-encodes the photos after
their activities are stored, once a core is free (at most PHOTO_CLEAN_MAX_DELAY seconds later). Then:

1. one thread per submission signs in with its own session (GET /login for the CSRF token, POST
   the form) and opens the log form for its own CSRF token (not timed);
2. all threads, released together by a barrier, POST an activity (a photo, two volunteers with
   1.5 h and 2 h, a submission's member never passing the daily cap) — timed per request, from
   sending the request (built before the release, as a phone builds it) to the server's answer;
3. staff confirm every stored activity over HTTP, then the group pages' figures are read back;
4. it waits (at most --photo-wait seconds) until the jobs worker has re-encoded every photo.

Checks: every submission answered 302 and is stored (none lost), no answer was a 500 and the
server's log has no "database is locked"; Σ of the group pages' 已核实活动 equals the count of
confirmed rows; every stored photo was re-encoded into its served place. It prints where the race's
CPU went (``race_server_seconds`` … ``race_cores_busy``: the web server's workers, the jobs worker,
the clients, a PostgreSQL on this machine; two cores busy means the race was bound by CPU), and as
its last line

    activities_stored=<n> activities_lost=<n> p95_seconds=<s>

Target (issue 14): all stored, p95 ≤ 1 s, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold import fresh_database  # noqa: E402  (bench/ is the script's folder)

PASSWORD = "bench-password-1"  # noqa: S105 (accounts of a throwaway database)
MEMBERS = 5
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIGURE_RE = re.compile(r'data-figure="activities">(\d+)<')


def _env(url: str, instance: str, redis_url: str = "") -> dict:
    """The served app's settings: the benchmark's database and instance folder (and Redis, with a
    queue of its own); password hashing as cheap as the test suite's and no sign-in rate limit (the
    sign-ins are not what is measured)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": instance,
        "UPLOAD_DIR": str(Path(instance) / "uploads"),
        "SECRET_KEY": "bench-activities",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "1024",
        "ARGON2_PARALLELISM": "1",
        # 200 sign-ins from one address in a few seconds are the benchmark's setup, not an attack.
        "RATELIMIT_ENABLED": "0",
        "JOBS_QUEUE_NAME": f"bench-activities-{Path(instance).parent.name}",
    }
    env.pop("REDIS_URL", None)
    env.pop("RATELIMIT_STORAGE_URI", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _conf_threads() -> int:
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"]


def make_run_workers() -> int:
    """As `make run` (Makefile, WORKERS): one per core (they share the sign-in limits either way)."""
    return os.cpu_count() or 1


def build(url: str, instance: str, groups: int) -> tuple[list[tuple[int, str, list[int]]], str]:
    """Migrate and fill the database; returns ([(group id, leader login, member ids)], staff login)."""
    os.environ.update(_env(url, instance))
    from flask_migrate import upgrade

    from grants import create_app
    from grants.auth import service as auth_service
    from grants.auth.models import Role
    from grants.db import db
    from grants.incubation import service as groups_service
    from grants.org import service as org_service
    from grants.timeutil import today

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench-activities"})
    with app.app_context():
        upgrade()
        session = db.session
        district = org_service.create_district(session, actor=None, name="基准区")
        street = org_service.create_street(session, actor=None, district=district, name="基准街道")
        community = org_service.create_community(session, actor=None, street=street, name="基准社区")
        organizer = auth_service.register_user(session, login="bench_org", display_name="主办方", password=PASSWORD)
        auth_service.grant_role(session, actor=None, user=organizer, role=Role.ORGANIZER, scope=district)
        staff = auth_service.register_user(session, login="bench_staff", display_name="社工", password=PASSWORD)
        auth_service.grant_role(session, actor=None, user=staff, role=Role.COMMUNITY_STAFF, scope=community)
        made = []
        for g in range(groups):
            login = f"bench_lead{g}"
            auth_service.register_user(session, login=login, display_name=f"负责人{g}", password=PASSWORD)
            group = groups_service.create_group(
                session,
                actor=organizer,
                community=community,
                data=groups_service.GroupData(name=f"基准组织{g}", kind="volunteer", leader_login=login),
            )
            members = [
                groups_service.add_member(
                    session,
                    actor=organizer,
                    group=group,
                    data=groups_service.MemberData(
                        name=f"成员{g}-{m}", mobile="", role="member", joined_on=today() - timedelta(days=60)
                    ),
                ).id
                for m in range(MEMBERS)
            ]
            made.append((group.id, login, members))
        session.commit()
        db.engine.dispose()
    return made, "bench_staff"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(
    url: str, instance: str, redis_url: str, workers: int, threads: int, log_path: Path
) -> tuple[subprocess.Popen, subprocess.Popen, str]:
    """(gunicorn, the jobs worker, base URL), started as `make run` starts them."""
    port = _free_port()
    log = log_path.open("w")
    env = _env(url, instance, redis_url)
    worker = subprocess.Popen(  # noqa: S603 (our own jobs worker, fixed arguments)
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "jobs-worker"],
        cwd=ROOT,
        env=env,
        stdout=log_path.with_name("jobs.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    # gunicorn.conf.py, as `make run` (the working folder's: gunicorn reads it itself).
    flags = ["-w", str(workers)] + (["--threads", str(threads)] if threads else [])
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [str(ROOT / ".venv" / "bin" / "gunicorn"), *flags, "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    import requests

    for _ in range(200):
        try:
            if requests.get(base + "/healthz", timeout=1).status_code < 500:
                return server, worker, base
        except requests.RequestException:
            time.sleep(0.1)
    server.terminate()
    worker.terminate()
    raise SystemExit(f"the server did not start; see {log_path}")


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (800, 600), (60, 140, 90)).save(out, format="JPEG", quality=85)
    return out.getvalue()


def signed_in(base: str, login: str):
    """A browser of its own: a requests session signed in as ``login``."""
    import requests

    browser = requests.Session()
    # A new connection per request, as phones make them: a kept-alive connection left idle while
    # the other threads sign in would be closed by the server just as the race starts.
    browser.headers["Connection"] = "close"
    token = CSRF_RE.search(browser.get(base + "/login").text).group(1)
    for _attempt in range(5):
        answer = browser.post(
            base + "/login", data={"csrf_token": token, "login": login, "password": PASSWORD}, allow_redirects=False
        )
        if answer.status_code == 302:
            return browser
        # 409: the same account signing in from another thread at that instant (PostgreSQL); again.
        time.sleep(0.2)
    raise SystemExit(f"sign-in of {login} answered {answer.status_code}")


def _on_the_wire(request) -> bytes:
    """The bytes of a prepared request as an HTTP/1.1 client sends them."""
    parts = urlsplit(request.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = [f"{request.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    head += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (request.body or b"")


def _send(address: tuple[str, int], wire: bytes, timeout: float) -> int:
    """Send a request on a connection of its own and read the whole answer (the server closes the
    connection after it: the request says ``Connection: close``); returns the answer's status.

    The 200 clients share the machine's two cores with the server, which phones would not: they send
    ready bytes over a plain socket, so that they take as little of those cores as a client can
    (with an HTTP library's session each, the clients took 0.49–0.57 s of the race's CPU, a sixth of
    it; with these, 0.08 s)."""
    with socket.create_connection(address, timeout=timeout) as connection:
        connection.sendall(wire)
        answer = bytearray()
        while chunk := connection.recv(65536):
            answer += chunk
    status_line = bytes(answer.partition(b"\r\n")[0])
    version, _space, rest = status_line.partition(b" ")
    status = rest[:3]
    if not version.startswith(b"HTTP/1.") or not status.isdigit():
        raise ConnectionError(f"no HTTP answer, the connection gave {len(answer)} bytes: {status_line[:60]!r}")
    return int(status)


def _cpu_seconds(pid: int, *, with_children: bool = True) -> float:
    """User + system CPU time of a process and (``with_children``) of its children still running, from
    Linux's /proc; 0 elsewhere."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if with_children else []
    except OSError:
        children = []
    for each in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _postgres_pids() -> list[int]:
    """The processes of the PostgreSQL cluster on this machine (its server and every backend)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split(" ", 2)[1] == "(postgres)":
                pids.append(int(stat.parent.name))
        except OSError:
            continue
    return pids


def _local_postgres(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and (parsed.host or "localhost") in (
        "localhost",
        "127.0.0.1",
        "::1",
    )


class RaceCpu:
    """Where the CPU went between the release of the POSTs and the last answer: the web server's
    workers, the jobs worker, this process (the 200 clients) and, for a PostgreSQL on this machine,
    the cluster's processes. Read from /proc; on a machine without it the figures are 0. They tell
    a slow run on a busy machine from a slower server."""

    def __init__(self, server_pid: int, worker_pid: int, local_postgres: bool) -> None:
        self.pids = {"server": server_pid, "jobs_worker": worker_pid}
        self.local_postgres = local_postgres
        self.started: dict[str, float] = {}
        self.used: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {**{name: _cpu_seconds(pid) for name, pid in self.pids.items()}, "clients": time.process_time()}

    @staticmethod
    def _postgres_now() -> dict[int, float]:
        return {pid: _cpu_seconds(pid, with_children=False) for pid in _postgres_pids()}

    def start(self) -> None:
        self.wall, self.started = time.perf_counter(), self._now()
        self.postgres_started = self._postgres_now() if self.local_postgres else {}

    def stop(self) -> None:
        ended = self._now()
        self.used = {name: ended[name] - self.started[name] for name in ended}
        if self.local_postgres:  # per process: a backend that began during the race counts from 0
            self.used["postgres"] = sum(
                cpu - self.postgres_started.get(pid, 0.0) for pid, cpu in self._postgres_now().items()
            )
        self.used["wall"] = time.perf_counter() - self.wall

    def line(self) -> str:
        cores = sum(v for k, v in self.used.items() if k != "wall") / self.used["wall"] if self.used else 0
        return " ".join(f"race_{k}_seconds={v:.2f}" for k, v in self.used.items()) + f" race_cores_busy={cores:.2f}"


def submit_all(
    base: str, plan: list[tuple[int, str, list[int]]], submissions: int, cpu: RaceCpu | None = None
) -> tuple[Counter, list[float]]:
    """One thread per submission, each its own session and CSRF token; the POSTs start together."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from grants.timeutil import today

    jobs = [(plan[i % len(plan)], i // len(plan)) for i in range(submissions)]
    photo = _photo()
    day = (today() - timedelta(days=1)).isoformat()

    def prepare(job):
        (group_id, login, _members), _n = job
        browser = signed_in(base, login)
        page = browser.get(f"{base}/groups/{group_id}/activities/new").text
        return browser, CSRF_RE.search(page).group(1)

    with ThreadPoolExecutor(max_workers=8) as pool:  # sign-ins before the clock starts
        prepared = list(pool.map(prepare, jobs))
    address = (urlsplit(base).hostname, urlsplit(base).port)

    barrier = threading.Barrier(submissions, action=cpu.start if cpu else None)
    answers: list[object] = [None] * submissions
    seconds: list[float] = [0.0] * submissions

    def racer(i: int) -> None:
        ((group_id, _login, members), n), (browser, token) = jobs[i], prepared[i]
        # The n-th submission of a group: its own two members, so no one passes the daily cap.
        first, second = members[(2 * n) % MEMBERS], members[(2 * n + 1) % MEMBERS]
        form = {
            "csrf_token": token,
            "title": f"基准活动{i}",
            "kind": "service",
            "day": day,
            "starts": "09:00",
            "ends": "11:00",
            "place": "社区活动室",
            "participants": "10",
            "served": "20",
            "volunteer_member": [str(first), str(second)],
            "volunteer_hours": ["1.5", "2"],
        }
        # The request is built (multipart body, cookies, headers) before the start, as a phone builds
        # it on its own CPU before it sends: what is timed is sending it and the server's answer.
        request = browser.prepare_request(
            requests.Request(
                "POST",
                f"{base}/groups/{group_id}/activities/new",
                data=form,
                files={"photos": ("活动.jpg", photo, "image/jpeg")},
            )
        )
        wire = _on_the_wire(request)
        barrier.wait()
        started = time.perf_counter()
        try:
            answers[i] = _send(address, wire, timeout=120)
        except Exception as exc:  # counted as lost below
            answers[i] = f"{type(exc).__name__}: {exc}"
        seconds[i] = time.perf_counter() - started

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(submissions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if cpu:
        cpu.stop()
    return Counter(answers), seconds


def stored_ids(url: str, instance: str) -> tuple[list[int], int]:
    """(ids of the stored activities, confirmed rows), read straight from the database."""
    from sqlalchemy import func, select

    from grants import create_app
    from grants.db import db
    from grants.incubation.models import Activity

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench-activities"})
    with app.app_context():
        ids = list(db.session.scalars(select(Activity.id).order_by(Activity.id)))
        confirmed = db.session.scalar(select(func.count(Activity.id)).where(Activity.status == "confirmed"))
        db.engine.dispose()
    return ids, confirmed


def confirm_all(base: str, staff_login: str, ids: list[int]) -> Counter:
    staff = signed_in(base, staff_login)
    answers = Counter()
    for activity_id in ids:
        token = CSRF_RE.search(staff.get(f"{base}/groups/activities/{activity_id}").text).group(1)
        answer = staff.post(
            f"{base}/groups/activities/{activity_id}/confirm", data={"csrf_token": token}, allow_redirects=False
        )
        answers[answer.status_code] += 1
    return answers


def figures_sum(base: str, staff_login: str, plan) -> int:
    staff = signed_in(base, staff_login)
    return sum(int(FIGURE_RE.search(staff.get(f"{base}/groups/{group_id}").text).group(1)) for group_id, _l, _m in plan)


def photos_cleaned(instance: str, seconds: float) -> tuple[int, int]:
    """(photos in their served place, photos still waiting) once the jobs worker has cleaned them
    all, or after ``seconds``."""
    uploads = Path(instance) / "uploads"
    deadline = time.monotonic() + seconds
    while True:
        pending = [p for p in (uploads / "pending").glob("*") if not p.name.startswith(".")]
        if not pending or time.monotonic() > deadline:
            served = [p for p in uploads.glob("*") if p.is_file() and not p.name.startswith(".")]
            return len(served), len(pending)
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (its tables are dropped)")
    parser.add_argument("--pg", action="store_true", help="use DATABASE_URL (PostgreSQL)")
    parser.add_argument("--redis", default="", help="a Redis URL for the job queue and the sign-in limits")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: as make run)")
    parser.add_argument("--threads", type=int, default=0, help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--photo-wait", type=float, default=120, help="seconds to wait for the photos' jobs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-activities-"))
    url = args.database or (os.environ.get("DATABASE_URL", "") if args.pg else "")
    if args.pg and not url.startswith("postgresql"):
        raise SystemExit("--pg needs DATABASE_URL=postgresql+psycopg://…")
    url = url or f"sqlite:///{work / 'bench.db'}"
    fresh_database(url)
    instance = str(work / "instance")
    plan, staff_login = build(url, instance, args.groups)
    log_path = work / "server.log"
    workers = args.workers or make_run_workers()
    server, worker, base = serve(url, instance, args.redis, workers, args.threads, log_path)
    try:
        cpu = RaceCpu(server.pid, worker.pid, _local_postgres(url))
        answers, seconds = submit_all(base, plan, args.submissions, cpu)
        ids, _confirmed = stored_ids(url, instance)
        confirmations = confirm_all(base, staff_login, ids)
        shown = figures_sum(base, staff_login, plan)
        _ids, confirmed = stored_ids(url, instance)
        cleaned, waiting = photos_cleaned(instance, args.photo_wait)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=30)
        worker.wait(timeout=30)
    server_log = log_path.read_text(errors="replace")
    locked = server_log.count("database is locked")
    errors = sum(n for status, n in answers.items() if not isinstance(status, int) or status >= 500)
    stored = len(ids)
    lost = args.submissions - stored
    p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) > 1 else seconds[0]
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(
        f"backend={backend} workers={workers}x{args.threads or _conf_threads()} queue={'redis' if args.redis else 'sqlite'} "
        f"submissions={args.submissions} groups={args.groups} answers={dict(answers)}"
    )
    print(f"median_seconds={statistics.median(seconds):.3f} max_seconds={max(seconds):.3f}")
    print(cpu.line())
    print(f"confirm_answers={dict(confirmations)} confirmed_rows={confirmed} figures_shown={shown}")
    print(f"server_errors={errors} database_is_locked={locked} photos_cleaned={cleaned} photos_waiting={waiting}")
    problems = []
    if answers.get(302, 0) != args.submissions or lost:
        problems.append("not every submission was stored")
    if errors or locked:
        problems.append("server errors or a locked database")
    if shown != confirmed or confirmed != stored:
        problems.append("the figures do not equal the confirmed rows")
    if waiting or cleaned != stored:
        problems.append("not every photo was re-encoded by the jobs worker")
    for problem in problems:
        print(f"PROBLEM: {problem} (server log: {log_path})")
    print(f"activities_stored={stored} activities_lost={lost} p95_seconds={p95:.3f}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
