"""The journey's reads about the group: its latest activities and the proposals it made later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.editions.models import Edition
from grants.funding.models import Grant
from grants.incubation.models import Activity, ActivityStatus, Group
from grants.org.models import Community
from grants.proposals.models import Proposal
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES

LATEST_ACTIVITIES = 5  # the latest confirmed activities the page lists


def group(session: Session, group_id: int) -> Group | None:
    """The group with its community and street (joined): one query."""
    return session.get(Group, group_id)


@dataclass(frozen=True)
class ActivityRow:
    title: str
    kind: str
    starts_at: datetime
    served: int


def latest_activities(session: Session, group_id: int, limit: int = LATEST_ACTIVITIES) -> list[ActivityRow]:
    """The group's latest confirmed activities, newest first (one query, LIMIT)."""
    rows = session.execute(
        select(Activity.title, Activity.kind, Activity.starts_at, Activity.served)
        .where(Activity.group_id == group_id, Activity.status == ActivityStatus.CONFIRMED.value)
        .order_by(Activity.starts_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return [ActivityRow(*row) for row in rows]


@dataclass(frozen=True)
class LaterRow:
    """A proposal made for the group in a later edition."""

    proposal_id: int
    title: str
    status: str
    version: int
    applicant_id: int
    community_id: int | None
    street_id: int | None
    edition_name: str
    district_id: int
    submitted_at: datetime | None
    public_title: str | None  # its title in its newest public notice; None when never listed
    tier: str | None
    approved_fen: int | None


def later_proposals(
    session: Session, group_id: int, *, district_id: int, after_number: int, proposal_id: int
) -> list[LaterRow]:
    """The submitted proposals made for the group in the district's editions numbered after
    ``after_number`` (one query)."""
    public_title = (
        select(PublicationEntry.title)
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .where(PublicationEntry.proposal_id == Proposal.id, Publication.status.in_(PUBLIC_STATUSES))
        .order_by(Publication.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Proposal.id,
            Proposal.title,
            Proposal.status,
            Proposal.version,
            Proposal.applicant_id,
            Proposal.community_id,
            Community.street_id,
            Edition.name,
            Edition.district_id,
            Proposal.submitted_at,
            public_title,
            Grant.tier,
            Grant.approved_fen,
        )
        .join(Edition, Edition.id == Proposal.edition_id)
        .outerjoin(Community, Community.id == Proposal.community_id)
        .outerjoin(Grant, Grant.proposal_id == Proposal.id)
        .where(
            Proposal.group_id == group_id,
            Proposal.id != proposal_id,
            Proposal.version > 0,
            Edition.district_id == district_id,
            Edition.number > after_number,
        )
        .order_by(Edition.number, Proposal.id)
    )
    return [LaterRow(*row) for row in rows]
