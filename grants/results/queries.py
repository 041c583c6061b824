"""Reading publications: the edition's lists, the current one, the objection window, grants.
Plain queries without business changes, used by the pages, documents and the open-data API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.editions.models import Edition, Round
from grants.editions.states import RoundStatus
from grants.funding.models import Grant
from grants.judging.closing import scoring_rounds
from grants.proposals.models import Proposal
from grants.results.models import Objection, Publication, PublicationEntry
from grants.results.states import CURRENT_STATUSES, PUBLIC_STATUSES, ObjectionStatus, PublicationStatus


def publications_of(session: Session, edition_id: int, *, public_only: bool = False) -> list[Publication]:
    """The edition's publications, newest first."""
    query = select(Publication).where(Publication.edition_id == edition_id)
    if public_only:
        query = query.where(Publication.status != PublicationStatus.DRAFT.value)
    return list(session.scalars(query.order_by(Publication.number.desc())))


def entries_of(session: Session, publication: Publication) -> list[PublicationEntry]:
    return list(
        session.scalars(
            select(PublicationEntry)
            .where(PublicationEntry.publication_id == publication.id)
            .order_by(PublicationEntry.position)
        )
    )


def current_publication(session: Session, edition_id: int) -> Publication | None:
    """The newest publication the public sees as valid (published or final, not superseded)."""
    return session.scalar(
        select(Publication)
        .where(Publication.edition_id == edition_id, Publication.status.in_(CURRENT_STATUSES))
        .order_by(Publication.number.desc())
        .limit(1)
    )


def current_of(publications: list[Publication]) -> Publication | None:
    """``current_publication`` applied to an edition's publications already loaded."""
    return max((p for p in publications if p.status in CURRENT_STATUSES), key=lambda p: p.number, default=None)


def replacements(publications: list[Publication]) -> dict[int, Publication]:
    """{publication id: the publication that superseded it}, among publications already loaded."""
    return {p.supersedes_id: p for p in publications if p.supersedes_id is not None}


def predecessor_of(session: Session, publication: Publication) -> Publication | None:
    """The publication this one corrects (supersedes), or None."""
    if publication.supersedes_id is None:
        return None
    return session.get(Publication, publication.supersedes_id)


def successor_of(session: Session, publication: Publication) -> Publication | None:
    """The public publication that corrected this one (None unless it is superseded)."""
    if publication.status != PublicationStatus.SUPERSEDED.value:
        return None
    return session.scalar(
        select(Publication)
        .where(Publication.supersedes_id == publication.id, Publication.status.in_(PUBLIC_STATUSES))
        .order_by(Publication.number)
        .limit(1)
    )


def grants_of(session: Session, publication_id: int) -> list[Grant]:
    """The grants made by finalizing this publication, in list order."""
    return list(
        session.scalars(
            select(Grant)
            .join(PublicationEntry, PublicationEntry.proposal_id == Grant.proposal_id)
            .where(Grant.publication_id == publication_id, PublicationEntry.publication_id == publication_id)
            .order_by(PublicationEntry.position)
        )
    )


def applicant_id_of(session: Session, proposal_id: int) -> int | None:
    """The applicant of a listed project (one small query; the proposal itself stays unloaded)."""
    return session.scalar(select(Proposal.applicant_id).where(Proposal.id == proposal_id))


def draft_of(session: Session, edition_id: int) -> Publication | None:
    return session.scalar(
        select(Publication).where(
            Publication.edition_id == edition_id, Publication.status == PublicationStatus.DRAFT.value
        )
    )


def publishable_rounds(session: Session, edition: Edition) -> list[Round]:
    """Closed rounds whose list may be published: eligibility (passed proposals), scoring
    (advanced proposals), the final scoring round (the award winners)."""
    return list(
        session.scalars(
            select(Round)
            .where(Round.edition_id == edition.id, Round.status == RoundStatus.CLOSED.value)
            .order_by(Round.position)
        )
    )


def is_final_round(session: Session, rnd: Round) -> bool:
    rounds = scoring_rounds(session, rnd.edition_id)
    return bool(rounds) and rounds[-1].id == rnd.id


def window_is_open(publication: Publication, now: datetime | None = None) -> bool:
    now = now or timeutil.now()
    return (
        publication.status == PublicationStatus.PUBLISHED.value
        and publication.opens_at is not None
        and publication.opens_at <= now < publication.closes_at
    )


def open_objections(session: Session, edition_id: int) -> int:
    """Objections still waiting for an answer on any of the edition's publications."""
    return session.scalar(
        select(func.count(Objection.id))
        .join(Publication, Publication.id == Objection.publication_id)
        .where(Publication.edition_id == edition_id, Objection.status == ObjectionStatus.OPEN.value)
    )
