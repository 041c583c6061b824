"""Shared pieces of the activity tests: a group with a leader and three members, photos, a form,
and a snapshot of everything an activity write could change (rows, audit, stored files)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from PIL import ExifTags, Image
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.incubation import activities
from grants.incubation.models import Activity, ActivityPhoto, Group, GroupMember, VolunteerHours
from grants.proposals.models import Attachment
from grants.timeutil import today


def photo(width: int = 40, height: int = 30, *, gps: bool = False, fmt: str = "JPEG") -> bytes:
    """A photo as a phone takes it: with the maker and, when asked, where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if gps:
        location = exif.get_ifd(ExifTags.IFD.GPSInfo)
        location.update({1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 1.0)})
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 140, 60)).save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()


def day(days_ago: int = 1) -> str:
    return (today() - timedelta(days=days_ago)).isoformat()


def form(team, **overrides) -> dict:
    """The leader's log form as a browser posts it: two volunteers' hours, no photo."""
    fields = {
        "title": "周末义剪",
        "kind": "service",
        "day": day(1),
        "starts": "09:00",
        "ends": "11:30",
        "place": "社区广场",
        "participants": "8",
        "served": "35",
        "description": "为老人义务理发",
        "volunteer_member": [str(m.id) for m in team.members] + [""],
        "volunteer_hours": ["2.5", "2", "1.5", ""],
    }
    fields.update(overrides)
    return fields


def data(**overrides) -> activities.ActivityData:
    values = {
        "title": "楼道清洁",
        "kind": "service",
        "day": day(1),
        "starts": "09:00",
        "ends": "11:00",
        "place": "3号楼",
        "participants": "12",
        "served": "40",
        "description": "清理楼道杂物",
        "volunteers": [],
    }
    values.update(overrides)
    return activities.ActivityData(**values)


@dataclass
class Team:
    group: Group
    leader: object
    members: list[GroupMember]  # three current members (joined 2026-06-01)


@pytest.fixture(name="team")
def team_fixture(session, make_group, kept) -> Team:
    def build():
        group = make_group(members=3)
        members = session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group.id, GroupMember.role == "member")
            .order_by(GroupMember.id)
        ).all()
        return Team(group=group, leader=group.leader, members=list(members))

    return kept("incubation.team", build)


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def log(session, team: Team, *, actor=None, photos=(), **overrides) -> Activity:
    """Log an activity through the service and commit."""
    checked = activities.check_photos(
        [activities.Upload(f"照片{i}.jpg", p, 10 * 1024 * 1024) for i, p in enumerate(photos)]
    )
    activity = activities.log_activity(
        session,
        actor=actor or team.leader,
        group=team.group,
        data=data(**overrides),
        photos=checked,
        upload_dir=upload_dir(),
    )
    session.commit()
    return activity


def snapshot(session) -> tuple:
    """Every row an activity write adds or changes, and the files stored (photos waiting to be
    cleaned too)."""
    session.expire_all()
    counts = tuple(
        session.scalar(select(func.count(model.id)))
        for model in (Activity, VolunteerHours, ActivityPhoto, Attachment, AuditEntry)
    )
    states = tuple(session.execute(select(Activity.id, Activity.status, Activity.title).order_by(Activity.id)))
    files = sorted(p.relative_to(upload_dir()).as_posix() for p in upload_dir().rglob("*") if p.is_file())
    return counts, states, files


def run_photo_jobs(app, done, seconds: float = 60) -> None:
    """Run a real Huey consumer (a worker thread, on the app's queue) until ``done()`` holds."""
    import time

    from grants import jobs

    queue = jobs.queue_for(app)
    consumer = queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=False)
    consumer._set_signal_handlers = lambda: None  # pytest keeps its own Ctrl-C handling
    consumer.start()
    try:
        deadline = time.monotonic() + seconds
        while not done():
            assert time.monotonic() < deadline, "the photo job did not run"
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
