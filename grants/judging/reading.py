"""What a judge reads of the proposals assigned to them: the whole proposal beside the score sheet,
its attachments and (unless the round is blind) the 申报书 PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import Session, aliased, defaultload, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from grants.auth import policy as auth_policy
from grants.auth.models import User
from grants.db import db
from grants.editions.models import Criterion, EditionCategory, Round, criteria_total
from grants.editions.states import RoundStatus
from grants.judging.models import Assignment, ConflictOfInterest, Score
from grants.org.models import Community, Street, community_full_name
from grants.proposals import policy as proposal_policy
from grants.proposals.models import Attachment, Proposal

READABLE_ROUNDS = (RoundStatus.OPEN.value, RoundStatus.CLOSED.value)


def assigned_round(session: Session, user, proposal: Proposal) -> Round | None:
    """A round, open or closed, in which this judge holds a sheet of the proposal and has no
    conflict with it (declared, or living in its community); None otherwise."""
    if not auth_policy.is_judge(user, proposal.edition_id):
        return None
    if user.community_id is not None and user.community_id == proposal.community_id:
        return None
    conflicted = exists().where(
        ConflictOfInterest.edition_id == proposal.edition_id,
        ConflictOfInterest.judge_id == user.id,
        ConflictOfInterest.proposal_id == proposal.id,
    )
    return session.scalar(
        select(Round)
        .join(Assignment, Assignment.round_id == Round.id)
        .where(
            Assignment.judge_id == user.id,
            Assignment.proposal_id == proposal.id,
            Round.status.in_(READABLE_ROUNDS),
            ~conflicted,
        )
        .order_by(Round.position.desc())
        .limit(1)
    )


def judge_may_read(user, proposal: Proposal, *, named: bool = True) -> bool:
    """Registered as a proposal reader: an assigned, non-conflicted judge; ``named`` documents
    (the PDF names the applicant) only outside blind rounds."""
    rnd = assigned_round(db.session, user, proposal)
    return rnd is not None and (not named or not rnd.blind)


proposal_policy.register_reader(judge_may_read)


# Built once (on first use): the sheet is what every judge opens, again and again, before a
# deadline (issue 12 item 9).
@cache
def _sheet_page():
    return (
        select(Assignment)
        .where(Assignment.id == bindparam("assignment_id"))
        .options(
            # The page shows neither the edition nor its district (policies use the round's edition_id).
            # Its criteria, the sheet's scores and the proposal's attachments: by the statements below.
            joinedload(Assignment.round).options(lazyload(Round.criteria), lazyload(Round.edition)),
            defaultload(Assignment.proposal).lazyload(Proposal.edition),
            # The applicant's name only: not their roles (their community loads only when used).
            defaultload(Assignment.proposal).defaultload(Proposal.applicant).lazyload(User.grants),
            # The community's full name is "street · community": not its district.
            defaultload(Assignment.proposal)
            .defaultload(Proposal.community)
            .defaultload(Community.street)
            .lazyload(Street.district),
            # The judge is usually the signed-in user, already in the session: no join (nor their roles).
            lazyload(Assignment.judge).lazyload(User.grants),
            lazyload(Assignment.scores),
            # The proposal's body (team, plan, budget) is kept rendered per submitted version
            # (grants/proposals/rendered.py): its rows are read only when it is rendered.
            joinedload(Assignment.proposal).options(
                lazyload(Proposal.team),
                lazyload(Proposal.activities),
                lazyload(Proposal.budget_lines),
                lazyload(Proposal.attachments),
            ),
        )
    )


_CRITERIA = select(Criterion).where(Criterion.round_id == bindparam("round_id")).order_by(Criterion.position)
_SCORES = select(Score).where(Score.assignment_id == bindparam("assignment_id")).order_by(Score.id)
_ATTACHMENTS = select(Attachment).where(Attachment.proposal_id == bindparam("proposal_id")).order_by(Attachment.id)


def sheet_page(session: Session, assignment_id: int) -> Assignment | None:
    """The score sheet with what its page shows — round, criteria, scores, the proposal's row with
    the names it shows, and its attachments — in four queries; the proposal's team, plan and budget
    are read when its body is rendered (once per submitted version: grants/proposals/rendered.py)."""
    assignment = session.scalar(_sheet_page(), {"assignment_id": assignment_id})
    if assignment is None:
        return None
    # Each collection by a statement built once, as selectinload would, without rebuilding the
    # loader's statement and its cache key from the sheet's option tree on every visit.
    rnd, proposal = assignment.round, assignment.proposal
    set_committed_value(rnd, "criteria", list(session.scalars(_CRITERIA, {"round_id": rnd.id})))
    set_committed_value(assignment, "scores", list(session.scalars(_SCORES, {"assignment_id": assignment.id})))
    set_committed_value(proposal, "attachments", list(session.scalars(_ATTACHMENTS, {"proposal_id": proposal.id})))
    return assignment


# --- The sheet as its GET page shows it: rows shaped for the page, not the object graph ----------


class Named(NamedTuple):
    """A row the page names: a user's display name, a category's name."""

    name: str

    @property
    def display_name(self) -> str:
        return self.name


class CommunityName(NamedTuple):
    name: str
    street_name: str

    @property
    def full_name(self) -> str:
        return community_full_name(self.street_name, self.name)


class CriterionLine(NamedTuple):
    id: int
    name: str
    description: str
    max_points: int | None


class AttachmentLine(NamedTuple):
    id: int
    original_name: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class SheetRound:
    id: int
    edition_id: int
    name: str
    blind: bool
    criteria: tuple[CriterionLine, ...]

    @property
    def max_total(self) -> int:
        return criteria_total(self.criteria)


@dataclass(frozen=True)
class SheetProposal:
    """What the sheet shows of the proposal, and what its policies and the body's cache key read;
    the body itself is rendered from the proposal's own rows (``entity``) when it is not kept."""

    id: int
    edition_id: int
    applicant_id: int
    group_id: int | None
    status: str
    version: int
    updated_at: datetime
    title: str
    applicant: Named
    community: CommunityName | None
    category: Named | None
    attachments: tuple[AttachmentLine, ...]

    def entity(self) -> Proposal:
        return db.session.get(Proposal, self.id)


@dataclass(frozen=True)
class SheetView:
    """A score sheet for its GET page: the assignment's own columns, its round with the criteria,
    the points entered, the proposal, and whether its judge declared a conflict with it."""

    id: int
    round_id: int
    judge_id: int
    proposal_id: int
    status: str
    comment: str
    withdrawal_cause: str | None
    withdrawal_reason: str | None
    round: SheetRound
    proposal: SheetProposal
    points: dict[int, Decimal]
    conflicts: frozenset[tuple[int, int]]  # the (judge, proposal) pair when declared, for sheet_block

    @property
    def judge(self) -> User | None:
        """The judge (the signed-in user on their own sheet: from the identity map, roles loaded)."""
        return db.session.get(User, self.judge_id)

    def points_by_criterion(self) -> dict[int, Decimal]:
        return dict(self.points)


_applicant = aliased(User)
_SHEET_VIEW = (
    select(
        Assignment.id,
        Assignment.round_id,
        Assignment.judge_id,
        Assignment.proposal_id,
        Assignment.status,
        Assignment.comment,
        Assignment.withdrawal_cause,
        Assignment.withdrawal_reason,
        Round.edition_id.label("round_edition_id"),
        Round.name.label("round_name"),
        Round.blind,
        Proposal.edition_id,
        Proposal.applicant_id,
        Proposal.group_id,
        Proposal.status.label("proposal_status"),
        Proposal.version,
        Proposal.updated_at,
        Proposal.title,
        _applicant.display_name.label("applicant_name"),
        Community.name.label("community_name"),
        Street.name.label("street_name"),
        EditionCategory.name.label("category_name"),
        exists()
        .where(
            ConflictOfInterest.edition_id == Round.edition_id,
            ConflictOfInterest.judge_id == Assignment.judge_id,
            ConflictOfInterest.proposal_id == Assignment.proposal_id,
        )
        .label("conflicted"),
    )
    .join(Round, Round.id == Assignment.round_id)
    .join(Proposal, Proposal.id == Assignment.proposal_id)
    .join(_applicant, _applicant.id == Proposal.applicant_id)
    .outerjoin(Community, Community.id == Proposal.community_id)
    .outerjoin(Street, Street.id == Community.street_id)
    .outerjoin(EditionCategory, EditionCategory.id == Proposal.category_id)
    .where(Assignment.id == bindparam("assignment_id"))
)
# The round's criteria with the points this sheet gives each (none yet: NULL).
_CRITERIA_POINTS = (
    select(Criterion.id, Criterion.name, Criterion.description, Criterion.max_points, Score.points)
    .outerjoin(Score, and_(Score.criterion_id == Criterion.id, Score.assignment_id == bindparam("assignment_id")))
    .where(Criterion.round_id == bindparam("round_id"))
    .order_by(Criterion.position, Criterion.id)
)
_ATTACHMENT_LINES = (
    select(Attachment.id, Attachment.original_name, Attachment.size, Attachment.created_at)
    .where(Attachment.proposal_id == bindparam("proposal_id"))
    .order_by(Attachment.id)
)


def sheet_view(session: Session, assignment_id: int) -> SheetView | None:
    """The score sheet as its page shows it, in three queries of columns: the assignment with its
    round, proposal and the names shown (and the declared-conflict check), the criteria with their
    points, the attachments. The page's policies read it as they read the assignment."""
    connection = session.connection()
    row = connection.execute(_SHEET_VIEW, {"assignment_id": assignment_id}).one_or_none()
    if row is None:
        return None
    lines = connection.execute(_CRITERIA_POINTS, {"assignment_id": row.id, "round_id": row.round_id}).all()
    attachments = connection.execute(_ATTACHMENT_LINES, {"proposal_id": row.proposal_id}).all()
    community = CommunityName(row.community_name, row.street_name) if row.community_name is not None else None
    return SheetView(
        id=row.id,
        round_id=row.round_id,
        judge_id=row.judge_id,
        proposal_id=row.proposal_id,
        status=row.status,
        comment=row.comment,
        withdrawal_cause=row.withdrawal_cause,
        withdrawal_reason=row.withdrawal_reason,
        round=SheetRound(
            id=row.round_id,
            edition_id=row.round_edition_id,
            name=row.round_name,
            blind=row.blind,
            criteria=tuple(CriterionLine(*line[:4]) for line in lines),
        ),
        proposal=SheetProposal(
            id=row.proposal_id,
            edition_id=row.edition_id,
            applicant_id=row.applicant_id,
            group_id=row.group_id,
            status=row.proposal_status,
            version=row.version,
            updated_at=row.updated_at,
            title=row.title,
            applicant=Named(row.applicant_name),
            community=community,
            category=Named(row.category_name) if row.category_name is not None else None,
            attachments=tuple(AttachmentLine(*a) for a in attachments),
        ),
        points={line.id: line.points for line in lines if line.points is not None},
        conflicts=frozenset({(row.judge_id, row.proposal_id)}) if row.conflicted else frozenset(),
    )
