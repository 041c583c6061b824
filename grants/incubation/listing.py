"""Lists of groups for their staff: a community's, a street's, the district's, a page at a time. Each
is a fixed number of queries whatever its length (the ids in order, the page's rows and their current
stars; the counts per kind, status and stars).

Filters are one value object: ``conditions()`` become the WHERE clause; the stars filter applies to
the current stars (the newest final rating not older than three years, a read rule of the ratings).
The edition and year filters are the district figures' (grants/figures/queries.py): the groups grown
from an edition's grants, the groups with a confirmed activity in a calendar year (Beijing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import paging, params, timeutil
from grants.auth.models import User
from grants.funding.models import Grant
from grants.incubation.models import Activity, ActivityStatus, Group, GroupKind, GroupMember, GroupStatus
from grants.incubation.ratings import queries as rating_queries
from grants.org.models import Community, District, Street

KINDS = tuple(k.value for k in GroupKind)
STATUSES = tuple(s.value for s in GroupStatus)
STARS = ("5", "4", "3", "0")
PER_PAGE = 30  # groups a page (each is a card of eight lines on a phone)


@dataclass(frozen=True)
class GroupRow:
    id: int
    name: str
    kind: str
    status: str
    leader: str
    founded_on: date | None
    members: int  # current members (not left)
    from_grant: bool
    community: str = ""
    activities: int = 0  # confirmed activities
    stars: int = 0  # current stars (0: none)


def _id_arg(value: str | None, allowed) -> int | None:
    number = params.whole_number(value)
    return number if number in allowed else None


@dataclass(frozen=True)
class GroupFilters:
    """What a list is narrowed to; unknown values are ignored (the whole list is shown)."""

    kind: str = ""
    status: str = ""
    community_id: int | None = None
    street_id: int | None = None
    stars: int | None = None  # 3, 4, 5, or 0 for groups without current stars
    edition_id: int | None = None  # grown from a grant of this edition
    year: int | None = None  # held a confirmed activity in this calendar year (Beijing)

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, community_ids=(), street_ids=()) -> GroupFilters:
        kind = args.get("kind", "")
        status = args.get("status", "")
        stars = args.get("stars", "")
        year = params.whole_number(args.get("year"), maximum=params.LAST_YEAR)
        return cls(
            kind=kind if kind in KINDS else "",
            status=status if status in STATUSES else "",
            stars=int(stars) if stars in STARS else None,
            community_id=_id_arg(args.get("community"), set(community_ids)),
            street_id=_id_arg(args.get("street"), set(street_ids)),
            edition_id=params.whole_number(args.get("edition")),
            year=year if year is not None and year >= params.FIRST_YEAR else None,
        )

    @property
    def narrowed_by_figures(self) -> bool:
        return self.edition_id is not None or self.year is not None

    def conditions(self) -> list:
        conditions = []
        if self.kind:
            conditions.append(Group.kind == self.kind)
        if self.status:
            conditions.append(Group.status == self.status)
        if self.community_id is not None:
            conditions.append(Group.community_id == self.community_id)
        if self.street_id is not None:
            conditions.append(Community.street_id == self.street_id)
        if self.edition_id is not None:
            conditions.append(grown_in_edition(self.edition_id))
        if self.year is not None:
            conditions.append(active_in_year(self.year))
        return conditions


def grown_in_edition(edition_id: int):
    """The group grew from a grant of this edition."""
    return Group.origin_grant_id.in_(select(Grant.id).where(Grant.edition_id == edition_id))


def active_in_year(year: int):
    """The group held at least one confirmed activity that started in this calendar year (Beijing)."""
    start, end = timeutil.local_year_bounds(year)
    return (
        select(Activity.id)
        .where(
            Activity.group_id == Group.id,
            Activity.status == ActivityStatus.CONFIRMED.value,
            Activity.starts_at >= start,
            Activity.starts_at < end,
        )
        .correlate(Group)
        .exists()
    )


def community_scope(community_id: int):
    return Group.community_id == community_id


def street_scope(street_id: int):
    return Community.street_id == street_id


def district_scope(district_id: int):
    return Street.district_id == district_id


def _active_members():
    return (
        select(func.count(GroupMember.id))
        .where(GroupMember.group_id == Group.id, GroupMember.left_on.is_(None))
        .correlate(Group)
        .scalar_subquery()
    )


def _confirmed_activities():
    return (
        select(func.count(Activity.id))
        .where(Activity.group_id == Group.id, Activity.status == ActivityStatus.CONFIRMED.value)
        .correlate(Group)
        .scalar_subquery()
    )


def _listed(columns, scope, filters: GroupFilters):
    """``columns`` of the groups in scope that pass the filters, in the list's order."""
    return (
        select(*columns)
        .join(Community, Community.id == Group.community_id)
        .join(Street, Street.id == Community.street_id)
        .where(scope, *filters.conditions())
        .order_by(Street.name, Community.name, Group.name, Group.id)
    )


def _rows(session: Session, scope, filters: GroupFilters, only=None) -> list[GroupRow]:
    """Two queries: the rows (all, or those of the ids ``only``) with leader, community, counts and stars."""
    query = _listed(
        (
            Group.id,
            Group.name,
            Group.kind,
            Group.status,
            User.display_name,
            Group.founded_on,
            _active_members(),
            Group.origin_grant_id,
            Community.name,
            _confirmed_activities(),
        ),
        scope,
        filters,
    ).outerjoin(User, User.id == Group.leader_id)
    if only is not None:
        query = query.where(Group.id.in_(only))
    rows = [
        GroupRow(
            id=r[0],
            name=r[1],
            kind=r[2],
            status=r[3],
            leader=r[4] or "",
            founded_on=r[5],
            members=r[6],
            from_grant=r[7] is not None,
            community=r[8],
            activities=r[9],
        )
        for r in session.execute(query)
    ]
    stars = rating_queries.current_stars_of(session, [row.id for row in rows])
    return [replace(row, stars=stars[row.id].stars) if row.id in stars else row for row in rows]


def group_page(session: Session, scope, filters: GroupFilters, page: int) -> paging.Page[GroupRow]:
    """Three queries (four with the stars filter): the ids of the groups that pass the filters, in
    the list's order (and the current stars of all of them, to filter by), then the page's rows."""
    ids = list(session.scalars(_listed((Group.id,), scope, filters)))
    if filters.stars is not None:
        stars = rating_queries.current_stars_of(session, ids)
        ids = [i for i in ids if (stars[i].stars if i in stars else 0) == filters.stars]
    page, pages, offset = paging.locate(len(ids), page, PER_PAGE)
    shown = ids[offset : offset + PER_PAGE]
    return paging.Page(_rows(session, scope, filters, only=shown) if shown else [], len(ids), page, pages)


@dataclass(frozen=True)
class Counts:
    """Groups in scope per kind and per status (before filtering), and in all."""

    by_kind: dict[str, int]
    by_status: dict[str, int]
    by_stars: dict[int, int]  # current stars (0: none)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


def counts(session: Session, scope) -> Counts:
    """Two queries: the groups in scope per kind, status and current stars."""
    rows = session.execute(
        select(Group.id, Group.kind, Group.status)
        .join(Community, Community.id == Group.community_id)
        .join(Street, Street.id == Community.street_id)
        .where(scope)
    ).all()
    stars = rating_queries.current_stars_of(session, [r[0] for r in rows])
    return Counts(
        dict(Counter(r[1] for r in rows)),
        dict(Counter(r[2] for r in rows)),
        dict(Counter(stars[r[0]].stars if r[0] in stars else 0 for r in rows)),
    )


def communities_of_street(session: Session, street_id: int) -> list[Community]:
    return list(session.scalars(select(Community).where(Community.street_id == street_id).order_by(Community.name)))


def streets_of_district(session: Session, district_id: int) -> list[Street]:
    return list(session.scalars(select(Street).where(Street.district_id == district_id).order_by(Street.name)))


def areas_of(session: Session, street_ids, district_ids) -> tuple[list[Street], list[District]]:
    """The streets and districts named by these ids (two queries at most), for links to their lists."""
    streets = (
        list(session.scalars(select(Street).where(Street.id.in_(street_ids)).order_by(Street.name)))
        if street_ids
        else []
    )
    districts = (
        list(session.scalars(select(District).where(District.id.in_(district_ids)).order_by(District.name)))
        if district_ids
        else []
    )
    return streets, districts
