"""The journey's reads about the proposal: its core facts, its people, its rounds, its notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from grants.auth.models import User
from grants.editions.models import Edition, EditionCategory, Round
from grants.funding.models import Grant
from grants.incubation.models import Group
from grants.judging.models import EligibilityDecision, RoundResult
from grants.org.models import Community, Street
from grants.proposals.models import Proposal, TeamMember
from grants.results.models import Objection, Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES, ObjectionStatus


@dataclass(frozen=True)
class Core:
    """The proposal with its edition, community, grant and the group it became (or was made for)."""

    proposal_id: int
    title: str
    summary: str
    status: str
    version: int
    applicant_id: int
    submitted_at: datetime | None
    withdrawn_at: datetime | None
    requested_fen: int
    edition_id: int
    edition_name: str
    edition_number: int
    district_id: int
    submission_opens_at: datetime | None
    submission_closes_at: datetime | None
    community_id: int | None
    community: str
    street_id: int | None
    street: str
    category: str
    grant_id: int | None
    grown_group_id: int | None  # the group grown from this project's grant
    made_for_group_id: int | None  # the group this proposal was made for (Proposal.group_id)

    @property
    def group_id(self) -> int | None:
        return self.grown_group_id or self.made_for_group_id


def core(session: Session, proposal_id: int) -> Core | None:
    grown = aliased(Group)
    row = session.execute(
        select(
            Proposal.id,
            Proposal.title,
            Proposal.summary,
            Proposal.status,
            Proposal.version,
            Proposal.applicant_id,
            Proposal.submitted_at,
            Proposal.withdrawn_at,
            Proposal.requested_fen,
            Edition.id,
            Edition.name,
            Edition.number,
            Edition.district_id,
            Edition.submission_opens_at,
            Edition.submission_closes_at,
            Community.id,
            Community.name,
            Street.id,
            Street.name,
            EditionCategory.name,
            Grant.id,
            grown.id,
            Proposal.group_id,
        )
        .join(Edition, Edition.id == Proposal.edition_id)
        .outerjoin(Community, Community.id == Proposal.community_id)
        .outerjoin(Street, Street.id == Community.street_id)
        .outerjoin(EditionCategory, EditionCategory.id == Proposal.category_id)
        .outerjoin(Grant, Grant.proposal_id == Proposal.id)
        .outerjoin(grown, grown.origin_grant_id == Grant.id)
        .where(Proposal.id == proposal_id)
    ).first()
    if row is None:
        return None
    return Core(*row[:16], row[16] or "", row[17], row[18] or "", row[19] or "", *row[20:])


# --- the proposal's people (never for the public version) ---------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    mobile: str
    role: str = ""


@dataclass(frozen=True)
class People:
    applicant: Person
    team: list[Person]


def people(session: Session, proposal_id: int) -> People:
    """The applicant's name and contact mobile, and the team, in one query."""
    rows = session.execute(
        select(User.display_name, Proposal.applicant_mobile, TeamMember.name, TeamMember.mobile, TeamMember.role)
        .select_from(Proposal)
        .join(User, User.id == Proposal.applicant_id)
        .outerjoin(TeamMember, TeamMember.proposal_id == Proposal.id)
        .where(Proposal.id == proposal_id)
        .order_by(TeamMember.position, TeamMember.id)
    ).all()
    first = rows[0]
    team = [Person(name, mobile or "", role or "") for _a, _m, name, mobile, role in rows if name is not None]
    return People(applicant=Person(first[0], first[1] or ""), team=team)


# --- review -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundRow:
    """A round of the edition with this proposal's stored decision or result, if any."""

    name: str
    position: int
    kind: str
    status: str
    outcome: str | None  # eligibility: pass | fail
    reason: str | None
    decided_at: datetime | None
    score: Decimal | None  # scoring: the stored result
    rank: int | None
    advanced: bool | None
    judges: int | None
    computed_at: datetime | None


def rounds(session: Session, edition_id: int, proposal_id: int) -> list[RoundRow]:
    """Every round of the edition, in order, with the proposal's decision or result (one query)."""
    rows = session.execute(
        select(
            Round.name,
            Round.position,
            Round.kind,
            Round.status,
            EligibilityDecision.outcome,
            EligibilityDecision.reason,
            EligibilityDecision.decided_at,
            RoundResult.score,
            RoundResult.rank,
            RoundResult.advanced,
            RoundResult.judges,
            RoundResult.computed_at,
        )
        .outerjoin(
            EligibilityDecision,
            and_(EligibilityDecision.round_id == Round.id, EligibilityDecision.proposal_id == proposal_id),
        )
        .outerjoin(RoundResult, and_(RoundResult.round_id == Round.id, RoundResult.proposal_id == proposal_id))
        .where(Round.edition_id == edition_id)
        .order_by(Round.position)
    )
    return [RoundRow(*row) for row in rows]


# --- public notices and objections --------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """The project as one public notice lists it (only what the notice published)."""

    entry_id: int
    publication_id: int
    number: int
    title: str  # the notice's title
    status: str
    final: bool
    round_name: str
    round_position: int
    opens_at: datetime | None
    closes_at: datetime | None
    finalized_at: datetime | None
    project_title: str
    applicant: str  # masked as published
    community: str
    street: str
    category: str
    summary: str
    team_size: int
    rank: int | None
    score: Decimal | None
    tier: str | None
    approved_fen: int | None


def listings(session: Session, proposal_id: int) -> list[Listing]:
    """Each public notice (published, corrected or final) naming the project, oldest first."""
    rows = session.execute(
        select(
            PublicationEntry.id,
            Publication.id,
            Publication.number,
            Publication.title,
            Publication.status,
            Publication.final,
            Round.name,
            Round.position,
            Publication.opens_at,
            Publication.closes_at,
            Publication.finalized_at,
            PublicationEntry.title,
            PublicationEntry.applicant,
            PublicationEntry.community,
            PublicationEntry.street,
            PublicationEntry.category,
            PublicationEntry.summary,
            PublicationEntry.team_size,
            PublicationEntry.rank,
            PublicationEntry.score,
            PublicationEntry.tier,
            PublicationEntry.approved_fen,
        )
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .join(Round, Round.id == Publication.round_id)
        .where(PublicationEntry.proposal_id == proposal_id, Publication.status.in_(PUBLIC_STATUSES))
        .order_by(Publication.number)
    )
    return [Listing(*row) for row in rows]


@dataclass(frozen=True)
class ObjectionRow:
    publication_number: int
    status: str
    reply: str | None
    answered_at: datetime | None
    text: str | None  # only when asked for (the organizer's view)
    created_at: datetime | None


def objections(session: Session, proposal_id: int, *, public: bool) -> list[ObjectionRow]:
    """Objections filed against the project in its notices; ``public``: the answered ones, and
    neither their text nor when they were filed (what the public project page shows)."""
    private = (Objection.text, Objection.created_at) if not public else ()
    query = (
        select(Publication.number, Objection.status, Objection.reply, Objection.answered_at, *private)
        .join(PublicationEntry, PublicationEntry.id == Objection.entry_id)
        .join(Publication, Publication.id == Objection.publication_id)
        .where(PublicationEntry.proposal_id == proposal_id)
        .order_by(Objection.created_at, Objection.id)
    )
    if public:
        query = query.where(Objection.status != ObjectionStatus.OPEN.value)
    return [ObjectionRow(*row, *((None, None) if public else ())) for row in session.execute(query)]
