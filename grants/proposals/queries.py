"""Reviewer lists of proposals: scoped to what the user reviews, filtered, paginated, bounded queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager

from grants import timeutil
from grants.auth import policy
from grants.org.models import Community, Street
from grants.proposals.models import Proposal
from grants.proposals.states import RECEIVED, RECEIVED_STATUSES


@dataclass
class ProposalFilter:
    status: str | None = None  # a status, or RECEIVED for every received one (not withdrawn)
    community_id: int | None = None
    category_id: int | None = None
    search: str | None = None
    street_id: int | None = None
    year: int | None = None  # first submitted in this calendar year (Beijing)


def _reviewed(user, community_id):
    """The condition that ``community_id`` names a community whose proposals the (non-organizer)
    user reviews: as its staff, or as staff of its street."""
    street_ids = policy.staff_street_ids(user)
    in_streets = select(Community.id).where(Community.street_id.in_(street_ids or {-1}))
    return or_(community_id.in_(policy.staff_community_ids(user) or {-1}), community_id.in_(in_streets))


def _scope(user, edition):
    """The rows of this edition the user reviews; drafts (never submitted) are never listed."""
    query = select(Proposal).where(Proposal.edition_id == edition.id, Proposal.version > 0)
    if policy.is_organizer(user, edition.district_id):
        return query
    return query.where(_reviewed(user, Proposal.community_id))


def communities_in_scope(session: Session, user, edition) -> list[Community]:
    """The communities of the edition's district whose proposals the user reviews (the choices of
    the list's community filter), by street and name."""
    query = select(Community).join(Street).where(Street.district_id == edition.district_id)
    if not policy.is_organizer(user, edition.district_id):
        query = query.where(_reviewed(user, Community.id))
    return list(session.scalars(query.options(contains_eager(Community.street)).order_by(Street.name, Community.name)))


def edition_proposals(session: Session, user, edition, flt: ProposalFilter, *, page: int, per_page: int):
    """(rows, total) of one page; every row's links are loaded with the model's eager options."""
    query = _scope(user, edition)
    if flt.status == RECEIVED:
        query = query.where(Proposal.status.in_(RECEIVED_STATUSES))
    elif flt.status:
        query = query.where(Proposal.status == flt.status)
    if flt.community_id:
        query = query.where(Proposal.community_id == flt.community_id)
    if flt.street_id:
        query = query.where(Proposal.community_id.in_(select(Community.id).where(Community.street_id == flt.street_id)))
    if flt.year:
        start, end = timeutil.local_year_bounds(flt.year)
        query = query.where(Proposal.submitted_at >= start, Proposal.submitted_at < end)
    if flt.category_id:
        query = query.where(Proposal.category_id == flt.category_id)
    if flt.search:
        query = query.where(Proposal.title.contains(flt.search.strip()))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (
        session.scalars(
            query.order_by(Proposal.submitted_at.desc(), Proposal.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        .unique()
        .all()
    )
    return list(rows), total


def count_in_scope(session: Session, user, edition, statuses: tuple[str, ...]) -> int:
    """How many of the proposals this user reviews in the edition have one of these statuses."""
    query = _scope(user, edition).where(Proposal.status.in_(statuses)).order_by(None)
    return session.scalar(select(func.count()).select_from(query.with_only_columns(Proposal.id).subquery())) or 0
