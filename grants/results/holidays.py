"""The district's holidays and exchanged working days (调休), and the objection window they shape."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.auth import policy as auth_policy
from grants.errors import DomainError, NotAllowed
from grants.results import calendar
from grants.results.models import Holiday


def calendar_of(session: Session, district_id: int) -> tuple[set, set]:
    """(holidays, weekend days worked in exchange) the district marked."""
    holidays, worked = set(), set()
    for day, workday in session.execute(select(Holiday.day, Holiday.workday).where(Holiday.district_id == district_id)):
        (worked if workday else holidays).add(day)
    return holidays, worked


def window_close(session: Session, district_id: int, opens_at: datetime, days: int) -> datetime:
    """The end of the objection window: midnight (Beijing time) after the ``days``-th working day
    following the day of publication."""
    holidays, worked = calendar_of(session, district_id)
    last = calendar.add_working_days(
        timeutil.to_local(opens_at).date(), days, holidays=holidays, worked_weekend_days=worked
    )
    return timeutil.local_day_start(last + timedelta(days=1))


def last_day(closes_at: datetime | None):
    """The last day (Beijing time) of a window that closes at ``closes_at`` (a midnight)."""
    return None if closes_at is None else timeutil.to_local(closes_at - timedelta(microseconds=1)).date()


def holidays_of(session: Session, district_id: int) -> list[Holiday]:
    return list(session.scalars(select(Holiday).where(Holiday.district_id == district_id).order_by(Holiday.day)))


def set_holiday(session: Session, *, actor, district_id: int, day, name: str, workday: bool) -> Holiday:
    """Mark a day (or change its mark). Raises: NotAllowed; DomainError (name too long, a worked
    day that is not a weekend day, a holiday on a weekend)."""
    if not auth_policy.is_organizer(actor, district_id):
        raise NotAllowed(_("您没有权限执行此操作。"))
    name = (name or "").strip()
    if len(name) > 40:
        raise DomainError(_("名称最多40个字。"), field="name")
    if workday and day.weekday() < 5:
        raise DomainError(_("调休上班日应是周六或周日；工作日本来就计入。"), field="day")
    if not workday and day.weekday() >= 5:
        raise DomainError(_("周末本来就不计入工作日，无需标为节假日。"), field="day")
    holiday = session.scalar(select(Holiday).where(Holiday.district_id == district_id, Holiday.day == day))
    before = None if holiday is None else {"name": holiday.name, "workday": holiday.workday}
    if holiday is None:
        holiday = Holiday(district_id=district_id, day=day)
        session.add(holiday)
    holiday.name, holiday.workday = name, workday
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="holiday.set",
        obj=holiday,
        district_id=district_id,
        before=before,
        after={"day": day.isoformat(), "name": name, "workday": workday},
    )
    return holiday


def remove_holiday(session: Session, *, actor, holiday: Holiday) -> None:
    if not auth_policy.is_organizer(actor, holiday.district_id):
        raise NotAllowed(_("您没有权限执行此操作。"))
    audit.record(
        session,
        actor=actor,
        action="holiday.remove",
        obj=holiday,
        district_id=holiday.district_id,
        before={"day": holiday.day.isoformat(), "name": holiday.name, "workday": holiday.workday},
    )
    session.delete(holiday)
    session.flush()
