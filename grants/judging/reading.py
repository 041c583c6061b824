"""What a judge reads of the proposals assigned to them: the whole proposal beside the score sheet,
its attachments and (unless the round is blind) the 申报书 PDF."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, defaultload, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from grants.auth import policy as auth_policy
from grants.auth.models import User
from grants.db import db
from grants.editions.models import Criterion, Round
from grants.editions.states import RoundStatus
from grants.judging.models import Assignment, ConflictOfInterest, Score
from grants.org.models import Community, Street
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


# Built once: the sheet is what every judge opens, again and again, before a deadline (issue 12 item 9).
_SHEET_PAGE = (
    select(Assignment)
    .where(Assignment.id == bindparam("assignment_id"))
    .options(
        # The page shows neither the edition nor its district (policies use the round's edition_id).
        # Its criteria, the sheet's scores and the proposal's attachments: by the statements below.
        joinedload(Assignment.round).options(lazyload(Round.criteria), lazyload(Round.edition)),
        defaultload(Assignment.proposal).lazyload(Proposal.edition),
        # The applicant's name only: not their roles, nor their own community chain.
        defaultload(Assignment.proposal)
        .defaultload(Proposal.applicant)
        .options(lazyload(User.grants), lazyload(User.community)),
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
    assignment = session.scalar(_SHEET_PAGE, {"assignment_id": assignment_id})
    if assignment is None:
        return None
    # Each collection by a statement built once, as selectinload would, without rebuilding the
    # loader's statement and its cache key from the sheet's option tree on every visit.
    rnd, proposal = assignment.round, assignment.proposal
    set_committed_value(rnd, "criteria", list(session.scalars(_CRITERIA, {"round_id": rnd.id})))
    set_committed_value(assignment, "scores", list(session.scalars(_SCORES, {"assignment_id": assignment.id})))
    set_committed_value(proposal, "attachments", list(session.scalars(_ATTACHMENTS, {"proposal_id": proposal.id})))
    return assignment
