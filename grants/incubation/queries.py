"""Read rules the group pages share; each list is a fixed number of queries whatever its length."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from grants.auth import policy
from grants.db import loaded_from_row
from grants.funding.models import Grant
from grants.incubation import listing
from grants.incubation.models import Group, GroupMember
from grants.incubation.service import GRANT_STATUSES_FOR_GROUP
from grants.org.models import Community, District, Street
from grants.proposals.models import Proposal

_PLACE = (Group, Community, Street, District)


@functools.cache
def _group_with_place_statement():
    group, community, street, district = (model.__table__ for model in _PLACE)
    return (
        select(group, community, street, district)
        .select_from(
            group.join(community, community.c.id == group.c.community_id)
            .join(street, street.c.id == community.c.street_id)
            .join(district, district.c.id == street.c.district_id)
        )
        .where(group.c.id == bindparam("group_id"))
    )


def group_with_place(session: Session, group_id: int) -> Group | None:
    """The group with its community, street and district, which every group route's policy asks:
    one row, read with Core and made into the four objects (``as_loaded``), each linked to the next
    as the joined loads of ``session.get(Group, …)`` link them, at half their cost."""
    row = session.connection().execute(_group_with_place_statement(), {"group_id": group_id}).first()
    if row is None:
        return None
    group, community, street, district = loaded_from_row(session, row, _PLACE)
    set_committed_value(group, "community", community)
    set_committed_value(community, "street", street)
    set_committed_value(street, "district", district)
    return group


def status_counts(session: Session, community_id: int) -> dict[str, int]:
    return listing.counts(session, listing.community_scope(community_id)).by_status


@dataclass(frozen=True)
class GrantRow:
    grant_id: int
    title: str
    edition: str


def grants_without_group(session: Session, community_id: int) -> list[GrantRow]:
    """One query: the community's grants that may still become a group."""
    from grants.editions.models import Edition

    rows = session.execute(
        select(Grant.id, Proposal.title, Edition.name)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .join(Edition, Edition.id == Grant.edition_id)
        .outerjoin(Group, Group.origin_grant_id == Grant.id)
        .where(Proposal.community_id == community_id, Grant.status.in_(GRANT_STATUSES_FOR_GROUP), Group.id.is_(None))
        .order_by(Grant.id)
    )
    return [GrantRow(grant_id=r[0], title=r[1], edition=r[2]) for r in rows]


def overseen_communities(session: Session, user) -> list[Community]:
    """The communities whose groups this user oversees: staff's own, street staff's street, organizer's district."""
    conditions = []
    if ids := policy.staff_community_ids(user):
        conditions.append(Community.id.in_(ids))
    if ids := policy.staff_street_ids(user):
        conditions.append(Community.street_id.in_(ids))
    if ids := policy.organizer_district_ids(user):
        conditions.append(Street.district_id.in_(ids))
    if not conditions:
        return []
    return list(
        session.scalars(
            select(Community)
            .join(Street, Street.id == Community.street_id)
            .where(or_(*conditions))
            .order_by(Street.name, Community.name)
        )
    )


def led_groups(session: Session, user_id: int) -> list[Group]:
    return list(session.scalars(select(Group).where(Group.leader_id == user_id).order_by(Group.name)))


def members_of(session: Session, group_id: int) -> list[GroupMember]:
    """Current members first (by role, then joining), then those who left."""
    role_order = {"leader": 0, "core": 1, "member": 2}
    members = session.scalars(
        select(GroupMember).where(GroupMember.group_id == group_id).order_by(GroupMember.joined_on, GroupMember.id)
    )
    return sorted(members, key=lambda m: (m.left_on is not None, role_order.get(m.role, 3)))


@dataclass(frozen=True)
class GrantGroupSection:
    """What the grant page shows about the group grown from the grant (one query)."""

    group: Group | None
    may_view_group: bool
    may_create: bool


def grant_group_section(session: Session, grant: Grant, user) -> GrantGroupSection:
    from grants.incubation import policy as group_policy
    from grants.incubation.service import group_of_grant

    group = group_of_grant(session, grant.id)
    may_create = (
        group is None
        and grant.status in GRANT_STATUSES_FOR_GROUP
        and group_policy.can_create_group(user, grant.proposal.community)
    )
    return GrantGroupSection(
        group=group, may_view_group=group is not None and group_policy.can_view(user, group), may_create=may_create
    )
