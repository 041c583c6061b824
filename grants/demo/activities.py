"""The groups' activities (活动记录) and volunteer hours, from the day each group started logging on
the platform to the demo's today.

The hand-written groups' last four months go through the services, as their leaders and social
workers did it (grants.incubation.activities, each call inside ``timeutil.as_of`` its day): photos, the
volunteers' hours, most confirmed within days, a few returned (the first of them corrected and
confirmed), the last two weeks' waiting.

The rest — about a thousand and a half activities of forty groups over two years and more, the
hand-written groups' earlier months among them — is written in bulk (``write``): the services would take a minute. It writes exactly the rows they
would have written for a leader logging the activity and its social worker confirming or
returning it: the activity, its volunteers' hours and the two audit entries, under the same rules
(logged within the district's days, the volunteers members on the day, a member's hours of a
day within the district's cap). tests/test_demo.py checks the rows against the services'.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from grants.audit.models import AuditEntry
from grants.auth.models import User
from grants.demo.groups import Made, at
from grants.demo.words import RETURN_REASONS
from grants.incubation import activities, policy
from grants.incubation.models import Activity, ActivityStatus, Group, GroupMember, VolunteerHours
from grants.org.models import Community, District, Street
from grants.timeutil import as_of, local_to_utc, now, to_local, today

GAPS = {"recreation": (8, 20), "volunteer": (10, 24), "self_governing": (15, 35)}  # days between activities
WAITING_DAYS = 14  # the newest activities wait for their social worker
SERVICE_DAYS = 120  # the hand-written groups' last four months go through the services


@lru_cache(maxsize=16)
def photo(seed: int) -> bytes:
    """A small made-up activity photo (a drawing, no camera metadata); sixteen variants per process."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randint(150, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 560), rng.randint(0, 400)
        draw.ellipse(
            (x, y, x + rng.randint(30, 80), y + rng.randint(30, 80)), fill=tuple(rng.randint(40, 200) for _ in range(3))
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


@dataclass
class Planned:
    """One activity as its leader logs it, and what the social worker decides (``decision`` None:
    it waits)."""

    data: activities.ActivityData
    logged_at: datetime
    decision: str | None = None  # "confirmed" | "returned"
    decided_at: datetime | None = None
    reason: str = ""
    halves: dict[int, int] = field(default_factory=dict)


class Run:
    def __init__(self, session: Session, seed: int):
        self.session = session
        self.rng = random.Random(seed)
        self.today = today()
        self.now = now()
        logins = ["organizer", "staff1", "staff2", "staff3", "staff4", "staff5"]
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
        self.organizer = users["organizer"]
        self.staff = [users[login] for login in logins[1:] if login in users]
        self.upload_dir = Path(current_app.config["UPLOAD_DIR"])
        self.max_bytes = current_app.config["ATTACHMENT_MAX_BYTES"]

    def logged(self, day: date) -> datetime:
        """When the leader logged the day's activity: that evening or up to three days later, at
        the latest just before the demo's now."""
        moment = at(day + timedelta(days=self.rng.randint(0, 3)), 21, self.rng.randint(0, 59))
        return min(moment, self.now - timedelta(minutes=5))

    def manager(self, group: Group) -> User:
        """Who confirms the group's activities: its community's social worker, else the organizer."""
        return next((u for u in self.staff if policy.can_manage(u, group)), self.organizer)

    def members(self, group: Group) -> list[GroupMember]:
        return list(
            self.session.scalars(select(GroupMember).where(GroupMember.group_id == group.id).order_by(GroupMember.id))
        )


def _activity_data(run: Run, made: Made, day: date, n: int, members: list[GroupMember]) -> activities.ActivityData:
    """What the leader types for the ``n``-th activity, on ``day``, with two to four volunteers."""
    kind, title, participants, served = made.doings[n % 2 if n % 3 else 1]
    present = [m for m in members if m.joined_on <= day and (m.left_on is None or m.left_on >= day)]
    volunteers = run.rng.sample(present, k=min(len(present), run.rng.randint(2, 4)))
    hour = run.rng.choice((9, 14, 19))
    length = run.rng.choice((2, 2, 3))
    return activities.ActivityData(
        title=title,
        kind=kind,
        day=day.isoformat(),
        starts=f"{hour:02d}:00",
        ends=f"{hour + length:02d}:00",
        place=made.venue,
        participants=str(participants + run.rng.randint(-3, 5)),
        served=str(max(1, served + run.rng.randint(-5, 10))),
        description=f"{made.group.name}开展“{title}”活动。",
        volunteers=[(str(m.id), run.rng.choice(("1.5", "2", "2", "2.5", str(length)))) for m in volunteers],
    )


# --- the hand-written groups' last months, through the services --------------------------------


def _service_days(run: Run, start: date) -> list[date]:
    """About three activities a month from ``start`` (at most SERVICE_DAYS back) to today."""
    day = max(start, run.today - timedelta(days=SERVICE_DAYS))
    days = []
    while day < run.today - timedelta(days=1):
        days.append(day)
        day += timedelta(days=run.rng.randint(7, 14))
    return days


def _log(run: Run, made: Made, day: date, n: int) -> tuple[Activity, activities.ActivityData]:
    group = made.group
    data = _activity_data(run, made, day, n, run.members(group))
    photos = []
    if n % 2 == 0:
        photos = activities.check_photos(
            [
                activities.Upload(f"活动照片{k + 1}.jpg", photo((group.id * 7 + n + k) % 16), run.max_bytes)
                for k in range(2)
            ]
        )
    with as_of(run.logged(day)):
        activity = activities.log_activity(
            run.session, actor=group.leader, group=group, data=data, photos=photos, upload_dir=run.upload_dir
        )
    return activity, data


def service_months(run: Run, made: Made) -> None:
    """A hand-written group's last months: most activities confirmed within days, a few returned (the
    first of them corrected and confirmed), the last two weeks' still waiting."""
    group = made.group
    manager = run.manager(group)
    for n, day in enumerate(_service_days(run, made.active_from)):
        activity, data = _log(run, made, day, n)
        if day > run.today - timedelta(days=WAITING_DAYS):
            continue  # waits for confirmation
        decided = at(to_local(activity.logged_at).date() + timedelta(days=run.rng.randint(1, 4)), 10)
        with as_of(decided):
            if n % 11 == 5:
                activities.return_activity(run.session, actor=manager, activity=activity, reason=RETURN_REASONS[0])
            else:
                activities.confirm_activity(run.session, actor=manager, activity=activity)
        if n == 5:  # the leader corrects the first returned one; it is confirmed then
            data.served = str(int(data.served) - 2)
            with as_of(decided + timedelta(days=1)):
                activities.update_activity(
                    run.session,
                    actor=group.leader,
                    activity=activity,
                    data=data,
                    photos=[],
                    remove_photo_ids=[],
                    upload_dir=run.upload_dir,
                )
            with as_of(decided + timedelta(days=3)):
                activities.confirm_activity(run.session, actor=manager, activity=activity)


# --- everything else, in bulk -------------------------------------------------------------------


def plan_history(run: Run, made: Made, members: list[GroupMember], until: date) -> list[Planned]:
    """The group's activities from when it started logging to ``until`` (or until it went
    dormant): confirmed three to six days after being logged, a few of the last two months'
    returned, the last two weeks' waiting."""
    low, high = GAPS[made.group.kind]
    stop = min(until, made.dormant_on or until, run.today - timedelta(days=1))
    planned = []
    day, n = made.active_from, 0
    while day < stop:
        data = _activity_data(run, made, day, n, members)
        logged = run.logged(day)
        item = Planned(data, logged)
        if day <= run.today - timedelta(days=WAITING_DAYS):
            decided_on = to_local(logged).date() + timedelta(days=run.rng.randint(1, 4))
            item.decided_at = at(decided_on, 10, run.rng.randint(0, 59))
            recent = day > run.today - timedelta(days=60)
            if recent and run.rng.random() < 0.12:
                item.decision, item.reason = "returned", run.rng.choice(RETURN_REASONS)
            else:
                item.decision = "confirmed"
        planned.append(item)
        day += timedelta(days=run.rng.randint(low, high))
        n += 1
    return planned


def _checked(district: District, group: Group, members: dict[int, GroupMember], item: Planned) -> dict:
    """The activity row the service would store for what was typed, under the service's rules.

    Raises: ValueError naming the rule broken (the demo's generator is wrong then).
    """
    data = item.data
    day = date.fromisoformat(data.day)
    starts_at = local_to_utc(datetime.combine(day, time.fromisoformat(data.starts)))
    ends_at = local_to_utc(datetime.combine(day, time.fromisoformat(data.ends)))
    logged_on = to_local(item.logged_at).date()
    if not starts_at < ends_at or starts_at > item.logged_at or (logged_on - day).days > district.activity_log_days:
        raise ValueError(f"{group.name} {data.day}: logged outside the district's days")
    halves = {}
    for member_id, hours in data.volunteers:
        member = members[int(member_id)]
        if member.joined_on > day or (member.left_on is not None and member.left_on < day):
            raise ValueError(f"{group.name} {data.day}: {member.name} is not a member that day")
        halves[member.id] = round(float(hours) * 2)
        if halves[member.id] > district.daily_hours_cap_halves:
            raise ValueError(f"{group.name} {data.day}: {member.name} above the daily cap")
    item.halves = halves
    return {
        "group_id": group.id,
        "title": data.title,
        "kind": data.kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": data.place,
        "description": data.description,
        "participants": int(data.participants),
        "served": int(data.served),
        "status": ActivityStatus.PENDING.value,
        "return_reason": "",
        "logged_by_id": group.leader_id,
        "logged_at": item.logged_at,
        "confirmed_by_id": None,
        "confirmed_at": None,
    }


def write(session: Session, group: Group, manager: User, planned: list[Planned]) -> list[int]:
    """Store the planned activities of one group as the services would have (see the module's
    docstring); returns their ids. One group a day at most, so a member's hours of a day are
    those of one activity."""
    if not planned:
        return []
    leader = session.get(User, group.leader_id)
    district = session.scalars(
        select(District)
        .join(Street, Street.district_id == District.id)
        .join(Community, Community.street_id == Street.id)
        .where(Community.id == group.community_id)
    ).one()
    members = {m.id: m for m in session.scalars(select(GroupMember).where(GroupMember.group_id == group.id))}
    days = [item.data.day for item in planned]
    if len(set(days)) != len(days):
        raise ValueError(f"{group.name}: two activities on one day")
    rows = [_checked(district, group, members, item) for item in planned]
    for row, item in zip(rows, planned, strict=True):
        if item.decision == "confirmed":
            row.update(status=ActivityStatus.CONFIRMED.value, confirmed_by_id=manager.id, confirmed_at=item.decided_at)
        elif item.decision == "returned":
            row.update(status=ActivityStatus.RETURNED.value, return_reason=item.reason)
    session.execute(insert(Activity), rows)  # one statement for all (RETURNING would go row by row on SQLite)
    starts = dict(
        session.execute(
            select(Activity.starts_at, Activity.id).where(
                Activity.group_id == group.id, Activity.starts_at.in_([row["starts_at"] for row in rows])
            )
        ).all()
    )
    ids = [starts[row["starts_at"]] for row in rows]
    hours, entries = [], []
    for activity_id, row, item in zip(ids, rows, planned, strict=True):
        hours += [{"activity_id": activity_id, "member_id": m, "halves": h} for m, h in item.halves.items()]
        entries.append(
            _entry(
                leader,
                "activity.log",
                activity_id,
                district.id,
                item.logged_at,
                after={
                    "group_id": group.id,
                    "title": row["title"],
                    "kind": row["kind"],
                    "starts_at": row["starts_at"].isoformat(),
                    "ends_at": row["ends_at"].isoformat(),
                    "place": row["place"],
                    "participants": row["participants"],
                    "served": row["served"],
                    "volunteer_halves": {str(k): v for k, v in sorted(item.halves.items())},
                    "photos": 0,
                },
            )
        )
        if item.decision is not None:
            action = "activity.confirm" if item.decision == "confirmed" else "activity.return"
            entries.append(
                _entry(
                    manager,
                    action,
                    activity_id,
                    district.id,
                    item.decided_at,
                    before={"status": ActivityStatus.PENDING.value},
                    after={"status": item.decision},
                    reason=item.reason or None,
                )
            )
    if hours:
        session.execute(insert(VolunteerHours), hours)
    session.execute(insert(AuditEntry), entries)
    return ids


def _entry(actor: User, action: str, activity_id: int, district_id: int, moment: datetime, **values) -> dict:
    """An audit entry as grants.audit.record writes it for an activity."""
    return {
        "at": moment,
        "actor_id": actor.id,
        "actor_name": actor.display_name,
        "action": action,
        "object_type": "Activity",
        "object_id": activity_id,
        "district_id": district_id,
        "before": values.get("before"),
        "after": values.get("after"),
        "reason": values.get("reason"),
    }


def seed_activities(session: Session, made: list[Made]) -> None:
    """Every group's activities: the hand-written groups' last months through the services, the rest
    (their earlier history, and every other group's) in bulk."""
    run = Run(session, seed=14)
    for item in made:
        members = run.members(item.group)
        until = run.today - timedelta(days=SERVICE_DAYS) if item.story else run.today
        write(session, item.group, run.manager(item.group), plan_history(run, item, members, until))
    session.flush()
    for item in made:
        if item.story:
            service_months(run, item)
    session.flush()
