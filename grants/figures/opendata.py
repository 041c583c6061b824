"""Open data of the figures: a district's figures and its public resident groups as JSON-ready dicts.

Aggregates and public facts only. A group is open data once a final star-rating list has named it
(three stars or more, the rule of its public page, grants/incubation/ratings/queries.py): its name,
kind, community, current stars with their year, confirmed activities and residents served — never
a member, a leader or a phone number. The answers are the same for every visitor (the sentence in
both languages), so shared caches may keep them. A fixed number of queries whatever the size.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import money
from grants.figures import summary
from grants.figures.queries import KINDS, STAR_LEVELS, Figures
from grants.incubation.hourmath import hours_number
from grants.incubation.models import Activity, ActivityStatus, Group
from grants.incubation.ratings import queries as rating_queries
from grants.org.models import Community, District, Street

PER_PAGE = 100


def _money(name: str, fen: int) -> dict:
    return {f"{name}_fen": fen, f"{name}_yuan": format(money.fen_to_decimal(fen), "f")}


def _amounts(m) -> dict:
    return {
        **_money("approved", m.approved_fen),
        **_money("disbursed", m.disbursed_fen),
        **_money("spent", m.spent_fen),
        **_money("returned", m.returned_fen),
    }


def district_figures(figures: Figures) -> dict:
    """Every figure of a district scope (the organizer's page shows the same numbers)."""
    scope = figures.scope
    sentences = {}
    for language, locale in (("zh", "zh_Hans_CN"), ("en", "en")):
        with force_locale(locale):
            sentences[language] = summary.sentence(figures)
    return {
        "district": {"id": scope.district.id, "name": scope.district.name},
        "edition_id": None if scope.edition is None else scope.edition.id,
        "year": scope.year,
        "summary": sentences,
        "editions_held": figures.editions_held,
        "proposals_received": figures.proposals,
        "projects_funded": figures.funded,
        "money": _amounts(figures.money),
        "activities_confirmed": figures.activities,
        "residents_served": figures.served,
        "volunteer_hours": hours_number(figures.volunteer_halves),
        "groups": {
            "total": figures.groups,
            "by_kind": {kind: figures.groups_by_kind.get(kind, 0) for kind in KINDS},
            "by_stars": {str(level): figures.groups_by_stars.get(level, 0) for level in STAR_LEVELS},
        },
        "by_edition": [
            {
                "id": row.id,
                "number": row.edition.number,
                "name": row.name,
                "held": row.held,
                "proposals_received": row.proposals,
                "projects_funded": row.funded,
                **_amounts(row.money),
            }
            for row in figures.editions
        ],
        "by_community": [
            {
                "community": row.name or None,
                "street": row.street or None,
                "proposals_received": row.proposals,
                "projects_funded": row.funded,
                **_money("approved", row.approved_fen),
                "activities_confirmed": row.activities,
                "residents_served": row.served,
                "volunteer_hours": hours_number(row.volunteer_halves),
                "groups": row.groups,
            }
            for row in figures.communities
        ],
        "activities_by_month": [
            {"month": f"{m.year:04d}-{m.month:02d}", "activities": m.activities} for m in figures.months
        ],
    }


@dataclass(frozen=True)
class GroupQuery:
    district_id: int | None = None
    community_id: int | None = None
    kind: str | None = None
    page: int = 1


def public_groups(session: Session, query: GroupQuery, *, page_url) -> dict:
    """A page of the public groups, by district, street, community and name. Four queries."""
    conditions = [Group.id.in_(rating_queries.rated_group_ids())]
    if query.district_id is not None:
        conditions.append(Street.district_id == query.district_id)
    if query.community_id is not None:
        conditions.append(Group.community_id == query.community_id)
    if query.kind is not None:
        conditions.append(Group.kind == query.kind)
    base = (
        select(Group.id, Group.name, Group.kind, Community.name, Street.name, District.name)
        .join(Community, Community.id == Group.community_id)
        .join(Street, Street.id == Community.street_id)
        .join(District, District.id == Street.district_id)
        .where(*conditions)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    rows = session.execute(
        base.order_by(District.name, Street.name, Community.name, Group.name, Group.id)
        .offset((query.page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    ids = [row[0] for row in rows]
    confirmed = (
        {
            gid: (count, int(served))
            for gid, count, served in session.execute(
                select(Activity.group_id, func.count(Activity.id), func.coalesce(func.sum(Activity.served), 0))
                .where(Activity.group_id.in_(ids), Activity.status == ActivityStatus.CONFIRMED.value)
                .group_by(Activity.group_id)
            )
        }
        if ids
        else {}
    )
    stars = rating_queries.current_stars_of(session, ids)
    groups = []
    for gid, name, kind, community, street, district in rows:
        rating = stars.get(gid)
        activities, served = confirmed.get(gid, (0, 0))
        groups.append(
            {
                "id": gid,
                "name": name,
                "kind": kind,
                "community": community,
                "street": street,
                "district": district,
                "current_stars": None
                if rating is None
                else {"stars": rating.stars, "year": rating.year, "expires_on": rating.expires_on.isoformat()},
                "activities_confirmed": activities,
                "residents_served": served,
                "links": {"page": page_url(gid)},
            }
        )
    more = query.page * PER_PAGE < total
    return {
        "page": query.page,
        "per_page": PER_PAGE,
        "total": total,
        "next_page": query.page + 1 if more else None,
        "groups": groups,
    }
