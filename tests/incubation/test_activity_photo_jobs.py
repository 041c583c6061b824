"""Photos logged from the leader's form are checked by content in the request and re-encoded
(metadata and location removed, resized) by the job queue afterwards: until the job has run, the
photo as it came is kept where nothing serves it and the activity shows a placeholder. The jobs
run here in a real Huey consumer, on SQLite and on Redis, as the other job tests do."""

from __future__ import annotations

import hashlib
import io
import os
import uuid

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from grants import cpuload, jobs
from grants.incubation import activities
from grants.incubation.models import Activity, ActivityPhoto
from grants.proposals.attachments import MAX_SIDE, file_path, pending_dir
from grants.proposals.models import Attachment
from tests.incubation.activity_helpers import (  # noqa: F401
    day,
    form,
    photo,
    run_photo_jobs,
    snapshot,
    team_fixture,
    upload_dir,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _form(team, photos, member: int = 0) -> dict:
    return form(
        team,
        volunteer_member=[str(team.members[member].id)],
        volunteer_hours=["2"],
        photos=[(io.BytesIO(p), f"现场{i}.jpg") for i, p in enumerate(photos)],
    )


def _log_over_http(client, login_as, team, photos, member: int = 0) -> Activity:
    """The leader logs an activity with ``photos`` over HTTP, ``team.members[member]`` volunteering
    (another member for each activity of a test keeps the daily cap out of the way)."""
    login_as(team.leader)
    response = client.post(
        f"/groups/{team.group.id}/activities/new",
        data=_form(team, photos, member),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    activity_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return client.application.extensions["sqlalchemy"].session.get(Activity, activity_id)


def _attachments(session, activity) -> list[Attachment]:
    session.rollback()  # a fresh read: the job committed on a connection of its own
    return list(
        session.scalars(
            select(Attachment)
            .join(ActivityPhoto, ActivityPhoto.attachment_id == Attachment.id)
            .where(ActivityPhoto.activity_id == activity.id)
            .order_by(ActivityPhoto.position)
        )
    )


def _photo_urls(session, activity) -> list[str]:
    return [
        f"/groups/activities/{activity.id}/photos/{p.id}"
        for p in session.scalars(select(ActivityPhoto).where(ActivityPhoto.activity_id == activity.id))
    ]


def _all_clean(folder):
    return lambda: not any(pending_dir(folder).iterdir())


def _assert_clean(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and 0x010F not in exif and "exif" not in image.info
        assert max(image.size) <= MAX_SIDE


def test_a_photo_is_never_served_before_the_job_has_stripped_it(app, session, client, login_as, team):
    original = photo(2600, 1300, gps=True)
    activity = _log_over_http(client, login_as, team, [original])
    (attachment,) = _attachments(session, activity)
    folder = upload_dir()
    # Stored as it came, only in the pending folder; the served place is empty and answers 404.
    assert not file_path(folder, attachment).exists()
    assert (pending_dir(folder) / attachment.stored_name).read_bytes() == original
    (url,) = _photo_urls(session, activity)
    assert client.get(url).status_code == 404
    page = client.get(f"/groups/activities/{activity.id}").get_data(as_text=True)
    assert url not in page and 'data-photo-state="pending"' in page

    run_photo_jobs(app, _all_clean(folder))

    served = client.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    _assert_clean(served.get_data())
    (attachment,) = _attachments(session, activity)  # the row describes the file served
    assert attachment.size == len(served.get_data())
    assert attachment.sha256 == hashlib.sha256(served.get_data()).hexdigest()
    assert not (pending_dir(folder) / attachment.stored_name).exists()  # the original is gone
    assert url in client.get(f"/groups/activities/{activity.id}").get_data(as_text=True)


def test_the_photo_job_runs_through_redis_huey_too(app, session, client, login_as, team):
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis at 127.0.0.1:6379")
    app.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE_NAME=f"grants-test-{uuid.uuid4().hex}")
    queue = jobs.queue_for(app)
    assert type(queue.huey).__name__ == "RedisHuey"
    try:
        activity = _log_over_http(client, login_as, team, [photo(gps=True), photo(gps=True)])
        assert len(queue.huey) == 1  # one task for the activity's photos
        run_photo_jobs(app, _all_clean(upload_dir()))
        for url in _photo_urls(session, activity):
            _assert_clean(client.get(url).get_data())
    finally:
        queue.huey.storage.flush_all()


def test_a_broken_photo_is_still_refused_in_the_request_and_changes_nothing(session, client, login_as, team):
    broken = bytearray(photo(400, 300, fmt="PNG"))
    start = broken.index(b"IDAT") + 8
    broken[start : start + 32] = bytes(b ^ 0x5A for b in broken[start : start + 32])  # its picture damaged
    before = snapshot(session)
    login_as(team.leader)
    response = client.post(
        f"/groups/{team.group.id}/activities/new",
        data=_form(team, [bytes(broken)]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "现场0.jpg" in response.get_data(as_text=True)
    assert snapshot(session) == before and not pending_dir(upload_dir()).exists()


def test_photos_whose_task_was_lost_are_cleaned_when_the_worker_starts(
    app, session, client, login_as, team, monkeypatch
):
    queue = jobs.queue_for(app)

    def queue_down(activity_id, queued_at=None):
        raise ConnectionError("queue down")

    monkeypatch.setattr(queue, "activity_photos", queue_down)
    activity = _log_over_http(client, login_as, team, [photo(gps=True)])  # stored all the same
    monkeypatch.undo()
    assert len(queue.huey) == 0 and any(pending_dir(upload_dir()).iterdir())
    assert jobs.sweep_pending_photos(app) == 1 and len(queue.huey) == 1
    run_photo_jobs(app, _all_clean(upload_dir()))
    (url,) = _photo_urls(session, activity)
    _assert_clean(client.get(url).get_data())


def test_the_task_is_harmless_when_run_twice(app, session, client, login_as, team, monkeypatch):
    """A task delivered twice cleans nothing the second time, and opens no write transaction."""
    activity = _log_over_http(client, login_as, team, [photo(gps=True)])
    writes = []
    run_in_transaction = jobs.run_in_transaction
    monkeypatch.setattr(jobs, "run_in_transaction", lambda fn: writes.append(fn) or run_in_transaction(fn))
    with app.app_context():
        assert jobs.run_activity_photos_job(activity.id) == 1
        assert jobs.run_activity_photos_job(activity.id) == 0
    assert len(writes) == 1
    (attachment,) = _attachments(session, activity)
    cleaned = file_path(upload_dir(), attachment).read_bytes()
    _assert_clean(cleaned)
    assert attachment.sha256 == hashlib.sha256(cleaned).hexdigest()


def test_the_job_holds_no_transaction_while_it_reencodes(app, session, client, login_as, team, monkeypatch):
    """Re-encoding is the slow part of the job: it runs with no transaction open, so that the
    requests' writes do not wait for it (on SQLite, another connection takes the write lock
    meanwhile); only the recording of the results is a write transaction."""
    from grants.db import db
    from grants.proposals import attachments

    activity = _log_over_http(client, login_as, team, [photo(gps=True), photo(400, 300)])
    seen = []
    reencode = attachments.reencode_image

    def watched(data, max_side=MAX_SIDE):
        seen.append(db.session().in_transaction())
        database = db.engine.url.database
        if db.engine.dialect.name == "sqlite" and database:
            import sqlite3

            other = sqlite3.connect(database, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # "database is locked" while a writer holds it
                other.execute("ROLLBACK")
            finally:
                other.close()
        return reencode(data, max_side)

    monkeypatch.setattr("grants.proposals.attachments.reencode_image", watched)
    with app.app_context():
        assert jobs.run_activity_photos_job(activity.id) == 2
    assert seen == [False, False]
    for attachment in _attachments(session, activity):
        cleaned = file_path(upload_dir(), attachment).read_bytes()
        _assert_clean(cleaned)
        assert attachment.size == len(cleaned) and attachment.sha256 == hashlib.sha256(cleaned).hexdigest()
        assert not (pending_dir(upload_dir()) / attachment.stored_name).exists()


def test_a_photo_the_job_cannot_reencode_is_never_served(app, session, client, login_as, team, monkeypatch):
    activity = _log_over_http(client, login_as, team, [photo(gps=True)])

    def broken(data, max_side=MAX_SIDE):
        raise OSError("cannot write")

    monkeypatch.setattr("grants.proposals.attachments.reencode_image", broken)
    with app.app_context():
        assert jobs.run_activity_photos_job(activity.id) == 0
    (attachment,) = _attachments(session, activity)
    assert not file_path(upload_dir(), attachment).exists()
    assert not (pending_dir(upload_dir()) / attachment.stored_name).exists()  # the original is removed
    page = client.get(f"/groups/activities/{activity.id}").get_data(as_text=True)
    assert 'data-photo-state="missing"' in page and "无法处理" in page


def test_the_service_still_cleans_at_once_when_asked_to(session, team):
    """Photos checked without ``clean_later`` (the demo, scripts) are re-encoded before storing."""
    checked = activities.check_photos([activities.Upload("a.jpg", photo(gps=True), 10 * 1024 * 1024)])
    assert checked[0].cleaned
    _assert_clean(checked[0].data)


def test_a_photo_cut_short_is_refused_in_the_request_and_changes_nothing(session, client, login_as, team):
    import weasyprint  # noqa: F401  (as in the served app: Pillow then pads a cut file instead of raising)

    whole = photo(400, 300)
    before = snapshot(session)
    login_as(team.leader)
    response = client.post(
        f"/groups/{team.group.id}/activities/new",
        data=_form(team, [whole[: len(whole) * 2 // 3]]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "现场0.jpg" in response.get_data(as_text=True)
    assert snapshot(session) == before and not pending_dir(upload_dir()).exists()


class BusyCores:
    """The machine's load as the photo job reads it, 100 ticks a window: both cores busy for
    ``busy_windows`` windows, then one free (``None``: busy for ever)."""

    def __init__(self, busy_windows: int | None):
        self.busy_windows, self.reads, self.idle = busy_windows, 0, 0

    def __call__(self) -> cpuload.CpuTimes:
        if self.reads:  # the window since the last reading
            busy = self.busy_windows is None or self.reads <= self.busy_windows
            self.idle += 5 if busy else 50  # of two cores' 100 ticks: 0.1 or a whole core idle
        self.reads += 1
        return cpuload.CpuTimes(idle=self.idle, total=self.reads * 100)


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(jobs.os, "cpu_count", lambda: 2)


def _cleaned_after_reads(monkeypatch, reader) -> list[int]:
    """Records how many load readings the job had made when it re-encoded each photo."""
    from grants.proposals import attachments

    at_reads = []
    reencode = attachments.reencode_image

    def watched(data, max_side=MAX_SIDE):
        at_reads.append(reader.reads)
        return reencode(data, max_side)

    monkeypatch.setattr("grants.proposals.attachments.reencode_image", watched)
    return at_reads


def test_a_task_queued_by_the_request_carries_the_time_it_was_queued(app, client, login_as, team, monkeypatch):
    import time

    queued = []
    monkeypatch.setattr(jobs.queue_for(app), "activity_photos", lambda *args: queued.append(args))
    before = time.time()
    activity = _log_over_http(client, login_as, team, [photo(gps=True)])
    ((activity_id, queued_at),) = queued
    assert activity_id == activity.id and before <= queued_at <= time.time()


def test_while_every_core_is_busy_the_photos_wait_for_a_free_one(
    app, session, client, login_as, team, monkeypatch, two_cores
):
    import time

    app.config["PHOTO_CLEAN_MAX_DELAY"] = 30
    activity = _log_over_http(client, login_as, team, [photo(gps=True)])
    reader = BusyCores(busy_windows=2)
    monkeypatch.setattr(cpuload, "read_cpu_times", reader)
    at_reads = _cleaned_after_reads(monkeypatch, reader)
    with app.app_context():
        assert jobs.run_activity_photos_job(activity.id, time.time()) == 1
    # Read once, then two busy windows, then the window with a free core: cleaned only after it.
    assert at_reads == [4]
    (attachment,) = _attachments(session, activity)
    _assert_clean(file_path(upload_dir(), attachment).read_bytes())


def test_the_wait_is_bounded_from_when_the_task_was_queued(
    app, session, client, login_as, team, monkeypatch, two_cores
):
    import time

    app.config["PHOTO_CLEAN_MAX_DELAY"] = 1.0
    first, second = (_log_over_http(client, login_as, team, [photo(gps=True)], member=n) for n in range(2))
    reader = BusyCores(busy_windows=None)  # busy for ever
    monkeypatch.setattr(cpuload, "read_cpu_times", reader)
    with app.app_context():
        started = time.monotonic()
        assert jobs.run_activity_photos_job(first.id, time.time() - 0.7) == 1  # 0.3 s left of its bound
        waited = time.monotonic() - started
        reads = reader.reads
        # A task that already waited its bound in the queue (a backlog) does not wait again.
        assert jobs.run_activity_photos_job(second.id, time.time() - 5) == 1
    assert 0.25 <= waited < 1.0 and reads >= 3
    assert reader.reads == reads


def test_a_task_queued_without_a_time_or_with_the_delay_off_does_not_wait(
    app, session, client, login_as, team, monkeypatch, two_cores
):
    import time

    first, second = (_log_over_http(client, login_as, team, [photo(gps=True)], member=n) for n in range(2))
    reader = BusyCores(busy_windows=None)
    monkeypatch.setattr(cpuload, "read_cpu_times", reader)
    with app.app_context():
        app.config["PHOTO_CLEAN_MAX_DELAY"] = 30
        assert jobs.run_activity_photos_job(first.id) == 1  # the worker's sweep queues no time
        app.config["PHOTO_CLEAN_MAX_DELAY"] = 0
        assert jobs.run_activity_photos_job(second.id, time.time()) == 1
    assert reader.reads == 0
