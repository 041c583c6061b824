"""Background jobs (Huey): batch documents made outside the request, e.g. every certificate of a
list in one zip; and the re-encoding of activity photos (metadata removed, resized) after the
activity is stored (``run_activity_photos_job``). When a worker starts, it queues again what a lost
task left waiting (``sweep_pending_photos``, ``sweep_queued_documents``).

The queue is Redis when ``REDIS_URL`` is set (production, several web workers), else a SQLite file
in the instance folder (the embedded default, no extra service). Start a consumer with
``flask --app wsgi jobs-worker`` (``make run`` does) or ``huey_consumer grants.jobs.huey``.

A task receives only the job's id; it runs in an application context (the consumer's app, created
once per worker process), renders one certificate at a time straight into the zip, and commits
the progress after each one so the job page can poll it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import time
import zipfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app, has_app_context
from flask_babel import gettext as _
from huey import Huey, RedisHuey, SqliteHuey
from huey.storage import SqliteStorage
from sqlalchemy import update

from grants import cpuload
from grants.db import db, run_in_transaction
from grants.reports.models import DocumentJob
from grants.results import documents
from grants.results.models import Publication
from grants.timeutil import now

log = logging.getLogger(__name__)

QUEUE_NAME = "grants"
DOCUMENTS_FOLDER = "documents"  # under the instance folder
# Background renders resolve the documents' static assets against this root (no request here).
RENDER_BASE_URL = "http://grants.invalid/"
# Batches at least this long are rendered in worker processes (the 2 cores work in parallel,
# and a worker is replaced after MAX_RENDERS_PER_PROCESS documents, so memory cannot creep up).
POOL_THRESHOLD = 20
MAX_RENDERS_PER_PROCESS = 500
IN_FLIGHT_PER_PROCESS = 2  # documents rendered ahead of the zip writer (bounds the memory held)


# Where Linux's idle scheduling class is not available: how much nicer than the web server.
BACKGROUND_NICENESS = 10


def yield_cpu_to_requests() -> str:
    """Let requests have the CPU first: this process goes into Linux's idle scheduling class
    (SCHED_IDLE: it runs on a core that nothing else wants, and steps aside as soon as a request's
    thread wakes), elsewhere it is made nicer by ``BACKGROUND_NICENESS``. Threads and processes it
    starts afterwards (the consumer's workers, the batch renderers) inherit it. Returns "idle", "nice"
    or "normal" (neither was permitted), for the worker's first line.

    At ``nice -n 10`` the worker still took a good share of a burst: while 200 activity logs posted
    in the same second were answered (bench/activities.py on PostgreSQL), re-encoding their photos
    took 0.50-0.82 s of the two cores (median 0.66 s, 6 runs), against 0.01-0.62 s (median 0.22 s,
    9 runs) in the idle class, which runs when the requests leave a core idle; the logs' p95 went
    from 1.29-1.97 s (median 1.62) to 1.01-1.49 s (median 1.22). Under sustained full load the idle
    class still progresses, slowly: the scheduler gives it a small weight, not none."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except OSError:  # not permitted here (a restricted container): the niceness below
            pass
    try:
        os.nice(BACKGROUND_NICENESS)
    except OSError:
        return "normal"
    return "nice"


class JobQueue:
    """A Huey instance with the platform's tasks registered; a task runs in ``app``'s context."""

    def __init__(self, huey: Huey, app_factory: Callable[[], Flask]):
        self.huey = huey
        self._app_factory = app_factory
        self._app: Flask | None = None

        def certificates(job_id: int) -> None:
            with self.app().app_context():
                run_certificates_job(job_id)

        self.certificates = huey.task(name="grants.certificates", retries=0)(certificates)

        def funding_export(job_id: int) -> None:
            with self.app().app_context():
                run_funding_export_job(job_id)

        self.funding_export = huey.task(name="grants.funding_export", retries=0)(funding_export)

        def annual_report(job_id: int) -> None:
            with self.app().app_context():
                run_annual_report_job(job_id)

        self.annual_report = huey.task(name="grants.annual_report", retries=0)(annual_report)

        def activity_photos(activity_id: int, queued_at: float | None = None) -> None:
            with self.app().app_context():
                run_activity_photos_job(activity_id, queued_at)

        # Retried: a photo must not stay uncleaned because of a passing failure (the task is idempotent).
        self.activity_photos = huey.task(name="grants.activity_photos", retries=2, retry_delay=5)(activity_photos)

    def app(self) -> Flask:
        if has_app_context():
            return current_app._get_current_object()
        if self._app is None:
            self._app = self._app_factory()
        return self._app


class SqliteQueueStorage(SqliteStorage):
    """Huey's SQLite queue with the platform database's durability (grants.db): WAL with
    synchronous=NORMAL, not an fsync at every enqueue, which each web worker makes one at a time.
    A power cut may lose the last tasks queued, never the file; what they left waiting is queued
    again when a jobs worker starts (``sweep_pending_photos``, ``sweep_queued_documents``)."""

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


def create_huey(*, redis_url: str | None, sqlite_path: str | Path, name: str = QUEUE_NAME) -> Huey:
    """RedisHuey when there is a Redis URL, else SqliteHuey on ``sqlite_path``."""
    if redis_url:
        return RedisHuey(name, url=redis_url)
    Path(sqlite_path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(sqlite_path), storage_class=SqliteQueueStorage)


def queue_for(app: Flask) -> JobQueue:
    """The application's job queue (made once per application)."""
    queue = app.extensions.get("grants.jobs")
    if queue is None:
        huey = create_huey(
            redis_url=app.config.get("REDIS_URL"),
            sqlite_path=app.config.get("JOBS_SQLITE_PATH") or Path(app.instance_path) / "jobs.db",
            name=app.config.get("JOBS_QUEUE_NAME") or QUEUE_NAME,
        )
        queue = app.extensions["grants.jobs"] = JobQueue(huey, lambda: app)
    return queue


def __getattr__(name: str):
    """``grants.jobs.huey`` for ``huey_consumer``: the queue of an app made from the environment."""
    if name == "huey":
        from grants import create_app

        return queue_for(create_app()).huey
    raise AttributeError(name)


def documents_dir(app: Flask | None = None) -> Path:
    return Path((app or current_app).instance_path) / DOCUMENTS_FOLDER


def stored_path(job: DocumentJob, suffix: str | None = None) -> Path | None:
    """Where a finished job's file is (None while there is none). A job of several files stores
    their common stem: ``suffix`` names the one wanted ("pdf", "xlsx")."""
    if not job.stored_name:
        return None
    path = documents_dir() / (job.stored_name if suffix is None else f"{job.stored_name}.{suffix}")
    return path if path.is_file() else None


# --- certificates ----------------------------------------------------------------------------


def _render(html: str, static_dir: str, static_url_path: str) -> bytes:
    """One document in a render worker process (no Flask app there: the HTML is made already)."""
    from grants.reports.pdf import render_pdf

    return render_pdf(
        html,
        base_url=RENDER_BASE_URL,
        static_dir=static_dir,
        static_url_path=static_url_path,
        stylesheets=documents.STYLESHEETS,
    )


def render_processes(total: int) -> int:
    """How many worker processes render a batch of ``total`` documents (0: in this process)."""
    configured = current_app.config.get("JOBS_RENDER_PROCESSES", os.environ.get("JOBS_RENDER_PROCESSES"))
    processes = int(configured) if configured is not None else min(2, os.cpu_count() or 1)
    threshold = int(
        current_app.config.get("JOBS_POOL_THRESHOLD", os.environ.get("JOBS_POOL_THRESHOLD", POOL_THRESHOLD))
    )
    return processes if processes > 0 and total >= threshold else 0


def write_certificates(
    out: BinaryIO,
    publication: Publication,
    entries: list,
    base_url: str = RENDER_BASE_URL,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Write a zip of one certificate per entry to ``out``, in the list's order; each PDF goes
    into the zip as soon as it is rendered, and ``on_progress(done)`` is called after each one."""
    names = documents.certificate_names(entries)
    processes = render_processes(len(entries))
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        if not processes:
            for done, (entry, name) in enumerate(zip(entries, names, strict=True), start=1):
                archive.writestr(name, documents.certificate_pdf(entry, publication, base_url))
                if on_progress:
                    on_progress(done)
            return
        app = current_app._get_current_object()
        context = multiprocessing.get_context("spawn")  # never fork a process that has threads
        with ProcessPoolExecutor(processes, mp_context=context, max_tasks_per_child=MAX_RENDERS_PER_PROCESS) as pool:
            pending: deque[tuple[str, Future]] = deque()
            done = 0
            for entry, name in zip(entries, names, strict=True):
                if not documents.has_certificate(entry, publication):
                    raise ValueError("this entry has no certificate")
                html = documents.certificate_html(entry, publication, base_url)
                pending.append((name, pool.submit(_render, html, app.static_folder, app.static_url_path)))
                while len(pending) >= processes * IN_FLIGHT_PER_PROCESS:
                    done = _write_next(archive, pending, done, on_progress)
            while pending:
                done = _write_next(archive, pending, done, on_progress)


def _write_next(archive: zipfile.ZipFile, pending: deque, done: int, on_progress) -> int:
    name, future = pending.popleft()
    archive.writestr(name, future.result())
    done += 1
    if on_progress:
        on_progress(done)
    return done


def _claim(job_id: int) -> bool:
    """Move the job from queued to running; False when it is not queued (a task delivered twice,
    or a job already done): one conditional UPDATE, so two consumers cannot both run it."""
    return bool(
        run_in_transaction(
            lambda work: (
                work.execute(
                    update(DocumentJob)
                    .where(DocumentJob.id == job_id, DocumentJob.status == "queued")
                    .values(status="running")
                ).rowcount
            )
        )
    )


def _set_apart(job_id: int, **values) -> None:
    """Change the job on a connection of its own (the session's read transaction stays as it is)."""
    with db.engine.begin() as conn:
        conn.execute(update(DocumentJob).where(DocumentJob.id == job_id).values(**values))


def _set(job_id: int, **values) -> None:
    """Change the job in its own committed transaction (the job page polls it meanwhile)."""
    run_in_transaction(
        lambda session: session.execute(update(DocumentJob).where(DocumentJob.id == job_id).values(**values))
    )


def run_certificates_job(job_id: int) -> None:
    """The task body: make the zip of a job's certificates, recording progress and the outcome.

    A job that is not queued (already run, or taken by another consumer) is left alone.
    """
    session = db.session
    claimed = _claim(job_id)
    if not claimed:
        log.warning("certificates job %s is not queued: nothing to do", job_id)
        return
    job = session.get(DocumentJob, job_id)
    target = partial = None
    try:
        publication = session.get(Publication, job.publication_id) if job.publication_id else None
        winners = documents.winners(session, publication) if publication is not None else []
        if not winners:
            raise JobError(_("这份公示没有可打印证书的获奖项目。"))
        # The documents are made from what was loaded now; no transaction stays open meanwhile.
        session.expunge_all()
        session.rollback()
        _set(job_id, total=len(winners), done=0)
        folder = documents_dir()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{secrets.token_hex(16)}.zip"
        partial = target.with_suffix(".part")
        with partial.open("wb") as out:
            write_certificates(out, publication, winners, on_progress=lambda done: _set(job_id, done=done))
        partial.replace(target)
        _set(job_id, status="done", stored_name=target.name, finished_at=now())
        log.info("certificates job %s: %d certificates in %s", job_id, len(winners), target.name)
    except Exception as err:  # the job fails; the user sees a plain message, the log the traceback
        session.rollback()
        log.exception("certificates job %s failed", job_id)
        for path in (partial, target):
            if path is not None:
                path.unlink(missing_ok=True)
        message = str(err) if isinstance(err, JobError) else _("生成证书时出错，请稍后重试；如仍失败，请联系管理员。")
        _set(job_id, status="failed", error=message, finished_at=now())


class JobError(Exception):
    """A job cannot be done for a reason the user may read."""


# --- funding exports (资金拨付明细表, 支出明细表) -------------------------------------------------

PROGRESS_EVERY = 1000  # rows between two progress commits


def run_funding_export_job(job_id: int) -> None:
    """The task body: stream one edition export to a file, recording progress and the outcome."""
    from grants.editions.models import Edition
    from grants.funding import exports

    claimed = _claim(job_id)
    if not claimed:
        log.warning("funding export job %s is not queued: nothing to do", job_id)
        return
    session = db.session
    job = session.get(DocumentJob, job_id)
    target = partial = None
    try:
        parsed = exports.parse_job_kind(job.kind)
        edition = session.get(Edition, job.edition_id) if job.edition_id else None
        if parsed is None or edition is None:
            raise JobError(_("这项导出任务无法识别。"))
        kind, fmt = parsed
        export = exports.edition_export(session, edition, kind)
        session.commit()  # a read transaction; _set below works in the same session
        _set(job_id, total=export.count, done=0)
        folder = documents_dir()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{secrets.token_hex(16)}.{fmt}"
        partial = target.with_suffix(".part")

        def progress(done: int) -> None:
            # On a connection of its own: the session's transaction is streaming the rows.
            if done % PROGRESS_EVERY == 0:
                _set_apart(job_id, done=min(done, export.count))

        with partial.open("wb") as out:
            exports.write(export, fmt, out, base_url=RENDER_BASE_URL, on_row=progress)
        session.rollback()
        partial.replace(target)
        _set(job_id, status="done", done=export.count, stored_name=target.name, finished_at=now())
        log.info("funding export job %s: %d rows in %s", job_id, export.count, target.name)
    except Exception as err:  # the job fails; the user sees a plain message, the log the traceback
        session.rollback()
        log.exception("funding export job %s failed", job_id)
        for path in (partial, target):
            if path is not None:
                path.unlink(missing_ok=True)
        from grants.errors import DomainError

        message = (
            str(err)
            if isinstance(err, JobError | DomainError)
            else _("导出时出错，请稍后重试；如仍失败，请联系管理员。")
        )
        _set(job_id, status="failed", error=message, finished_at=now())


# --- annual statistics reports (年度统计报表: PDF and XLSX) ----------------------------------------


def run_annual_report_job(job_id: int) -> None:
    """The task body: write the report's PDF and XLSX side by side (one stem), recording each step."""
    from grants.errors import DomainError
    from grants.figures.annual import service as annual

    claimed = _claim(job_id)
    if not claimed:
        log.warning("annual report job %s is not queued: nothing to do", job_id)
        return
    session = db.session
    written: list[Path] = []
    try:
        job = session.get(DocumentJob, job_id)
        document, book = annual.make_files(
            session, job, base_url=RENDER_BASE_URL, on_step=lambda done: _set_apart(job_id, done=done)
        )
        session.rollback()  # a read transaction: nothing to keep
        folder = documents_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stem = secrets.token_hex(16)
        for suffix, data in (("pdf", document), ("xlsx", book)):
            target = folder / f"{stem}.{suffix}"
            partial = folder / f"{stem}.{suffix}.part"
            written += [partial, target]
            partial.write_bytes(data)
            partial.replace(target)
        _set(job_id, status="done", done=annual.STEPS, stored_name=stem, finished_at=now())
        log.info("annual report job %s: %s.pdf and %s.xlsx", job_id, stem, stem)
    except Exception as err:  # the job fails; the user sees a plain message, the log the traceback
        session.rollback()
        log.exception("annual report job %s failed", job_id)
        for path in written:
            path.unlink(missing_ok=True)
        message = (
            str(err)
            if isinstance(err, JobError | DomainError)
            else _("生成报表时出错，请稍后重试；如仍失败，请联系管理员。")
        )
        _set(job_id, status="failed", error=message, finished_at=now())


# --- activity photos: re-encoded (metadata removed, resized) after the activity is stored --------


def run_activity_photos_job(activity_id: int, queued_at: float | None = None) -> int:
    """The task body: re-encode the activity's pending photos, then record them in a short write
    transaction (grants.incubation.activities.clean_photo_files, record_cleaned_photos). A task with
    nothing left to clean (delivered twice, or its photos cleaned by the sweep) writes nothing: on
    SQLite it does not queue for the write lock behind the requests.

    A task queued at ``queued_at`` (a ``time.time()``) first waits for a free core, at most until
    ``PHOTO_CLEAN_MAX_DELAY`` seconds after it was queued (``_wait_for_a_free_core``)."""
    from grants.incubation import activities
    from grants.proposals.attachments import drop_pending

    _wait_for_a_free_core(queued_at)
    upload_dir = Path(current_app.config["UPLOAD_DIR"])
    cleaned = activities.clean_photo_files(db.session, activity_id=activity_id, upload_dir=upload_dir)
    if not cleaned:
        log.info("activity %s: no photo left to clean", activity_id)
        return 0
    done = run_in_transaction(lambda session: activities.record_cleaned_photos(session, cleaned))
    drop_pending(upload_dir, done)  # committed: the originals go
    log.info("activity %s: %d photo(s) cleaned", activity_id, len(done))
    return len(done)


def _wait_for_a_free_core(queued_at: float | None) -> None:
    """While requests keep every core busy (a burst of activity logs: bench/activities.py), let them
    have the CPU: re-encoding a photo, even in the idle class, took a share of the burst (its
    database backend runs at normal priority, and re-encoding fills the caches the requests use).
    bench/activities.py on PostgreSQL, 8 pairs of runs: p95 median 0.68 s with this wait against
    0.80 s without, faster in 7 of the 8 pairs.
    The bound is counted from when the task was queued, so tasks queued in the same burst wait
    together, not one after another; a task that already waited that long in the queue (a backlog)
    does not wait at all. A task queued without a time (the worker's sweep) does not wait."""
    bound = current_app.config.get("PHOTO_CLEAN_MAX_DELAY", 0)
    if queued_at is None or bound <= 0:
        return
    waited = cpuload.wait_for_free_core(queued_at + bound, cores=os.cpu_count() or 1)
    if waited >= 0.5:  # a busy spell, not the one window every wait reads
        log.info("waited %.2f s for a free core", waited)


def enqueue_activity_photos(app: Flask, activity_id: int) -> None:
    """Ask for the activity's photos to be cleaned, after the activity was committed. A queue that
    cannot be reached loses nothing: the photos wait, and ``sweep_pending_photos`` (run when the
    worker starts) cleans them."""
    try:
        queue_for(app).activity_photos(activity_id, time.time())
    except Exception:
        log.exception("could not queue the photos of activity %s; the worker cleans them when it starts", activity_id)


def sweep_queued_documents(app: Flask) -> int:
    """Queue again every document job still waiting to start: its task was lost (a queue server
    restarted without keeping it, a queue file lost its last commits) and, as a request for the same
    document is answered with the job already waiting, it would wait for ever. A task delivered twice
    runs once (``_claim``). Returns how many jobs were queued."""
    from sqlalchemy import select

    from grants.figures.annual.service import ANNUAL_REPORT_JOB
    from grants.funding.exports import parse_job_kind
    from grants.results.documents import CERTIFICATES_JOB

    with app.app_context():
        waiting = db.session.execute(
            select(DocumentJob.id, DocumentJob.kind).where(DocumentJob.status == "queued").order_by(DocumentJob.id)
        ).all()
        db.session.rollback()
    queue = queue_for(app)
    tasks = {CERTIFICATES_JOB: queue.certificates, ANNUAL_REPORT_JOB: queue.annual_report}
    queued = 0
    for job_id, kind in waiting:
        task = tasks.get(kind) or (queue.funding_export if parse_job_kind(kind) else None)
        if task is None:
            log.warning("document job %s of unknown kind %r left waiting", job_id, kind)
            continue
        task(job_id)
        queued += 1
    return queued


def sweep_pending_photos(app: Flask) -> int:
    """Queue the cleaning of every activity that has a photo waiting (photos whose task was lost);
    returns how many activities were queued."""
    from sqlalchemy import select

    from grants.incubation.models import ActivityPhoto
    from grants.proposals.attachments import pending_dir
    from grants.proposals.models import Attachment

    with app.app_context():
        folder = pending_dir(Path(app.config["UPLOAD_DIR"]))
        names = [p.name for p in folder.iterdir() if not p.name.startswith(".")] if folder.is_dir() else []
        activity_ids: set[int] = set()
        for start in range(0, len(names), 500):
            activity_ids.update(
                db.session.scalars(
                    select(ActivityPhoto.activity_id)
                    .join(Attachment, Attachment.id == ActivityPhoto.attachment_id)
                    .where(Attachment.stored_name.in_(names[start : start + 500]))
                )
            )
        db.session.rollback()
    for activity_id in sorted(activity_ids):
        queue_for(app).activity_photos(activity_id)
    return len(activity_ids)
