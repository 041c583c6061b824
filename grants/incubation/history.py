"""A group's history across editions, from the stored records: the proposals made for it (the one it
grew from, and those its leader made in its name), their round results and awards, the grants and
their settlement and evaluations; then its confirmed activities, residents served and volunteer
hours by year. Each part is one query shaped for it, whatever the number of years or activities;
only confirmed activities count.

Who sees what: every viewer of the group sees the proposals, awards, grant status and evaluation
outcomes (the group's track record); links and money movements (paid, spent, returned) only for
those who may open the proposal or the grant (grants.proposals.policy / grants.funding.policy).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from grants.editions.models import Edition, Round
from grants.funding import balances
from grants.funding import policy as funding_policy
from grants.funding.models import Grant, GrantEvaluation
from grants.incubation import policy as group_policy
from grants.incubation.hourmath import hours_number
from grants.incubation.models import Activity, ActivityStatus, Group, VolunteerHours
from grants.incubation.years import local_year
from grants.judging.models import RoundResult
from grants.org.models import Community
from grants.proposals import policy as proposal_policy
from grants.proposals.models import Proposal


@dataclass(frozen=True)
class RoundLine:
    name: str
    score: Decimal
    rank: int
    advanced: bool


@dataclass(frozen=True)
class EvaluationLine:
    kind: str  # midterm | final
    total_points: int
    pass_mark: int
    passed: bool
    evaluated_at: datetime


@dataclass(frozen=True)
class GrantLine:
    id: int
    tier: str
    approved_fen: int
    status: str
    may_view: bool
    figures: balances.GrantFigures | None  # only for who may view the grant
    evaluations: list[EvaluationLine]  # the latest of each kind (the one that decides)

    @property
    def final_evaluation(self) -> EvaluationLine | None:
        return next((e for e in self.evaluations if e.kind == "final"), None)


@dataclass(frozen=True)
class ApplicationLine:
    """A proposal made for the group (or the one it grew from) in one edition."""

    proposal_id: int
    title: str
    edition: str
    status: str
    is_origin: bool
    may_view: bool
    rounds: list[RoundLine] = field(default_factory=list)
    grant: GrantLine | None = None


@dataclass(frozen=True)
class YearLine:
    year: int
    activities: int
    served: int
    halves: int

    @property
    def hours(self) -> str:
        return hours_number(self.halves)


@dataclass(frozen=True)
class Totals:
    activities: int
    served: int
    halves: int

    @property
    def hours(self) -> str:
        return hours_number(self.halves)


@dataclass(frozen=True)
class GroupHistory:
    applications: list[ApplicationLine]
    years: list[YearLine]

    @property
    def totals(self) -> Totals:
        return _sum(self.years)


def _sum(years: list[YearLine]) -> Totals:
    return Totals(
        activities=sum(y.activities for y in years),
        served=sum(y.served for y in years),
        halves=sum(y.halves for y in years),
    )


def yearly_figures(session: Session, group_id: int) -> list[YearLine]:
    """One query: confirmed activities, residents served and volunteer half hours per year (China time)."""
    hours = (
        select(VolunteerHours.activity_id, func.sum(VolunteerHours.halves).label("halves"))
        .group_by(VolunteerHours.activity_id)
        .subquery()
    )
    year = local_year(Activity.starts_at)
    rows = session.execute(
        select(
            year,
            func.count(Activity.id),
            func.coalesce(func.sum(Activity.served), 0),
            func.coalesce(func.sum(hours.c.halves), 0),
        )
        .outerjoin(hours, hours.c.activity_id == Activity.id)
        .where(Activity.group_id == group_id, Activity.status == ActivityStatus.CONFIRMED.value)
        .group_by(year)
        .order_by(year)
    )
    # SUM is NUMERIC on PostgreSQL: counts stay int.
    return [YearLine(int(y), int(n), int(served), int(halves)) for y, n, served, halves in rows]


def _application_rows(session: Session, group_id: int, origin_grant_id: int | None):
    """One query: the submitted proposals made for the group and the one it grew from, with their grants."""
    made_for = Proposal.group_id == group_id
    if origin_grant_id is not None:
        origin = select(Grant.proposal_id).where(Grant.id == origin_grant_id).scalar_subquery()
        made_for = or_(made_for, Proposal.id == origin)
    return session.execute(
        select(
            Proposal.id,
            Proposal.title,
            Proposal.status,
            Proposal.applicant_id,
            Proposal.version,
            Proposal.community_id,
            Community.street_id,
            Edition.name,
            Edition.district_id,
            Grant.id,
            Grant.tier,
            Grant.approved_fen,
            Grant.status,
        )
        .join(Edition, Edition.id == Proposal.edition_id)
        .outerjoin(Community, Community.id == Proposal.community_id)
        .outerjoin(Grant, Grant.proposal_id == Proposal.id)
        .where(made_for, Proposal.version > 0)
        .order_by(Edition.submission_opens_at, Edition.number, Proposal.id)
    ).all()


def _round_lines(session: Session, proposal_ids: list[int]) -> dict[int, list[RoundLine]]:
    """One query: the stored results of the scoring rounds, in round order."""
    if not proposal_ids:
        return {}
    lines: dict[int, list[RoundLine]] = defaultdict(list)
    for proposal_id, name, score, rank, advanced in session.execute(
        select(RoundResult.proposal_id, Round.name, RoundResult.round_score, RoundResult.rank, RoundResult.advanced)
        .join(Round, Round.id == RoundResult.round_id)
        .where(RoundResult.proposal_id.in_(proposal_ids))
        .order_by(Round.position)
    ):
        lines[proposal_id].append(RoundLine(name, score, rank, advanced))
    return lines


def _evaluations(session: Session, grant_ids: list[int]) -> dict[int, list[EvaluationLine]]:
    """One query: per grant the latest evaluation of each kind (the latest decides), mid-term first."""
    if not grant_ids:
        return {}
    latest: dict[tuple[int, str], EvaluationLine] = {}
    for grant_id, kind, total, pass_mark, passed, at in session.execute(
        select(
            GrantEvaluation.grant_id,
            GrantEvaluation.kind,
            GrantEvaluation.total_points,
            GrantEvaluation.pass_mark,
            GrantEvaluation.passed,
            GrantEvaluation.evaluated_at,
        )
        .where(GrantEvaluation.grant_id.in_(grant_ids))
        .order_by(GrantEvaluation.evaluated_at, GrantEvaluation.id)
    ):
        latest[(grant_id, kind)] = EvaluationLine(kind, total, pass_mark, passed, at)
    by_grant: dict[int, list[EvaluationLine]] = defaultdict(list)
    for (grant_id, _kind), line in sorted(latest.items(), key=lambda item: (item[0][0], item[0][1] != "midterm")):
        by_grant[grant_id].append(line)
    return by_grant


def applications(session: Session, group_id: int, origin_grant_id: int | None, user) -> list[ApplicationLine]:
    """The group's proposals, awards and grants as this user may see them (at most five queries)."""
    rows = _application_rows(session, group_id, origin_grant_id)
    granted = [r for r in rows if r[9] is not None]
    # Round results are shown once there is a grant: the results were final and published by then.
    rounds = _round_lines(session, [r[0] for r in granted])
    evaluations = _evaluations(session, [r[9] for r in granted])
    may_view_grant = {
        r[9]: funding_policy.may_view(user, district_id=r[8], community_id=r[5], applicant_id=r[3]) for r in granted
    }
    viewable = [grant_id for grant_id, may in may_view_grant.items() if may]
    figures = balances.of_grants(session, viewable) if viewable else {}
    origin_proposal = next((r[0] for r in rows if origin_grant_id is not None and r[9] == origin_grant_id), None)
    lines = []
    for r in rows:
        grant = None
        if r[9] is not None:
            grant = GrantLine(
                id=r[9],
                tier=r[10],
                approved_fen=r[11],
                status=r[12],
                may_view=may_view_grant[r[9]],
                figures=figures[r[9]] if may_view_grant[r[9]] else None,
                evaluations=evaluations.get(r[9], []),
            )
        lines.append(
            ApplicationLine(
                proposal_id=r[0],
                title=r[1],
                edition=r[7],
                status=r[2],
                is_origin=r[0] == origin_proposal,
                may_view=proposal_policy.may_view(
                    user, applicant_id=r[3], version=r[4], district_id=r[8], community_id=r[5], street_id=r[6]
                ),
                rounds=rounds.get(r[0], []),
                grant=grant,
            )
        )
    return lines


def group_history(session: Session, group: Group, user) -> GroupHistory:
    """The history section of the group's page."""
    return GroupHistory(
        applications=applications(session, group.id, group.origin_grant_id, user),
        years=yearly_figures(session, group.id),
    )


@dataclass(frozen=True)
class GroupRecord:
    """What judges and the organizer see of the group next to a new proposal made in its name."""

    group_id: int
    name: str
    community: str
    kind: str
    status: str
    founded_on: date | None
    may_view_group: bool
    totals: Totals
    years: list[YearLine]
    past: list[ApplicationLine]  # earlier proposals that won a grant, with the grant's outcome


def group_record(session: Session, group_id: int, *, proposal_id: int, user) -> GroupRecord | None:
    """The group's record beside proposal ``proposal_id`` (which is left out of its past grants)."""
    group = session.get(Group, group_id)  # one query: its community and street come joined
    if group is None:
        return None
    years = yearly_figures(session, group_id)
    past = [
        line
        for line in applications(session, group_id, group.origin_grant_id, user)
        if line.grant is not None and line.proposal_id != proposal_id
    ]
    return GroupRecord(
        group_id=group.id,
        name=group.name,
        community=group.community.full_name,
        kind=group.kind,
        status=group.status,
        founded_on=group.founded_on,
        may_view_group=group_policy.can_view(user, group),
        totals=_sum(years),
        years=years,
        past=past,
    )
