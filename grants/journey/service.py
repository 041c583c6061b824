"""A project's journey (项目全程): from the proposal through the review rounds, the public notices,
the award, the grant and its tranches, the money spent per budget line, the reports and
evaluations, to the group it became, that group's activities and stars, and the proposals the
group made in later editions — as one vertical timeline of steps.

``journey_for`` decides the version first (grants/journey/policy.py) and then reads only what that
version shows: the public version never runs the queries of private parts (the applicant and the
team, the rounds' stored results, the expenses per budget line that were not accepted, the reports
not evaluated, the objections' texts), so nothing private can leak into its page.
A fixed number of queries for any project, whatever the number of its activities.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from grants.editions.models import RoundKind
from grants.editions.states import RoundStatus
from grants.funding import balances, plan
from grants.funding.states import disbursement_status_label
from grants.incubation import history
from grants.incubation import policy as group_policy
from grants.incubation.ratings import queries as ratings
from grants.journey import queries
from grants.journey.policy import Audience, Facts, audience
from grants.journey.timeline import (
    GroupPart,
    Journey,
    LaterPart,
    MoneyPart,
    NoticePart,
    ProposalPart,
    ReportPart,
    RoundPart,
    Step,
    StepKind,
    TranchePart,
    in_time_order,
    local_day,
)
from grants.judging.models import Outcome

# --- the parts ----------------------------------------------------------------------------------


def _round_part(row: queries.RoundRow, *, organizer: bool, last_scoring: bool) -> RoundPart | None:
    """A round as the organizer's or the applicant's version tells it; None when there is nothing to say."""
    closed = row.status == RoundStatus.CLOSED.value
    if row.kind == RoundKind.ELIGIBILITY.value:
        if row.outcome is None or not (organizer or closed):
            return None
        passed = row.outcome == Outcome.PASS.value
        return RoundPart(row.name, row.kind, "passed" if passed else "failed", reason=row.reason)
    if row.rank is None:
        return None
    if organizer:
        outcome = "advanced" if row.advanced else "not_advanced"
        return RoundPart(row.name, row.kind, outcome, score=row.score, rank=row.rank, judges=row.judges)
    # The applicant learns whether they advanced (grants/notifications); the last round's outcome
    # is told by the notice, and neither a score nor a rank is shown unless a notice published it.
    if last_scoring:
        return RoundPart(row.name, row.kind, "ended")
    return RoundPart(row.name, row.kind, "advanced" if row.advanced else "not_advanced")


def _review_steps(session: Session, core: queries.Core, listed: list[queries.Listing], version: Audience, objections):
    """The rounds (private versions), each followed by its public notices."""
    notices = [NoticePart(n, [o for o in objections if o.publication_number == n.number]) for n in listed]
    if version == Audience.PUBLIC:
        return [Step(StepKind.NOTICE, local_day(n.listing.opens_at), n) for n in notices]
    rows = queries.rounds(session, core.edition_id, core.proposal_id)
    scoring = [r.position for r in rows if r.kind == RoundKind.SCORING.value]
    steps, placed = [], set()
    for row in rows:
        part = _round_part(
            row, organizer=version == Audience.ORGANIZER, last_scoring=bool(scoring) and row.position == scoring[-1]
        )
        if part is not None:
            steps.append(Step(StepKind.ROUND, local_day(row.decided_at or row.computed_at), part))
        for notice in notices:
            if notice.listing.round_position == row.position:
                steps.append(Step(StepKind.NOTICE, local_day(notice.listing.opens_at), notice))
                placed.add(notice.listing.entry_id)
    steps += [
        Step(StepKind.NOTICE, local_day(n.listing.opens_at), n) for n in notices if n.listing.entry_id not in placed
    ]
    return steps


def _proposal_part(
    session: Session, core: queries.Core, listed: list[queries.Listing], version: Audience
) -> ProposalPart:
    if version == Audience.PUBLIC:
        newest = listed[-1]
        return ProposalPart(
            applicant=newest.applicant,
            team_size=newest.team_size,
            summary=newest.summary,
            submission_opens_at=core.submission_opens_at,
            submission_closes_at=core.submission_closes_at,
        )
    people = queries.people(session, core.proposal_id)
    return ProposalPart(
        applicant=people.applicant.name,
        team_size=1 + len(people.team),
        summary=core.summary,
        submission_opens_at=core.submission_opens_at,
        submission_closes_at=core.submission_closes_at,
        applicant_mobile=people.applicant.mobile,
        team=people.team,
        requested_fen=core.requested_fen,
        status=core.status,
        version=core.version,
        submitted_at=core.submitted_at,
        withdrawn_at=core.withdrawn_at,
    )


def _grant_steps(session: Session, grant_id: int, public: bool) -> list[Step]:
    grant = queries.grant(session, grant_id)
    steps = [Step(StepKind.AWARD, local_day(grant.created_at), grant)]
    if grant.signed_on is not None:
        steps.append(Step(StepKind.SIGNING, grant.signed_on, grant))
    conditions = plan.condition_labels()
    for row in queries.tranches(session, grant_id):
        live = None if public or row.live_status is None else disbursement_status_label(row.live_status)
        part = TranchePart(row, conditions.get(row.condition, row.condition), live)
        steps.append(Step(StepKind.TRANCHE, row.paid_on, part, done=row.paid_on is not None))
    figures: balances.GrantFigures = queries.money(session, grant_id)
    lines = queries.budget_lines(session, grant_id, public=public)
    if lines or figures.paid_fen:
        money = MoneyPart(
            approved_fen=grant.approved_fen,
            paid_fen=figures.paid_fen,
            refunded_fen=figures.refunded_fen,
            accepted_fen=figures.accepted_expenses_fen,
            pending_fen=None if public else figures.pending_expenses_fen,
            lines=lines,
        )
        spent_days = [line.last_spent_on for line in lines if line.last_spent_on is not None]
        steps.append(Step(StepKind.MONEY, max(spent_days, default=None), money))
    for row in queries.reports(session, grant_id, public=public):
        if public:
            part = ReportPart(row.kind, row.passed, row.evaluated_at)
        else:
            part = ReportPart(
                row.kind,
                row.passed,
                row.evaluated_at,
                status=row.status,
                submitted_at=row.submitted_at,
                beneficiaries=row.beneficiaries,
                activities_count=row.activities_count,
                total_points=row.total_points,
                pass_mark=row.pass_mark,
            )
        steps.append(Step(StepKind.REPORT, local_day(row.evaluated_at if public else row.submitted_at), part))
    return steps


def _group_part(session: Session, core: queries.Core, user) -> GroupPart | None:
    group = queries.group(session, core.group_id)
    if group is None:
        return None
    rated = ratings.final_ratings(session, [group.id])[group.id]
    return GroupPart(
        id=group.id,
        name=group.name,
        kind=group.kind,
        status=group.status,
        community=group.community.full_name,
        founded_on=group.founded_on,
        grown=core.grown_group_id == group.id,
        has_public_page=bool(rated),
        may_open=group_policy.can_view(user, group),
        years=history.yearly_figures(session, group.id),
        latest=queries.latest_activities(session, group.id),
        ratings=rated,
    )


def _group_steps(session: Session, core: queries.Core, group: GroupPart, user) -> list[Step]:
    steps = []
    if group.grown:
        steps.append(Step(StepKind.GROUP, group.founded_on, group))
    if group.years:
        newest = group.latest[0].starts_at if group.latest else None
        steps.append(Step(StepKind.ACTIVITIES, local_day(newest), group))
    steps += [Step(StepKind.STARS, rating.final_on, rating) for rating in reversed(group.ratings)]
    for row in queries.later_proposals(
        session, group.id, district_id=core.district_id, after_number=core.edition_number, proposal_id=core.proposal_id
    ):
        facts = Facts(row.applicant_id, row.version, row.district_id, row.community_id)
        seen_as = audience(user, facts, listed=row.public_title is not None)
        if seen_as is None:
            continue  # its journey is not open to this viewer: not named either
        public = seen_as == Audience.PUBLIC
        part = LaterPart(
            proposal_id=row.proposal_id,
            title=row.public_title if public else row.title,
            edition_name=row.edition_name,
            tier=row.tier,  # a grant exists only once its notice is final, hence public
            approved_fen=row.approved_fen,
            status=None if public else row.status,
        )
        steps.append(Step(StepKind.LATER, None if public else local_day(row.submitted_at), part))
    return steps


# --- the journey --------------------------------------------------------------------------------


def journey_for(session: Session, proposal_id: int, user) -> Journey | None:
    """The journey of the proposal in the version this user may see; None when they may see none."""
    core = queries.core(session, proposal_id)
    if core is None:
        return None
    listed = queries.listings(session, proposal_id)
    version = audience(
        user, Facts(core.applicant_id, core.version, core.district_id, core.community_id), listed=bool(listed)
    )
    if version is None:
        return None
    public = version == Audience.PUBLIC
    objections = queries.objections(session, proposal_id, public=version != Audience.ORGANIZER)
    steps = [
        Step(
            StepKind.PROPOSAL,
            None if public else local_day(core.submitted_at),
            _proposal_part(session, core, listed, version),
        )
    ]
    steps += _review_steps(session, core, listed, version, objections)
    if core.grant_id is not None:
        steps += _grant_steps(session, core.grant_id, public)
    group = _group_part(session, core, user) if core.group_id is not None else None
    if group is not None:
        steps += _group_steps(session, core, group, user)
    newest = listed[-1] if listed else None
    return Journey(
        audience=version,
        proposal_id=core.proposal_id,
        title=newest.project_title if public else core.title,
        edition_id=core.edition_id,
        edition_name=core.edition_name,
        street=newest.street if public else core.street,
        community=newest.community if public else core.community,
        category=newest.category if public else core.category,
        steps=in_time_order(steps),
        entry_id=newest.entry_id if newest else None,
        grant_id=None if public else core.grant_id,
        group=group,
    )
