"""Activities (活动记录) of a resident group: logged by its leader, confirmed or returned by its
community's staff, corrected and logged again by the leader after a return.

The rules offices use: an activity is logged within District.activity_log_days days of taking
place, never ahead of it; a volunteer is a member of the group on that day; hours are counted to
the half hour, and a member's hours over all the group's activities of one day (waiting or
confirmed) stay within District.daily_hours_cap_halves. The cap is checked under the group's row
lock, so concurrent logs cannot pass it together; the leader's form has everything else checked
(``check_activity``) and its photos checked by content and their files written before the
transaction starts, which then holds the lock (on SQLite the one write lock) for little more than
its inserts. Photos are re-encoded (resized, EXIF and location removed) either when checked or,
from the leader's form, by a background job (``clean_photo_files``): until it has run, the photo
is kept where nothing serves it and its activity shows a placeholder.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import bindparam, create_engine, func, inspect, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, joinedload, lazyload

from grants import audit
from grants.db import READ_COMMITTED, as_loaded, current_transaction, reads_committed
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.incubation import policy
from grants.incubation.hourmath import hours_number
from grants.incubation.models import (
    Activity,
    ActivityKind,
    ActivityPhoto,
    ActivityStatus,
    Group,
    GroupMember,
    GroupStatus,
    VolunteerHours,
)
from grants.incubation.states import activity_machine
from grants.params import whole_number
from grants.proposals.attachments import (
    CheckedUpload,
    Upload,
    WrittenUpload,
    check,
    clean_pending,
    file_path,
    insert_checked,
    is_pending,
)
from grants.proposals.models import Attachment
from grants.timeutil import local_day_start, local_to_utc, now, to_local, today

log = logging.getLogger(__name__)

TITLE_MAX, PLACE_MAX, TEXT_MAX, REASON_MAX = 100, 100, 2000, 500
MAX_PHOTOS = 9
MAX_VOLUNTEERS = 50
MAX_COUNT = 100_000  # participants or residents served at one activity
COUNTING = (ActivityStatus.PENDING.value, ActivityStatus.CONFIRMED.value)  # hours that use the day's cap


@dataclass
class ActivityData:
    """What the leader typed, as text: the service parses it and names the field that is wrong."""

    title: str
    kind: str
    day: str  # YYYY-MM-DD, a Beijing date
    starts: str  # HH:MM
    ends: str  # HH:MM, the same day
    place: str
    participants: str = "0"
    served: str = "0"
    description: str = ""
    volunteers: list[tuple[str, str]] = field(default_factory=list)  # (member id, hours such as "1.5")


@dataclass(frozen=True)
class CheckedActivity:
    """What the leader typed, checked against the group as read before the write transaction
    (``check_activity``): the fields, the volunteers' membership that day, the district's date limit.
    What counts (the day's hours against ``cap_halves``) and who may log are read again under the
    group's row lock, in the write transaction; the rest need not hold it."""

    group_id: int
    district_id: int
    cap_halves: int  # the district's daily cap of a member's hours, in half hours
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    place: str
    participants: int
    served: int
    description: str
    halves: dict[int, int]  # member id → half hours


def check_photos(uploads: list[Upload], *, clean_later: bool = False) -> list[CheckedUpload]:
    """Check the uploaded photos by content and re-encode them (before any transaction: it takes
    time); with ``clean_later``, check that each decodes whole and leave the re-encoding to
    ``clean_photo_files`` after the activity is stored.

    Raises: DomainError (too many, empty, too large, not a photo by its content, does not decode).
    """
    uploads = [u for u in uploads if u.data or u.filename]
    if len(uploads) > MAX_PHOTOS:
        raise DomainError(_("每次活动最多上传%(n)d张照片。", n=MAX_PHOTOS), field="photos")
    checked = []
    for upload in uploads:
        try:
            checked.append(check(upload, photo=True, clean_later=clean_later))
        except DomainError as err:
            named = err.field == "photos"  # "“x.pdf”不是照片…" names the file already
            raise DomainError(str(err) if named else f"{upload.filename}：{err}", field="photos") from None
    return checked


# The isolation of a unit of work that logs or edits activities (grants.db.unit_of_work): each of
# their rules is read under the group's row lock (``lock_group``), so they read committed data.
ISOLATION = READ_COMMITTED


def _group_id(group: Group) -> int:
    """The group's id without loading it: a group expired by the view's read transaction is read
    again only under its lock."""
    identity = inspect(group).identity
    return identity[0] if identity else group.id


def lock_group(session: Session, group: Group) -> Group:
    """Take the group's row lock and re-read it: every activity write of the group starts here, or
    at ``lock_group_row`` (a new activity). (The id is the object's identity: a group expired by
    the view's read transaction is read once, here, under the lock, not once more before it. Its
    row alone: its community, street and district are read when used.)"""
    return session.scalars(
        select(Group)
        .where(Group.id == _group_id(group))
        .options(lazyload(Group.community))
        .with_for_update(of=Group)
        .execution_options(populate_existing=True)
    ).one()


_LOCK_GROUP_ROW = (
    select(Group.__table__.c.id, Group.__table__.c.leader_id, Group.__table__.c.status)
    .where(Group.__table__.c.id == bindparam("group_id"))
    .with_for_update()
)


def lock_group_row(session: Session, group_id: int):
    """Take the group's row lock as ``lock_group`` does, for a unit that needs only who leads the
    group and its status (a new activity): the row (id, leader_id, status), not the object, so
    that the write lock, which every leader of the district queues for on SQLite, is held for
    as short as it can be."""
    return session.connection().execute(_LOCK_GROUP_ROW, {"group_id": group_id}).one()


def lock_activity(session: Session, activity: Activity) -> Activity:
    return session.scalars(
        select(Activity)
        .where(Activity.id == activity.id)
        .options(joinedload(Activity.group))
        .with_for_update(of=Activity)
        .execution_options(populate_existing=True)
    ).one()


def _district(session: Session, group: Group):
    from grants.org.models import District

    return session.get(District, group.community.street.district_id)


def _count(text: str, label: str, name: str) -> int:
    count = whole_number((text or "").strip() or "0", maximum=MAX_COUNT)
    if count is None:
        raise DomainError(_("%(label)s请填写0到%(max)d之间的整数。", label=label, max=MAX_COUNT), field=name)
    return count


def _halves(text: str, row: int) -> int:
    """Hours as typed ("2", "1.5") in half hours. Raises: DomainError."""
    try:
        hours = Decimal((text or "").strip())
    except InvalidOperation:
        hours = Decimal(-1)
    # The range first: a remainder of 1e309 is more than Decimal's precision can give.
    if not hours.is_finite() or not 0 < hours <= 24 or (hours * 2) % 1 != 0:
        raise DomainError(
            _("第%(n)d位志愿者：时长按半小时计，请填写0.5、1、1.5这样的大于0的数。", n=row), field="volunteers"
        )
    return int(hours * 2)


def _clock(text: str, name: str) -> time:
    try:
        return time.fromisoformat((text or "").strip()[:5])
    except ValueError:
        raise DomainError(_("请按“时:分”填写时间，例如09:30。"), field=name) from None


def check_activity(
    session: Session, group: Group, data: ActivityData, *, logged_on: date | None = None
) -> CheckedActivity:
    """Every rule on what was typed; ``logged_on`` is the Beijing date the activity was first logged
    (today for a new one). A view calls it before its write transaction (``log_activity`` does when
    handed the text): it reads the group's members and district, which need no lock.

    Raises: DomainError naming the field.
    """
    district = _district(session, group)
    logged_on = logged_on or today()
    title = " ".join((data.title or "").split())
    if not title:
        raise DomainError(_("请填写活动名称。"), field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(_("活动名称不能超过%(n)d个字符。", n=TITLE_MAX), field="title")
    if data.kind not in {k.value for k in ActivityKind}:
        raise DomainError(_("请选择活动类型（服务、文体、议事、培训或其他）。"), field="kind")
    try:
        day = date.fromisoformat((data.day or "").strip())
    except ValueError:
        raise DomainError(_("请按“年-月-日”填写活动日期。"), field="day") from None
    if day > today():
        raise DomainError(_("活动日期不能晚于今天：活动举办之后再记录。"), field="day")
    if (logged_on - day).days > district.activity_log_days:
        raise DomainError(
            _(
                "活动须在举办后%(n)d天内记录，这次活动已过去%(days)d天，不能再记录。",
                n=district.activity_log_days,
                days=(logged_on - day).days,
            ),
            field="day",
        )
    starts_at = local_to_utc(datetime.combine(day, _clock(data.starts, "starts")))
    ends_at = local_to_utc(datetime.combine(day, _clock(data.ends, "ends")))
    if starts_at > now():
        raise DomainError(_("开始时间不能晚于现在：活动举办之后再记录。"), field="starts")
    if ends_at <= starts_at:
        raise DomainError(_("结束时间应晚于开始时间。"), field="ends")
    place = " ".join((data.place or "").split())
    if not place:
        raise DomainError(_("请填写活动地点。"), field="place")
    if len(place) > PLACE_MAX:
        raise DomainError(_("活动地点不能超过%(n)d个字符。", n=PLACE_MAX), field="place")
    participants = _count(data.participants, _("参与人数"), "participants")
    served = _count(data.served, _("受益人次"), "served")
    description = (data.description or "").strip()
    if len(description) > TEXT_MAX:
        raise DomainError(_("活动内容不能超过%(n)d个字符。", n=TEXT_MAX), field="description")
    return CheckedActivity(
        group.id,
        district.id,
        district.daily_hours_cap_halves,
        title,
        data.kind,
        starts_at,
        ends_at,
        place,
        participants,
        served,
        description,
        _volunteers(session, group, data, day),
    )


# Some members of a group, with the dates they belonged to it (built once: every log reads it).
_MEMBERS_DATES = select(GroupMember.id, GroupMember.name, GroupMember.joined_on, GroupMember.left_on).where(
    GroupMember.id.in_(bindparam("member_ids", expanding=True)), GroupMember.group_id == bindparam("group_id")
)


def _volunteers(session: Session, group: Group, data: ActivityData, day: date) -> dict[int, int]:
    """Member id → half hours of the filled rows. Raises: DomainError."""
    rows = [(m.strip(), h.strip()) for m, h in data.volunteers if (m or "").strip() or (h or "").strip()]
    if len(rows) > MAX_VOLUNTEERS:
        raise DomainError(_("一次活动最多填写%(n)d位志愿者。", n=MAX_VOLUNTEERS), field="volunteers")
    wanted: dict[int, int] = {}
    for row, (member_text, hours_text) in enumerate(rows, start=1):
        member_id = whole_number(member_text)
        if not member_id:
            raise DomainError(_("第%(n)d位志愿者：请选择成员。", n=row), field="volunteers")
        if member_id in wanted:
            raise DomainError(_("第%(n)d位志愿者：同一位成员只能填写一次。", n=row), field="volunteers")
        wanted[member_id] = _halves(hours_text, row)
    if not wanted:
        return wanted
    members = {m.id: m for m in session.execute(_MEMBERS_DATES, {"member_ids": list(wanted), "group_id": group.id})}
    for member_id in wanted:
        member = members.get(member_id)
        if member is None:
            raise DomainError(_("志愿者必须是本组织的成员。"), field="volunteers")
        if member.joined_on > day or (member.left_on is not None and member.left_on < day):
            raise DomainError(
                _("%(name)s在活动当天不是本组织的成员（加入或退出日期不符）。", name=member.name), field="volunteers"
            )
    return wanted


# Each member's hours of a day over a group's activities that count (waiting or confirmed), but one
# activity (the one being corrected; 0 for none). Built once: a log reads it under the group's row
# lock (on SQLite while holding the one write lock). Without an IN list (SQLAlchemy renders each one
# anew for every execution): the statuses are compared one by one, and the day's few volunteers of
# the group are all read and the log's own picked out by the caller.
_DAY_HOURS = (
    select(VolunteerHours.member_id, func.sum(VolunteerHours.halves))
    .join(Activity, Activity.id == VolunteerHours.activity_id)
    .where(
        Activity.group_id == bindparam("group_id"),
        or_(*(Activity.status == status for status in COUNTING)),
        Activity.starts_at >= bindparam("day_start", type_=Activity.starts_at.type),
        Activity.starts_at < bindparam("day_end", type_=Activity.starts_at.type),
        Activity.id != bindparam("but"),
    )
    .group_by(VolunteerHours.member_id)
)


def _check_cap(session: Session, checked: CheckedActivity, *, but: int | None = None) -> None:
    """A member's hours over the group's activities of that day (waiting or confirmed) ≤ the cap.
    Read under the group's row lock. Raises: DomainError naming the member."""
    if not checked.halves:
        return
    cap = checked.cap_halves
    day = to_local(checked.starts_at).date()
    params = {
        "group_id": checked.group_id,
        "day_start": local_day_start(day),
        "day_end": local_day_start(day + timedelta(days=1)),
        "but": but or 0,
    }
    already = dict(_committed_rows(session, _DAY_HOURS, params))  # every volunteer of the day: the log's are looked up
    for member_id, halves in checked.halves.items():
        before = already.get(member_id, 0)
        if before + halves > cap:
            name = session.scalar(select(GroupMember.name).where(GroupMember.id == member_id))
            raise DomainError(
                _(
                    "%(name)s在%(day)s的志愿服务时长合计不能超过%(cap)s小时（已记录%(before)s小时，这次填写%(now)s小时）。",
                    name=name or "",
                    day=day.isoformat(),
                    cap=hours_number(cap),
                    before=hours_number(before),
                    now=hours_number(halves),
                ),
                field="volunteers",
            )


_OWN_WRITES = "grants.incubation.activity_writes"


def _note_write(session: Session) -> None:
    """Remember that this transaction changed activities (its own rows are then read in it)."""
    session.info[_OWN_WRITES] = current_transaction(session)


def _committed_rows(session: Session, query, params: dict) -> list:
    """The day's hours as committed, read under the group's row lock.

    Every transaction that adds hours to a group holds the group's row lock, so once we hold it,
    what is committed is complete. The views log and edit activities in READ COMMITTED units of
    work (``grants.db.reads_committed``), where the sum is read in the transaction, as on SQLite.
    A SERIALIZABLE transaction on PostgreSQL has a snapshot taken before the lock was granted; read
    there, the sum would miss the hours of the transaction we waited for, and the read's predicate
    locks (a small table is locked whole) would make concurrent logs of unrelated groups fail each
    other. So there the sum is read on a READ COMMITTED connection of its own — unless this
    transaction changed activities already (a batch), whose own rows only it can see: then it reads
    in it, and SSI guards the race.
    """
    if reads_committed(session) or session.info.get(_OWN_WRITES) is current_transaction(session):
        return session.connection().execute(query, params).all()
    with _reader(session.get_bind()).connect() as connection:
        return connection.execute(query, params).all()


_readers: dict[str, Engine] = {}


def _reader(bind: Engine) -> Engine:
    """An engine of its own for those reads: one that waits for the group's lock holds a pooled
    connection, so the holder must never wait for the same pool (it would wait for them)."""
    key = bind.url.render_as_string(hide_password=False)
    if key not in _readers:
        _readers[key] = create_engine(bind.url, isolation_level="READ COMMITTED", pool_size=2, max_overflow=-1)
    return _readers[key]


def _facts(activity: Activity | CheckedActivity, halves: dict[int, int], photos: int) -> dict:
    return {
        "group_id": activity.group_id,
        "title": activity.title,
        "kind": activity.kind,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "place": activity.place,
        "participants": activity.participants,
        "served": activity.served,
        "volunteer_halves": {str(k): v for k, v in sorted(halves.items())},
        "photos": photos,
    }


def _check_leader(actor, group: Group) -> None:
    if not policy.can_log_activity(actor, group):
        raise NotAllowed(_("只有组织的负责人可以记录本组织的活动。"))
    if group.status == GroupStatus.DISSOLVED:
        raise DomainError(_("已注销的组织不能再记录活动。"))


def _columns(checked: CheckedActivity) -> dict:
    """The activity's own columns as checked."""
    return {
        "title": checked.title,
        "kind": checked.kind,
        "place": checked.place,
        "starts_at": checked.starts_at,
        "ends_at": checked.ends_at,
        "participants": checked.participants,
        "served": checked.served,
        "description": checked.description,
    }


def _apply(activity: Activity, checked: CheckedActivity) -> None:
    for name, value in _columns(checked).items():
        setattr(activity, name, value)


_INSERT_HOURS = VolunteerHours.__table__.insert()
_INSERT_PHOTOS = ActivityPhoto.__table__.insert()


def _insert_rows(
    session: Session,
    actor,
    activity: Activity,
    checked: CheckedActivity,
    photos: list[CheckedUpload | WrittenUpload],
    upload_dir: Path,
    first: int,
) -> None:
    """The activity's volunteer hours and ``photos`` (CheckedUpload or WrittenUpload, placed from
    ``first`` on), each kind inserted by one statement (hundreds of leaders log at once after a
    festival: the write lock is held for as short as it can be)."""
    activity_id = activity.id
    connection = session.connection()  # plain inserts: the rows are not loaded as objects
    if checked.halves:
        rows = [{"activity_id": activity_id, "member_id": m, "halves": h} for m, h in checked.halves.items()]
        connection.execute(_INSERT_HOURS, rows)
    attachment_ids = insert_checked(session, actor_id=actor.id, uploads=photos, upload_dir=upload_dir)
    if attachment_ids:
        rows = [
            {"activity_id": activity_id, "attachment_id": attachment_id, "position": position}
            for position, attachment_id in enumerate(attachment_ids, start=first)
        ]
        connection.execute(_INSERT_PHOTOS, rows)


_INSERT_ACTIVITY = Activity.__table__.insert().returning(Activity.__table__.c.id)


def log_activity(
    session: Session,
    *,
    actor,
    group: Group,
    data: ActivityData | CheckedActivity,
    photos: list[CheckedUpload | WrittenUpload],
    upload_dir: Path,
) -> Activity:
    """The leader logs an activity of the group; it waits for its community's staff to confirm it.
    ``data`` as typed, or as ``check_activity`` checked it before the transaction.

    Raises: NotAllowed (not the group's leader); DomainError (a rule, naming the field).
    """
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_("每次活动最多上传%(n)d张照片。", n=MAX_PHOTOS), field="photos")
    checked = data if isinstance(data, CheckedActivity) else check_activity(session, group, data)
    if checked.group_id != _group_id(group):
        raise ValueError("log_activity: the activity was checked against another group")
    _check_leader(actor, lock_group_row(session, checked.group_id))  # as read under the lock
    _check_cap(session, checked)
    _note_write(session)
    values = {"group_id": checked.group_id, "status": ActivityStatus.PENDING.value, "logged_by_id": actor.id}
    activity = _inserted(
        session, Activity, session.connection().execute(_INSERT_ACTIVITY, [values | _columns(checked)])
    )
    _insert_rows(session, actor, activity, checked, photos, upload_dir, first=0)
    audit.record(
        session,
        actor=actor,
        action="activity.log",
        obj=activity,
        district_id=checked.district_id,
        after=_facts(checked, checked.halves, len(photos)),
    )
    return activity


def _inserted(session: Session, model, result):
    """The object of the row a plain insert just made (``result`` returns its id), in the session
    without reading it: its columns load when first used, which a log's own request never does.
    (An object of a rolled back row whose id the database gave out again is that object, expired.)"""
    row_id = result.scalar_one()
    obj = session.identity_map.get(session.identity_key(model, row_id))
    if obj is not None:
        session.expire(obj)
        return obj
    return as_loaded(session, model, {"id": row_id})


def update_activity(
    session: Session,
    *,
    actor,
    activity: Activity,
    data: ActivityData,
    photos: list[CheckedUpload | WrittenUpload],
    remove_photo_ids: list[int],
    upload_dir: Path,
) -> Activity:
    """The leader corrects a returned activity and logs it again (待核实). The date limit counts
    from when it was first logged, so a return late in the window does not shut the leader out.

    Raises: NotAllowed; InvalidTransition (not returned); DomainError (a rule, naming the field).
    """
    group = lock_group(session, session.get(Group, activity.group_id))
    activity = lock_activity(session, activity)
    _check_leader(actor, group)
    if activity.status != ActivityStatus.RETURNED:
        raise InvalidTransition(_("只有被退回的活动记录可以修改。"))
    kept = [p for p in photos_of(session, activity.id) if p.id not in set(remove_photo_ids)]
    if len(kept) + len(photos) > MAX_PHOTOS:
        raise DomainError(_("每次活动最多上传%(n)d张照片。", n=MAX_PHOTOS), field="photos")
    checked = check_activity(session, group, data, logged_on=to_local(activity.logged_at).date())
    _check_cap(session, checked, but=activity.id)
    _note_write(session)
    before = _facts(activity, hours_of(session, activity.id), len(photos_of(session, activity.id)))
    _apply(activity, checked)
    for row in session.scalars(select(VolunteerHours).where(VolunteerHours.activity_id == activity.id)):
        session.delete(row)
    for photo in photos_of(session, activity.id):
        if photo.id in set(remove_photo_ids):
            session.delete(photo)  # the file and attachment row stay: the returned version's evidence
    session.flush()
    first = max((p.position for p in kept), default=-1) + 1
    _insert_rows(session, actor, activity, checked, photos, upload_dir, first=first)
    audit.record(
        session,
        actor=actor,
        action="activity.update",
        obj=activity,
        district_id=group.community.street.district_id,
        before=before,
        after=_facts(activity, checked.halves, len(kept) + len(photos)),
    )
    activity.return_reason = ""
    activity_machine.transition(session, activity, ActivityStatus.PENDING.value, actor=actor, by_step=True)
    return activity


def confirm_activity(session: Session, *, actor, activity: Activity) -> Activity:
    """核实: the activity counts in the group's figures from now on; at most once (row lock).

    Raises: NotAllowed; InvalidTransition (not waiting for confirmation).
    """
    activity = lock_activity(session, activity)
    if not policy.can_review_activities(actor, activity.group):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if activity.status == ActivityStatus.PENDING:
        activity.confirmed_by_id, activity.confirmed_at = actor.id, now()
    activity_machine.transition(session, activity, ActivityStatus.CONFIRMED.value, actor=actor)
    return activity


def return_activity(session: Session, *, actor, activity: Activity, reason: str) -> Activity:
    """Return a waiting activity to its leader with a reason.

    Raises: NotAllowed; InvalidTransition (not waiting); DomainError (no reason, or too long).
    """
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError(_("原因不能超过%(n)d个字符。", n=REASON_MAX), field="reason")
    activity = lock_activity(session, activity)
    _note_write(session)
    activity_machine.transition(session, activity, ActivityStatus.RETURNED.value, actor=actor, reason=reason)
    activity.return_reason = reason
    session.flush()
    return activity


def clean_photo_files(session: Session, *, activity_id: int, upload_dir: Path) -> dict[int, tuple[int, str]]:
    """Re-encode the activity's photos that wait for it (the job queue's task): attachment id →
    the cleaned file's (size, sha256), for ``record_cleaned_photos``. The photos are read, the
    read transaction ended, and only then re-encoded: the slow part holds no transaction (on
    SQLite the write lock that every request's writes wait for). A photo that cannot be
    re-encoded is never served (its activity says so). Safe to run twice."""
    photos = [(photo.attachment_id, photo.attachment.stored_name) for photo in photos_of(session, activity_id)]
    session.rollback()
    cleaned = {}
    for attachment_id, stored_name in photos:
        try:
            result = clean_pending(upload_dir, stored_name)
        except DomainError:
            log.warning("photo %s of activity %s could not be re-encoded", attachment_id, activity_id)
            continue
        if result is not None:
            cleaned[attachment_id] = result
    return cleaned


def record_cleaned_photos(session: Session, cleaned: dict[int, tuple[int, str]]) -> list[str]:
    """Record the cleaned files' size and digest on their rows (``clean_photo_files``' result);
    returns their stored names, whose originals the caller removes with ``drop_pending`` once
    this is committed."""
    done = []
    if not cleaned:
        return done
    for attachment in session.scalars(select(Attachment).where(Attachment.id.in_(cleaned)).order_by(Attachment.id)):
        attachment.size, attachment.sha256 = cleaned[attachment.id]
        done.append(attachment.stored_name)
    session.flush()
    return done


def photo_states(upload_dir: Path, photos: list[ActivityPhoto]) -> dict[int, str]:
    """Photo id → "ready" (served), "pending" (waits to be cleaned) or "missing" (could not be)."""
    states = {}
    for photo in photos:
        if file_path(upload_dir, photo.attachment).is_file():
            states[photo.id] = "ready"
        else:
            states[photo.id] = "pending" if is_pending(upload_dir, photo.attachment) else "missing"
    return states


def photos_of(session: Session, activity_id: int) -> list[ActivityPhoto]:
    return list(
        session.scalars(
            select(ActivityPhoto)
            .where(ActivityPhoto.activity_id == activity_id)
            .options(joinedload(ActivityPhoto.attachment))
            .order_by(ActivityPhoto.position)
        )
    )


def hours_of(session: Session, activity_id: int) -> dict[int, int]:
    """Member id → half hours of this activity."""
    return dict(
        session.execute(
            select(VolunteerHours.member_id, VolunteerHours.halves).where(VolunteerHours.activity_id == activity_id)
        ).all()
    )
