"""What the public pages read: editions with published results, a publication's history, a
project's public record, and an edition's statistics. Plain queries, no request, no writes.

Every figure is computed from the records with GROUP BY queries each time it is shown (never a
stored cache), and every function issues a fixed number of queries whatever the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, defaultload, lazyload

from grants.editions.models import Edition, EditionCategory, Round, RoundKind
from grants.funding.models import Grant
from grants.judging.models import EligibilityDecision, Outcome
from grants.org.models import Community, Street
from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus
from grants.results.models import Publication, PublicationEntry
from grants.results.queries import current_of
from grants.results.states import CURRENT_STATUSES, PUBLIC_STATUSES, PublicationStatus

# A publication comes with its edition and round (joined); their categories and criteria, which
# the models load eagerly, are never shown on public pages: leave them unloaded.
LEAN = (
    defaultload(Publication.edition).lazyload(Edition.categories),
    defaultload(Publication.round).lazyload(Round.criteria),
    defaultload(Publication.round).defaultload(Round.edition).lazyload(Edition.categories),
)


def edition_by_id(session: Session, edition_id: int) -> Edition | None:
    return session.get(Edition, edition_id, options=[lazyload(Edition.categories)])


# --- editions and publications -----------------------------------------------------------------


@dataclass(frozen=True)
class PublicEdition:
    """An edition on the public index, with the list the public currently sees."""

    edition: Edition
    current: Publication | None
    latest_at: datetime | None  # when its newest public notice was published

    @property
    def final(self) -> bool:
        """The results are final (结果已确定) once the current list is final."""
        return self.current is not None and self.current.status == PublicationStatus.FINAL.value


def public_editions(session: Session) -> list[PublicEdition]:
    """Every edition with at least one public publication (drafts never count), the one whose
    results were published most recently first. Two queries (plus the editions' categories)."""
    publications = session.scalars(
        select(Publication)
        .where(Publication.status.in_(PUBLIC_STATUSES))
        .order_by(Publication.edition_id, Publication.number)
        .options(*LEAN)
    ).all()
    by_edition: dict[int, list[Publication]] = {}
    for publication in publications:
        by_edition.setdefault(publication.edition_id, []).append(publication)
    found = []
    for items in by_edition.values():
        current = current_of(items)
        latest = max((p.opens_at for p in items if p.opens_at is not None), default=None)
        found.append(PublicEdition(edition=items[0].edition, current=current, latest_at=latest))
    found.sort(key=lambda e: (e.latest_at.timestamp() if e.latest_at else 0.0, e.edition.id), reverse=True)
    return found


def public_history(session: Session, edition_id: int) -> list[Publication]:
    """The edition's public publications, newest first."""
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.edition_id == edition_id, Publication.status.in_(PUBLIC_STATUSES))
            .order_by(Publication.number.desc())
            .options(*LEAN)
        )
    )


def public_entry(session: Session, entry_id: int) -> tuple[PublicationEntry, Publication] | None:
    """A listed project with its publication, only when the publication is public."""
    row = session.execute(
        select(PublicationEntry, Publication)
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .where(PublicationEntry.id == entry_id, Publication.status.in_(PUBLIC_STATUSES))
        .options(*LEAN)
    ).first()
    return None if row is None else (row[0], row[1])


def appearances(session: Session, edition_id: int, proposal_id: int) -> list[tuple[int, Publication]]:
    """(entry id, publication) for each public list of the edition naming this project, oldest first."""
    rows = session.execute(
        select(PublicationEntry.id, Publication)
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .where(
            Publication.edition_id == edition_id,
            Publication.status.in_(PUBLIC_STATUSES),
            PublicationEntry.proposal_id == proposal_id,
        )
        .order_by(Publication.number)
        .options(*LEAN)
    )
    return [(entry_id, publication) for entry_id, publication in rows]


# --- statistics ---------------------------------------------------------------------------------


@dataclass
class Row:
    """Counts of one community or category (or of the whole edition)."""

    label: str
    street: str = ""
    received: int = 0  # submitted at least once, withdrawn ones included
    withdrawn: int = 0
    eligible: int = 0  # passed the eligibility round
    listed: int = 0  # in the current public notice
    funded: int = 0  # grants (results final)
    approved_fen: int = 0  # Σ grants

    def add(self, other: Row) -> None:
        for name in ("received", "withdrawn", "eligible", "listed", "funded", "approved_fen"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class EditionStatistics:
    edition: Edition
    current: Publication
    total: Row
    by_community: list[Row] = field(default_factory=list)
    by_category: list[Row] = field(default_factory=list)
    has_eligibility_round: bool = True
    # The newest public awards list (final type) and what it proposes before results are final.
    awards: Publication | None = None
    proposed_count: int = 0
    proposed_fen: int = 0

    @property
    def finalized(self) -> bool:
        return self.total.funded > 0 or (
            self.awards is not None and self.awards.status == PublicationStatus.FINAL.value
        )


def _eligibility_round_id(session: Session, edition_id: int) -> int | None:
    return session.scalar(
        select(Round.id)
        .where(Round.edition_id == edition_id, Round.kind == RoundKind.ELIGIBILITY.value)
        .order_by(Round.position)
        .limit(1)
    )


def _counts(edition_id: int, round_id: int | None, current_id: int):
    """The counting part of a GROUP BY query over the edition's received proposals; the caller
    adds the columns it groups by (after the six counts)."""
    listed = (
        select(PublicationEntry.proposal_id.label("proposal_id"))
        .where(PublicationEntry.publication_id == current_id)
        .subquery()
    )
    if round_id is None:
        eligible = literal(0)
    else:
        passed = select(EligibilityDecision.proposal_id).where(
            EligibilityDecision.round_id == round_id, EligibilityDecision.outcome == Outcome.PASS.value
        )
        eligible = func.sum(case((Proposal.id.in_(passed), 1), else_=0))
    withdrawn = func.sum(case((Proposal.status == ProposalStatus.WITHDRAWN.value, 1), else_=0))
    query = (
        select(
            func.count(Proposal.id),
            withdrawn,
            eligible,
            func.count(listed.c.proposal_id),
            func.count(Grant.id),
            func.coalesce(func.sum(Grant.approved_fen), 0),
        )
        .select_from(Proposal)
        .outerjoin(listed, listed.c.proposal_id == Proposal.id)
        .outerjoin(Grant, Grant.proposal_id == Proposal.id)
        .where(Proposal.edition_id == edition_id, Proposal.submitted_at.is_not(None))
    )
    return query


def edition_statistics(session: Session, edition: Edition) -> EditionStatistics | None:
    """The edition's public figures, or None when nothing of it is public. At most six queries."""
    current = session.scalar(
        select(Publication)
        .where(Publication.edition_id == edition.id, Publication.status.in_(CURRENT_STATUSES))
        .order_by(Publication.number.desc())
        .limit(1)
        .options(*LEAN)
    )
    if current is None:
        return None
    round_id = _eligibility_round_id(session, edition.id)

    base = _counts(edition.id, round_id, current.id)
    by_community = (
        base.add_columns(Community.id, Community.name, Street.name)
        .outerjoin(Community, Community.id == Proposal.community_id)
        .outerjoin(Street, Street.id == Community.street_id)
        .group_by(Community.id, Community.name, Street.name)
        .order_by(Street.name, Community.name)
    )
    by_category = (
        base.add_columns(EditionCategory.id, EditionCategory.name, EditionCategory.position)
        .outerjoin(EditionCategory, EditionCategory.id == Proposal.category_id)
        .group_by(EditionCategory.id, EditionCategory.name, EditionCategory.position)
        .order_by(EditionCategory.position, EditionCategory.name)
    )
    stats = EditionStatistics(edition=edition, current=current, total=Row(label=""))
    stats.has_eligibility_round = round_id is not None
    for counts in session.execute(by_community):
        received, withdrawn, eligible, listed, funded, approved, _id, name, street = counts
        row = Row(name or "", street or "", received, withdrawn, eligible or 0, listed, funded, approved)
        stats.by_community.append(row)
        stats.total.add(row)
    for counts in session.execute(by_category):
        received, withdrawn, eligible, listed, funded, approved, _id, name, _position = counts
        stats.by_category.append(Row(name or "", "", received, withdrawn, eligible or 0, listed, funded, approved))

    awards = (
        current
        if current.final
        else session.scalar(
            select(Publication)
            .where(
                Publication.edition_id == edition.id,
                Publication.final.is_(True),
                Publication.status.in_(CURRENT_STATUSES),
            )
            .order_by(Publication.number.desc())
            .limit(1)
            .options(*LEAN)
        )
    )
    stats.awards = awards
    if awards is not None:
        count, total = session.execute(
            select(
                func.count(PublicationEntry.approved_fen), func.coalesce(func.sum(PublicationEntry.approved_fen), 0)
            ).where(PublicationEntry.publication_id == awards.id)
        ).one()
        stats.proposed_count, stats.proposed_fen = count, total
    return stats
