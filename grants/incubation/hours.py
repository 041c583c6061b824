"""Volunteer hours (志愿服务时长): read rules the hours pages, certificates and grant reports share.

Only confirmed activities count: a pending or returned activity is in no figure. A year is the
calendar year in Beijing time. Every function is a fixed number of queries whatever the number of
members or activities (the sums are made by the database, one column per year).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from grants import paging
from grants.incubation.hourmath import years_between
from grants.incubation.models import Activity, ActivityStatus, Group, GroupMember, VolunteerHours
from grants.timeutil import local_day_start, to_local

CONFIRMED = ActivityStatus.CONFIRMED.value


@dataclass(frozen=True)
class MemberHours:
    """A member's confirmed hours (half hours) by year and in total."""

    member: GroupMember
    by_year: dict[int, int] = field(default_factory=dict)
    total: int = 0


@dataclass(frozen=True)
class GroupHours:
    """A group's members with their confirmed hours, the years that have any, and the group's totals."""

    years: list[int]
    rows: list[MemberHours]
    by_year: dict[int, int]
    total: int


@dataclass(frozen=True)
class ActivityLine:
    """One confirmed activity a member volunteered at: its local date, title and their hours."""

    activity_id: int
    day: date
    title: str
    place: str
    halves: int


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """A period of local days, both included, as UTC instants [from, to)."""
    return local_day_start(start), local_day_start(end + timedelta(days=1))


def _confirmed_hours(*conditions):
    return (
        select()
        .select_from(VolunteerHours)
        .join(Activity, Activity.id == VolunteerHours.activity_id)
        .where(Activity.status == CONFIRMED, *conditions)
    )


def _span(session: Session, *conditions) -> list[int]:
    """The years (local) between the first and the last confirmed activity with hours (one query)."""
    first, last = session.execute(
        _confirmed_hours(*conditions).add_columns(func.min(Activity.starts_at), func.max(Activity.starts_at))
    ).one()
    if first is None:
        return []
    # Both ends are read back aware (UTCDateTime); the year of a day is Beijing's.
    return years_between(to_local(first).date(), to_local(last).date())


def _year_sum(year: int):
    start, end = period_bounds(date(year, 1, 1), date(year, 12, 31))
    inside = and_(Activity.starts_at >= start, Activity.starts_at < end)
    return func.coalesce(func.sum(case((inside, VolunteerHours.halves), else_=0)), 0)


def _sums(session: Session, years: list[int], *conditions) -> dict[int, tuple[dict[int, int], int]]:
    """{member id: ({year: halves}, total)} of confirmed hours (one query, a column per year)."""
    if not years:
        return {}
    query = (
        _confirmed_hours(*conditions)
        .add_columns(VolunteerHours.member_id, func.sum(VolunteerHours.halves), *[_year_sum(y) for y in years])
        .group_by(VolunteerHours.member_id)
    )
    found = {}
    for member_id, total, *per_year in session.execute(query):
        found[member_id] = ({y: int(h) for y, h in zip(years, per_year, strict=True) if h}, int(total))
    return found


def group_hours(session: Session, group: Group) -> GroupHours:
    """Every member (those who left too: their hours stay theirs) with confirmed hours by year (3 queries)."""
    from grants.incubation.queries import members_of

    members = members_of(session, group.id)
    years = _span(session, Activity.group_id == group.id)
    sums = _sums(session, years, Activity.group_id == group.id)
    rows = [MemberHours(m, *sums.get(m.id, ({}, 0))) for m in members]
    by_year = {y: sum(r.by_year.get(y, 0) for r in rows) for y in years}
    return GroupHours(years=years, rows=rows, by_year=by_year, total=sum(r.total for r in rows))


def member_hours(session: Session, member: GroupMember) -> tuple[list[int], MemberHours]:
    """One member's confirmed hours by year and in total, with the years shown (2 queries)."""
    years = _span(session, VolunteerHours.member_id == member.id)
    by_year, total = _sums(session, years, VolunteerHours.member_id == member.id).get(member.id, ({}, 0))
    return years, MemberHours(member, by_year, total)


def member_activities(
    session: Session,
    member_id: int,
    start: date | None = None,
    end: date | None = None,
    *,
    confirmed_by: datetime | None = None,
) -> list[ActivityLine]:
    """The confirmed activities a member volunteered at, oldest first, within a period if given, and
    confirmed by an instant if given (what a certificate issued then counted); one query."""
    query = _confirmed_hours(VolunteerHours.member_id == member_id).order_by(Activity.starts_at, Activity.id)
    if start is not None and end is not None:
        since, until = period_bounds(start, end)
        query = query.where(Activity.starts_at >= since, Activity.starts_at < until)
    if confirmed_by is not None:
        # A confirmed row without its confirmation time counts as confirmed before the instant.
        query = query.where(or_(Activity.confirmed_at.is_(None), Activity.confirmed_at <= confirmed_by))
    return _lines(session, query)


def _lines(session: Session, query) -> list[ActivityLine]:
    """The activity lines of ``query`` (confirmed hours: ``_confirmed_hours``, filtered and ordered)."""
    query = query.add_columns(Activity.id, Activity.starts_at, Activity.title, Activity.place, VolunteerHours.halves)
    return [
        ActivityLine(activity_id=i, day=to_local(at).date(), title=title, place=place, halves=halves)
        for i, at, title, place, halves in session.execute(query)
    ]


PER_PAGE = 30  # a member's activities on their page, a page at a time


def member_activities_page(session: Session, member_id: int, page: int) -> paging.Page[ActivityLine]:
    """A page of the confirmed activities a member volunteered at, the newest first (two queries)."""
    base = _confirmed_hours(VolunteerHours.member_id == member_id)
    total = session.scalar(base.add_columns(func.count(VolunteerHours.id)))
    page, pages, offset = paging.locate(total, page, PER_PAGE)
    query = base.order_by(Activity.starts_at.desc(), Activity.id.desc()).offset(offset).limit(PER_PAGE)
    return paging.Page(_lines(session, query), total, page, pages)


# --- the record of a grant's group over a report's period (grants/funding/reports.py) ----------


@dataclass(frozen=True)
class PeriodActivity:
    day: date
    title: str
    place: str
    participants: int
    served: int
    volunteers: int
    halves: int


@dataclass(frozen=True)
class PeriodVolunteer:
    name: str
    halves: int


@dataclass(frozen=True)
class PeriodRecord:
    """The confirmed activities and volunteer hours of the group grown from a grant, over a period."""

    group: Group | None
    since: datetime | None
    until: datetime
    activities: list[PeriodActivity]
    volunteers: list[PeriodVolunteer]

    @property
    def served(self) -> int:
        return sum(a.served for a in self.activities)

    @property
    def halves(self) -> int:
        return sum(a.halves for a in self.activities)


def grant_record(session: Session, grant_id: int, since: datetime | None, until: datetime) -> PeriodRecord:
    """What the group grown from this grant did between since (None: from the start) and until (3 queries)."""
    group = session.scalars(select(Group).where(Group.origin_grant_id == grant_id)).first()
    if group is None:
        return PeriodRecord(group=None, since=since, until=until, activities=[], volunteers=[])
    window = [Activity.group_id == group.id, Activity.status == CONFIRMED, Activity.starts_at < until]
    if since is not None:
        window.append(Activity.starts_at >= since)
    halves = (
        select(func.coalesce(func.sum(VolunteerHours.halves), 0))
        .where(VolunteerHours.activity_id == Activity.id)
        .correlate(Activity)
        .scalar_subquery()
    )
    volunteers = (
        select(func.count(VolunteerHours.id))
        .where(VolunteerHours.activity_id == Activity.id)
        .correlate(Activity)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Activity.starts_at,
            Activity.title,
            Activity.place,
            Activity.participants,
            Activity.served,
            volunteers,
            halves,
        )
        .where(*window)
        .order_by(Activity.starts_at, Activity.id)
    )
    activities = [
        PeriodActivity(to_local(at).date(), title, place, participants, served, int(n), int(h))
        for at, title, place, participants, served, n, h in rows
    ]
    per_member = session.execute(
        select(GroupMember.name, func.sum(VolunteerHours.halves))
        .join(VolunteerHours, VolunteerHours.member_id == GroupMember.id)
        .join(Activity, Activity.id == VolunteerHours.activity_id)
        .where(*window)
        .group_by(GroupMember.id, GroupMember.name)
        .order_by(func.sum(VolunteerHours.halves).desc(), GroupMember.id)
    )
    return PeriodRecord(
        group=group,
        since=since,
        until=until,
        activities=activities,
        volunteers=[PeriodVolunteer(name, int(h)) for name, h in per_member],
    )
