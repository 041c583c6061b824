"""Read rules of the activity pages: lists in a fixed number of queries whatever their length, and
a group's figures counted from confirmed activities only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from grants import paging, timeutil
from grants.funding.models import Grant
from grants.incubation.models import Activity, ActivityStatus, Group, GroupMember, GroupStatus, VolunteerHours
from grants.incubation.models import ActivityPhoto as Photo

CONFIRMED = ActivityStatus.CONFIRMED.value
PER_PAGE = 30  # a list of activities, a page at a time (each is a card of nine lines on a phone)


@dataclass(frozen=True)
class ActivityRow:
    id: int
    group_id: int
    group_name: str
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    place: str
    participants: int
    served: int
    status: str
    return_reason: str
    volunteer_halves: int
    photos: int


@dataclass(frozen=True)
class Figures:
    """A group's record as counted from its confirmed activities."""

    activities: int
    served: int
    volunteer_halves: int


def _halves():
    return (
        select(func.coalesce(func.sum(VolunteerHours.halves), 0))
        .where(VolunteerHours.activity_id == Activity.id)
        .correlate(Activity)
        .scalar_subquery()
    )


def _photos():
    return select(func.count(Photo.id)).where(Photo.activity_id == Activity.id).correlate(Activity).scalar_subquery()


def _rows(session: Session, query) -> list[ActivityRow]:
    query = query.add_columns(_halves(), _photos())
    return [
        ActivityRow(
            id=a.id,
            group_id=a.group_id,
            group_name=name,
            title=a.title,
            kind=a.kind,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            place=a.place,
            participants=a.participants,
            served=a.served,
            status=a.status,
            return_reason=a.return_reason,
            volunteer_halves=halves,
            photos=photos,
        )
        for a, name, halves, photos in session.execute(query)
    ]


def _base():
    return select(Activity, Group.name).join(Group, Group.id == Activity.group_id)


def _page(session: Session, query, page: int) -> paging.Page[ActivityRow]:
    """Two queries: how many activities ``query`` lists, then the rows of its page ``page``."""
    total = session.scalar(query.with_only_columns(func.count(Activity.id)).order_by(None))
    page, pages, offset = paging.locate(total, page, PER_PAGE)
    return paging.Page(_rows(session, query.offset(offset).limit(PER_PAGE)), total, page, pages)


def _group_query(group_id: int):
    return _base().where(Activity.group_id == group_id).order_by(Activity.starts_at.desc(), Activity.id.desc())


def group_activities(session: Session, group_id: int, *, page: int = 1) -> paging.Page[ActivityRow]:
    """Two queries: the group's activities, newest first, a page at a time."""
    return _page(session, _group_query(group_id), page)


def recent_activities(session: Session, group_id: int, n: int) -> list[ActivityRow]:
    """One query: the group's ``n`` newest activities."""
    return _rows(session, _group_query(group_id).limit(n))


def community_activities(
    session: Session,
    community_id: int,
    *,
    status: str = "",
    year: int | None = None,
    edition_id: int | None = None,
    page: int = 1,
) -> paging.Page[ActivityRow]:
    """Two queries: the community's activities, those waiting for confirmation first, then newest
    first, a page at a time; optionally only those of a status, those that started in a calendar
    year (Beijing) or those of the groups grown from an edition's grants (the district figures' links)."""
    waiting_first = case((Activity.status == ActivityStatus.PENDING.value, 0), else_=1)
    query = (
        _base()
        .where(Group.community_id == community_id)
        .order_by(waiting_first, Activity.starts_at.desc(), Activity.id.desc())
    )
    if status:
        query = query.where(Activity.status == status)
    if year is not None:
        start, end = timeutil.local_year_bounds(year)
        query = query.where(Activity.starts_at >= start, Activity.starts_at < end)
    if edition_id is not None:
        query = query.where(Group.origin_grant_id.in_(select(Grant.id).where(Grant.edition_id == edition_id)))
    return _page(session, query, page)


def community_status_counts(session: Session, community_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Activity.status, func.count(Activity.id))
        .join(Group, Group.id == Activity.group_id)
        .where(Group.community_id == community_id)
        .group_by(Activity.status)
    )
    return {status: n for status, n in rows}


def figures(session: Session, group_id: int) -> Figures:
    """Two queries: confirmed activities and residents served; confirmed volunteer hours."""
    activities, served = session.execute(
        select(func.count(Activity.id), func.coalesce(func.sum(Activity.served), 0)).where(
            Activity.group_id == group_id, Activity.status == CONFIRMED
        )
    ).one()
    halves = session.scalar(
        select(func.coalesce(func.sum(VolunteerHours.halves), 0))
        .join(Activity, Activity.id == VolunteerHours.activity_id)
        .where(Activity.group_id == group_id, Activity.status == CONFIRMED)
    )
    return Figures(activities=activities, served=served, volunteer_halves=halves)


@dataclass(frozen=True)
class VolunteerLine:
    member_id: int
    name: str
    halves: int


def volunteers_of(session: Session, activity_id: int) -> list[VolunteerLine]:
    """One query: who volunteered at the activity and for how long."""
    rows = session.execute(
        select(VolunteerHours.member_id, GroupMember.name, VolunteerHours.halves)
        .join(GroupMember, GroupMember.id == VolunteerHours.member_id)
        .where(VolunteerHours.activity_id == activity_id)
        .order_by(VolunteerHours.id)
    )
    return [VolunteerLine(*row) for row in rows]


def current_members(session: Session, group_id: int) -> list[GroupMember]:
    """The members a leader picks volunteers from: current ones, and those who left (for a past date)."""
    return list(
        session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group_id)
            .order_by(GroupMember.left_on.is_not(None), GroupMember.id)
        )
    )


def groups_logging_for(session: Session, user_id: int) -> list[tuple[int, str]]:
    """One query: (group id, name) of the groups this user leads that still log activities (every
    status but 注销), by name: the home page's way to 记录活动."""
    rows = session.execute(
        select(Group.id, Group.name)
        .where(Group.leader_id == user_id, Group.status != GroupStatus.DISSOLVED.value)
        .order_by(Group.name, Group.id)
    )
    return [(group_id, name) for group_id, name in rows]


def returned_to_leader(session: Session, user_id: int) -> list[tuple[int, str]]:
    """One query: (activity id, title) of the returned activities of the groups this user leads."""
    rows = session.execute(
        select(Activity.id, Activity.title)
        .join(Group, Group.id == Activity.group_id)
        .where(Group.leader_id == user_id, Activity.status == ActivityStatus.RETURNED.value)
        .order_by(Activity.id)
        .limit(20)
    )
    return [(activity_id, title) for activity_id, title in rows]


def waiting_by_community(session: Session, community_ids: set[int]) -> list[tuple[int, str, int]]:
    """One query: (community id, community name, activities waiting for confirmation) of these communities."""
    from grants.org.models import Community

    if not community_ids:
        return []
    rows = session.execute(
        select(Community.id, Community.name, func.count(Activity.id))
        .join(Group, Group.community_id == Community.id)
        .join(Activity, Activity.group_id == Group.id)
        .where(Community.id.in_(community_ids), Activity.status == ActivityStatus.PENDING.value)
        .group_by(Community.id, Community.name)
        .order_by(Community.name)
    )
    return [(cid, name, n) for cid, name, n in rows]
