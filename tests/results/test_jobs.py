"""Batch certificates made by the job queue (Huey): the task body, a real consumer on SQLite and
on Redis, the job page and its JSON, the zip, and who may see what."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
import time
import uuid
import zipfile

import pytest
from sqlalchemy import func, select

from grants import PROJECT_ROOT, jobs
from grants.audit.models import AuditEntry
from grants.reports.models import DocumentJob
from grants.results import documents, service
from tests.proposals.test_pdf import _compact, _pdf_text
from tests.results.conftest import publish_correction

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def immediate(app):
    """The app's queue running each task at once, in the caller's thread (task-body tests only)."""
    queue = jobs.queue_for(app)
    queue.huey.immediate = True
    yield queue
    queue.huey.immediate = False


def _request(client, login_as, organizer, publication) -> int:
    login_as(organizer)
    response = client.post(f"/publications/{publication.id}/certificates")
    assert response.status_code == 302
    match = re.search(r"/jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _check_zip(data: bytes, session, publication, tmp_path) -> None:
    winners = documents.winners(session, publication)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == documents.certificate_names(winners) and len(names) == len(winners) == 3
        assert names[0].startswith("01-一等奖-") and names[1].startswith("02-二等奖-")
        for name, entry in zip(names, winners, strict=True):
            pdf = archive.read(name)
            assert pdf.startswith(b"%PDF-")
            text = _compact(_pdf_text(pdf, tmp_path))
            assert _compact(entry.title) in text and entry.tier in text


def _wait_until_finished(client, job_id: int, seconds: float = 90) -> list[dict]:
    """Poll the job's JSON like the page's script does; returns every state seen."""
    states, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(f"/jobs/{job_id}.json").get_json()
        states.append(state)
        if state["status"] in ("done", "failed"):
            return states
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish: {states[-1]}")


def _consume(queue, client, job_id: int) -> list[dict]:
    """Run a real Huey consumer (worker thread) until the job is finished."""
    consumer = queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=False)
    consumer._set_signal_handlers = lambda: None  # pytest keeps its own Ctrl-C handling
    consumer.start()
    try:
        return _wait_until_finished(client, job_id)
    finally:
        consumer.stop(graceful=True)


# --- the task body ----------------------------------------------------------------------------


def test_the_task_makes_one_certificate_per_winner_and_records_progress(
    client, login_as, session, world, published, immediate, tmp_path
):
    publication, _proposals = published
    job_id = _request(client, login_as, world.organizer_a, publication)  # ran at once (immediate)
    session.expire_all()
    job = session.get(DocumentJob, job_id)
    assert (job.status, job.done, job.total, job.error) == ("done", 3, 3, None)
    assert job.finished_at is not None and job.filename.endswith(".zip") and job.requested_by_id == world.organizer_a.id
    path = jobs.stored_path(job)
    assert path is not None and path.parent.name == "documents" and re.fullmatch(r"[0-9a-f]{32}\.zip", path.name)
    _check_zip(path.read_bytes(), session, publication, tmp_path)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "document_job.certificates")).one()
    assert audit.object_id == job_id and audit.district_id == world.district_a.id


def test_progress_is_committed_after_each_certificate(app, session, world, published):
    publication, _proposals = published
    job = documents.request_certificates(session, actor=world.organizer_a, publication=publication)
    session.commit()
    seen = []
    original = jobs._set

    def spy(job_id, **values):
        original(job_id, **values)
        if "done" in values:  # another connection sees the committed progress
            with app.app_context():
                from grants.db import db

                seen.append(db.session.get(DocumentJob, job_id).done)

    jobs._set = spy
    try:
        jobs.run_certificates_job(job.id)
    finally:
        jobs._set = original
    assert seen == [0, 1, 2, 3]


def test_a_job_runs_once(session, world, published, immediate):
    publication, _proposals = published
    job = documents.request_certificates(session, actor=world.organizer_a, publication=publication)
    session.commit()
    jobs.run_certificates_job(job.id)
    session.expire_all()
    stored = session.get(DocumentJob, job.id).stored_name
    jobs.run_certificates_job(job.id)  # a duplicate delivery changes nothing
    session.expire_all()
    assert session.get(DocumentJob, job.id).stored_name == stored


def test_jobs_whose_task_was_lost_are_queued_again_when_the_worker_starts(app, session, world, published):
    """A job left waiting with no task (the queue lost it) is queued again by the worker's sweep,
    each kind to its own task; then it runs; a job that started or ended is left alone."""
    from grants.figures.annual.service import ANNUAL_REPORT_JOB
    from grants.funding.exports import job_kind

    publication, _proposals = published
    job = documents.request_certificates(session, actor=world.organizer_a, publication=publication)
    others = [
        DocumentJob(kind=ANNUAL_REPORT_JOB, district_id=world.district_a.id, year=2026, status="queued"),
        DocumentJob(kind=job_kind("expenses", "xlsx"), edition_id=publication.edition_id, status="queued"),
        DocumentJob(kind=documents.CERTIFICATES_JOB, edition_id=publication.edition_id, status="done"),
    ]
    session.add_all(others)
    session.commit()
    queue = jobs.queue_for(app)
    assert len(queue.huey) == 0  # the tasks were lost
    assert jobs.sweep_queued_documents(app) == 3
    assert sorted(task.name for task in queue.huey.pending()) == [
        "grants.annual_report",
        "grants.certificates",
        "grants.funding_export",
    ]
    queue.huey.flush()
    queue.huey.immediate = True
    try:
        jobs.sweep_queued_documents(app)  # runs each at once: the certificates are made
    finally:
        queue.huey.immediate = False
    session.expire_all()
    assert session.get(DocumentJob, job.id).status == "done"
    assert session.scalar(select(func.count()).select_from(DocumentJob).where(DocumentJob.status == "queued")) == 0
    assert jobs.sweep_queued_documents(app) == 0


def test_a_failed_job_says_so_plainly_and_leaves_no_file(app, session, world, published, monkeypatch):
    publication, _proposals = published
    job = documents.request_certificates(session, actor=world.organizer_a, publication=publication)
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("Traceback: secret internals")

    monkeypatch.setattr(documents, "certificate_pdf", broken)
    jobs.run_certificates_job(job.id)
    session.expire_all()
    job = session.get(DocumentJob, job.id)
    assert job.status == "failed" and job.stored_name is None and job.finished_at is not None
    assert "secret" not in job.error and "Traceback" not in job.error and "请稍后重试" in job.error
    assert not list(jobs.documents_dir(app).glob("*")) if jobs.documents_dir(app).exists() else True


def test_a_list_corrected_before_the_job_ran_fails_with_a_reason(session, world, published):
    publication, _proposals = published
    job = documents.request_certificates(session, actor=world.organizer_a, publication=publication)
    publish_correction(session, world, publication, "更正")
    jobs.run_certificates_job(job.id)
    session.expire_all()
    job = session.get(DocumentJob, job.id)
    assert job.status == "failed" and "没有可打印证书" in job.error


def test_a_long_batch_is_rendered_in_worker_processes(app, session, world, published, tmp_path):
    publication, _proposals = published
    app.config.update(JOBS_RENDER_PROCESSES=2, JOBS_POOL_THRESHOLD=1)
    progress = []
    out = io.BytesIO()
    jobs.write_certificates(
        out, publication, documents.winners(session, publication), on_progress=lambda done: progress.append(done)
    )
    assert progress == [1, 2, 3]
    _check_zip(out.getvalue(), session, publication, tmp_path)


# --- real consumers ---------------------------------------------------------------------------


def test_end_to_end_through_sqlite_huey_and_a_consumer(app, client, login_as, session, world, published, tmp_path):
    publication, _proposals = published
    app.config["JOBS_SQLITE_PATH"] = str(tmp_path / "queue" / "jobs.db")
    queue = jobs.queue_for(app)
    assert type(queue.huey).__name__ == "SqliteHuey" and (tmp_path / "queue" / "jobs.db").exists()
    # As durable as the platform's database: WAL, no fsync at each enqueue (lost tasks are swept).
    connection = queue.huey.storage.conn
    assert connection.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert connection.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL

    job_id = _request(client, login_as, world.organizer_a, publication)
    assert client.get(f"/jobs/{job_id}.json").get_json()["status"] == "queued"  # returned at once
    assert len(queue.huey) == 1  # waiting in the queue
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in page and f'data-status-url="/jobs/{job_id}.json"' in page
    assert "js/job-progress.js" in page and "<script>" not in page  # no inline script (CSP)

    states = _consume(queue, client, job_id)
    final = states[-1]
    assert final["status"] == "done" and final["done"] == final["total"] == 3
    assert final["download_url"] == f"/jobs/{job_id}/download"
    assert [s["done"] for s in states] == sorted(s["done"] for s in states)  # never goes back
    download = client.get(final["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    _check_zip(download.get_data(), session, publication, tmp_path)
    assert "下载证书压缩包" in client.get(f"/jobs/{job_id}").get_data(as_text=True)


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_end_to_end_through_redis_huey_and_a_consumer(app, client, login_as, session, world, published, tmp_path):
    if not _redis_answers():
        pytest.skip("no Redis at 127.0.0.1:6379")
    publication, _proposals = published
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE_NAME=f"grants-test-{uuid.uuid4().hex}")
    queue = jobs.queue_for(app)
    assert type(queue.huey).__name__ == "RedisHuey"
    try:
        job_id = _request(client, login_as, world.organizer_a, publication)
        assert len(queue.huey) == 1
        final = _consume(queue, client, job_id)[-1]
        assert final["status"] == "done" and final["done"] == final["total"] == 3
        _check_zip(client.get(final["download_url"]).get_data(), session, publication, tmp_path)
    finally:
        queue.huey.storage.flush_all()


# --- requests and access ----------------------------------------------------------------------


def test_the_request_needs_a_csrf_token(client, login_as, session, world, published):
    publication, _proposals = published
    login_as(world.organizer_a)
    response = client.post(f"/publications/{publication.id}/certificates", csrf=False)
    assert response.status_code == 400
    assert session.scalar(select(func.count(DocumentJob.id))) == 0


@pytest.mark.parametrize("who", ["resident", "organizer_b", "judge_a", "finance_a"])
def test_only_the_organizer_may_request_certificates(client, login_as, session, world, published, who):
    publication, _proposals = published
    login_as(getattr(world, who))
    assert client.post(f"/publications/{publication.id}/certificates").status_code == 403
    assert session.scalar(select(func.count(DocumentJob.id))) == 0


def test_anonymous_request_is_sent_to_login(client, session, published):
    publication, _proposals = published
    response = client.post(f"/publications/{publication.id}/certificates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_list_without_certificates_is_refused_with_a_message(client, login_as, session, world, awarded):
    edition, final, _proposals = awarded
    draft = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=service.Settings(title="草稿")
    )
    session.commit()
    login_as(world.organizer_a)
    response = client.post(f"/publications/{draft.id}/certificates")
    assert response.status_code == 302 and f"/publications/{draft.id}" in response.headers["Location"]
    assert session.scalar(select(func.count(DocumentJob.id))) == 0


def test_who_may_see_a_job(client, login_as, session, world, make, published, immediate):
    publication, _proposals = published
    job_id = _request(client, login_as, world.organizer_a, publication)
    from grants.auth.models import Role

    colleague = make.user("org_a2", roles=[(Role.ORGANIZER, world.district_a)])
    urls = [f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download"]
    for user in (world.organizer_a, colleague):
        login_as(user)
        assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    for outsider in (world.resident, world.organizer_b, world.staff_a):
        login_as(outsider)
        assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    client.post("/logout")
    with client.session_transaction() as sess:
        sess.clear()
    assert all(client.get(url).status_code == 302 for url in urls)
    login_as(world.organizer_a)
    assert client.get("/jobs/999999").status_code == 404


def test_a_job_not_finished_has_nothing_to_download(client, login_as, session, world, published):
    publication, _proposals = published
    job = documents.request_certificates(session, actor=world.organizer_a, publication=publication)
    session.commit()
    login_as(world.organizer_a)
    state = client.get(f"/jobs/{job.id}.json").get_json()
    assert state == {
        "status": "queued",
        "label": "排队中",
        "done": 0,
        "total": 3,
        "count": "已生成0份，共3份",
        "download_url": None,
        "error": None,
    }
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_the_worker_command_is_registered(app):
    command = app.cli.commands["jobs-worker"]
    assert "consumer" in command.help and [p.name for p in command.params] == ["workers"]


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux's idle scheduling class")
def test_the_worker_leaves_the_cpu_to_requests_and_its_threads_inherit_it():
    # In a process of its own: the test run itself must keep its priority.
    script = textwrap.dedent(
        """
        import os, threading
        from grants.jobs import yield_cpu_to_requests
        before = os.sched_getscheduler(0)
        priority = yield_cpu_to_requests()
        seen = []
        worker = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(threading.get_native_id())))
        worker.start(); worker.join()
        print(before == os.SCHED_OTHER, priority, os.sched_getscheduler(0) == os.SCHED_IDLE, seen == [os.SCHED_IDLE])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert result.stdout.split() == ["True", "idle", "True", "True"]
