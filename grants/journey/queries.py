"""What a project's journey (项目全程) reads: one query shaped for each part of the page.

Each function selects the columns its part shows, never an object graph, and issues one query
(``money`` two) whatever the number of rounds, tranches, budget lines, reports, activities or
later proposals. Functions with ``public=True`` never read what the public version leaves out:
pending or rejected expenses, reports that were not evaluated, unanswered objections.
No request here and no permission: the service decides who sees which part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from grants.auth.models import User
from grants.editions.models import Edition, EditionCategory, Round
from grants.funding import balances
from grants.funding.models import (
    BudgetItem,
    BudgetVersion,
    BudgetVersionLine,
    Disbursement,
    DisbursementStatus,
    Expense,
    ExpenseStatus,
    Grant,
    GrantEvaluation,
    GrantReport,
    Tranche,
)
from grants.funding.states import ReportStatus
from grants.incubation.models import Activity, ActivityStatus, Group
from grants.judging.models import EligibilityDecision, RoundResult
from grants.org.models import Community, Street
from grants.proposals.models import BudgetCategory, Proposal, TeamMember
from grants.results.models import Objection, Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES, ObjectionStatus

LATEST_ACTIVITIES = 5  # the latest confirmed activities the page lists


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


# --- the grant and its money ------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    id: int
    tier: str
    approved_fen: int
    status: str
    status_reason: str
    created_at: datetime  # the day the results became final
    signed_on: date | None
    receiving_unit: str
    agreement_no: str


def grant(session: Session, grant_id: int) -> GrantRow:
    row = session.execute(
        select(
            Grant.id,
            Grant.tier,
            Grant.approved_fen,
            Grant.status,
            Grant.status_reason,
            Grant.created_at,
            Grant.signed_on,
            Grant.receiving_unit,
            Grant.agreement_no,
        ).where(Grant.id == grant_id)
    ).one()
    return GrantRow(*row)


def money(session: Session, grant_id: int) -> balances.GrantFigures:
    """Paid, returned and spent, from the ledger and the expenses (balances.of_grants: two queries)."""
    return balances.of_grant(session, grant_id)


@dataclass(frozen=True)
class TrancheRow:
    position: int
    name: str
    percent_bp: int
    condition: str
    amount_fen: int
    paid_on: date | None  # the day the paid disbursement went out (None: not paid)
    live_status: str | None  # the disbursement under way (requested, approved), if any


def tranches(session: Session, grant_id: int) -> list[TrancheRow]:
    """The grant's tranches with their disbursements, one query; a tranche is paid at most once."""
    rows = session.execute(
        select(
            Tranche.id,
            Tranche.position,
            Tranche.name,
            Tranche.percent_bp,
            Tranche.condition,
            Tranche.amount_fen,
            Disbursement.status,
            Disbursement.paid_on,
        )
        .outerjoin(Disbursement, Disbursement.tranche_id == Tranche.id)
        .where(Tranche.grant_id == grant_id)
        .order_by(Tranche.position, Disbursement.id)
    )
    found: dict[int, dict] = {}
    for tranche_id, position, name, percent, condition, amount, status, paid_on in rows:
        row = found.setdefault(
            tranche_id,
            {"position": position, "name": name, "percent_bp": percent, "condition": condition, "amount_fen": amount},
        )
        if status == DisbursementStatus.PAID.value:
            row["paid_on"] = paid_on
        elif status in (DisbursementStatus.REQUESTED.value, DisbursementStatus.APPROVED.value):
            row["live_status"] = status
    return [
        TrancheRow(
            row["position"],
            row["name"],
            row["percent_bp"],
            row["condition"],
            row["amount_fen"],
            row.get("paid_on"),
            row.get("live_status"),
        )
        for row in found.values()
    ]


@dataclass(frozen=True)
class LineRow:
    """A budget line of the grant: its amount in the current approved budget and the expenses booked on it."""

    category: str
    item: str
    budgeted_fen: int | None
    accepted_fen: int
    pending_fen: int
    rejected_fen: int
    last_spent_on: date | None  # the latest accepted expense


def budget_lines(session: Session, grant_id: int, *, public: bool) -> list[LineRow]:
    """One grouped query; ``public``: accepted expenses only (pending and rejected are never read)."""
    latest = (
        select(BudgetVersion.id)
        .where(BudgetVersion.grant_id == grant_id)
        .order_by(BudgetVersion.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    accepted = Expense.status == ExpenseStatus.ACCEPTED.value
    joined = Expense.item_id == BudgetItem.id
    if public:
        joined = and_(joined, accepted)

    def total(status: str):
        return func.coalesce(func.sum(case((Expense.status == status, Expense.amount_fen), else_=0)), 0)

    rows = session.execute(
        select(
            BudgetCategory.name,
            BudgetItem.item,
            BudgetVersionLine.amount_fen,
            total(ExpenseStatus.ACCEPTED.value),
            total(ExpenseStatus.PENDING.value),
            total(ExpenseStatus.REJECTED.value),
            func.max(case((accepted, Expense.spent_on))),
            BudgetItem.position,
        )
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .outerjoin(
            BudgetVersionLine, and_(BudgetVersionLine.item_id == BudgetItem.id, BudgetVersionLine.version_id == latest)
        )
        .outerjoin(Expense, joined)
        .where(BudgetItem.grant_id == grant_id)
        .group_by(
            BudgetItem.id, BudgetItem.position, BudgetItem.item, BudgetCategory.name, BudgetVersionLine.amount_fen
        )
        .order_by(BudgetItem.position, BudgetItem.id)
    )
    # SUM(bigint) is NUMERIC on PostgreSQL: money stays int.
    return [
        LineRow(
            category,
            item,
            None if budgeted is None else int(budgeted),
            int(accepted_fen),
            0 if public else int(pending),
            0 if public else int(rejected),
            last,
        )
        for category, item, budgeted, accepted_fen, pending, rejected, last, _position in rows
    ]


@dataclass(frozen=True)
class ReportRow:
    kind: str
    status: str
    submitted_at: datetime
    beneficiaries: int
    activities_count: int
    passed: bool | None  # its evaluation, if evaluated
    total_points: int | None
    pass_mark: int | None
    evaluated_at: datetime | None


def reports(session: Session, grant_id: int, *, public: bool) -> list[ReportRow]:
    """Mid-term and final reports with their evaluations, one query; ``public``: evaluated reports only."""
    query = (
        select(
            GrantReport.kind,
            GrantReport.status,
            GrantReport.submitted_at,
            GrantReport.beneficiaries,
            GrantReport.activities_count,
            GrantEvaluation.passed,
            GrantEvaluation.total_points,
            GrantEvaluation.pass_mark,
            GrantEvaluation.evaluated_at,
        )
        .outerjoin(GrantEvaluation, GrantEvaluation.report_id == GrantReport.id)
        .where(GrantReport.grant_id == grant_id)
        .order_by(GrantReport.submitted_at, GrantReport.id, GrantEvaluation.id)
    )
    if public:
        query = query.where(GrantReport.status == ReportStatus.EVALUATED.value)
    return [ReportRow(*row) for row in session.execute(query)]


# --- the group ----------------------------------------------------------------------------------


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
