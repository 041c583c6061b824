"""What the home page shows to whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants.auth import policy
from grants.editions.models import Edition, Round, RoundKind
from grants.editions.states import RESULTS_OUT, EditionStatus, RoundStatus
from grants.judging.models import Assignment
from grants.judging.states import SheetStatus
from grants.proposals import queries
from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus
from grants.results.models import Objection, Publication, PublicationEntry
from grants.results.states import ObjectionStatus, PublicationStatus
from grants.text import inner_quotes
from grants.timeutil import now


@dataclass
class HomeSummary:
    open_editions: list[Edition] = field(default_factory=list)
    managed_editions: list[Edition] = field(default_factory=list)
    judged_editions: list[Edition] = field(default_factory=list)
    # Of the judged editions: those in review (their sheets) and those whose results are out.
    judging_now: set[int] = field(default_factory=set)
    results_out: set[int] = field(default_factory=set)
    reviewed_editions: list[Edition] = field(default_factory=list)
    eligibility_rounds: dict[int, list[Round]] = field(default_factory=dict)
    # Street staff screen the proposals of their street's communities, community staff their own.
    reviews_a_street: bool = False
    # (group id, name) of the groups the user leads that log activities: a way to 记录活动.
    led_groups: list[tuple[int, str]] = field(default_factory=list)


def home_summary(session: Session, user) -> HomeSummary:
    summary = HomeSummary()
    summary.open_editions = list(
        session.scalars(
            select(Edition).where(Edition.status == EditionStatus.OPEN.value).order_by(Edition.number.desc())
        )
    )
    if district_ids := policy.organizer_district_ids(user):
        summary.managed_editions = list(
            session.scalars(
                select(Edition).where(Edition.district_id.in_(district_ids)).order_by(Edition.number.desc())
            )
        )
    if edition_ids := policy.judge_edition_ids(user):
        summary.judged_editions = list(
            session.scalars(select(Edition).where(Edition.id.in_(edition_ids)).order_by(Edition.number.desc()))
        )
        summary.judging_now = {e.id for e in summary.judged_editions if e.status == EditionStatus.REVIEWING.value}
        summary.results_out = {e.id for e in summary.judged_editions if e.status in RESULTS_OUT}
    if district_ids := policy.staff_district_ids(user):
        summary.reviewed_editions = list(
            session.scalars(
                select(Edition)
                .where(Edition.district_id.in_(district_ids), Edition.status != EditionStatus.DRAFT.value)
                .order_by(Edition.number.desc())
            )
        )
    if summary.reviewed_editions:
        summary.reviews_a_street = bool(policy.staff_street_ids(user))
        rounds = session.scalars(
            select(Round).where(
                Round.edition_id.in_([e.id for e in summary.reviewed_editions]),
                Round.kind == RoundKind.ELIGIBILITY.value,
            )
        )
        for rnd in rounds:
            summary.eligibility_rounds.setdefault(rnd.edition_id, []).append(rnd)
    if getattr(user, "is_authenticated", False):
        from grants.incubation import activity_queries  # incubation sits above main's other domains

        summary.led_groups = activity_queries.groups_logging_for(session, user.id)
    return summary


@dataclass
class Task:
    """Something waiting for the signed-in user, with where to do it."""

    text: str
    endpoint: str
    args: dict = field(default_factory=dict)
    deadline: datetime | None = None


def waiting_for(session: Session, user) -> list[Task]:
    """What waits for this user: a proposal to complete or correct, an objection window on their
    project, sheets to score, screening decisions and objections to answer, activities and star
    ratings, disbursements, reports, budget changes and expenses. A fixed number of queries (one
    per kind, plus one per open screening round the user reviews)."""
    if not getattr(user, "is_authenticated", False):
        return []
    tasks: list[Task] = []
    at = now()
    own = session.execute(
        select(Proposal.id, Proposal.title, Proposal.status, Proposal.resubmit_deadline, Edition.submission_closes_at)
        .join(Edition, Edition.id == Proposal.edition_id)
        .where(
            Proposal.applicant_id == user.id,
            Proposal.status.in_((ProposalStatus.RETURNED.value, ProposalStatus.DRAFT.value)),
            Edition.status == EditionStatus.OPEN.value,
        )
        .order_by(Proposal.id)
    ).all()
    for proposal_id, title, status, resubmit_by, closes_at in own:
        if status == ProposalStatus.RETURNED:
            text = _("“%(title)s”被退回补正，请修改后重新提交。", title=inner_quotes(title or _("（未命名项目）")))
            tasks.append(Task(text, "proposals.edit", {"proposal_id": proposal_id}, resubmit_by))
        elif closes_at is None or closes_at > at:
            text = _("“%(title)s”还是草稿，提交后才进入评审。", title=inner_quotes(title or _("（未命名项目）")))
            tasks.append(Task(text, "proposals.edit", {"proposal_id": proposal_id}, closes_at))
    listed = session.execute(
        select(PublicationEntry.id, PublicationEntry.title, Publication.closes_at)
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .join(Proposal, Proposal.id == PublicationEntry.proposal_id)
        .where(
            Proposal.applicant_id == user.id,
            Publication.status == PublicationStatus.PUBLISHED.value,
            Publication.closes_at > at,
        )
    ).all()
    for entry_id, title, closes_at in listed:
        text = _("您的项目“%(title)s”正在公示，异议期内可以查看异议和答复。", title=inner_quotes(title))
        tasks.append(Task(text, "public.project", {"entry_id": entry_id}, closes_at))
    if policy.judge_edition_ids(user):
        unsubmitted = session.scalar(
            select(func.count(Assignment.id))
            .join(Round, Round.id == Assignment.round_id)
            .where(
                Assignment.judge_id == user.id,
                Assignment.status != SheetStatus.SUBMITTED.value,
                Round.status == RoundStatus.OPEN.value,
            )
        )
        if unsubmitted:
            tasks.append(Task(_("还有%(n)d张评分表等待您评分。", n=unsubmitted), "judging.queue"))
    tasks += _decisions(session, user)
    tasks += _activity_tasks(session, user)
    if finance := policy.finance_district_ids(user):
        from grants.funding import waiting  # funding sits above main's other domains

        to_approve, to_pay = waiting.disbursements_waiting(session, finance, user_id=user.id)
        if to_approve:
            tasks.append(Task(_("%(n)d笔拨款等待您审批。", n=to_approve), "funding.queue"))
        if to_pay:
            tasks.append(Task(_("%(n)d笔已审批的拨款等待登记拨付。", n=to_pay), "funding.queue"))
    tasks += _star_rating(session, user)
    tasks += _funding_tasks(session, user)
    return tasks


FUNDING_TASKS_SHOWN = 10  # of the organizer's: the rest are counted in one line


def _funding_tasks(session: Session, user) -> list[Task]:
    """Tranches to request, reports to evaluate and budget changes to decide (the organizer),
    expenses to review (the community's staff), a returned report to resubmit (the team's lead):
    one query each (four for the tranches)."""
    from grants.funding import overview, reports, waiting  # funding sits above main's other domains

    districts = policy.organizer_district_ids(user)
    tasks = [
        Task(
            _("“%(title)s”：%(tranche)s可以申请拨付。", title=inner_quotes(row.title), tranche=row.next_tranche),
            "funding.grant",
            {"grant_id": row.grant_id, "_anchor": "tranches-heading"},
        )
        for row in overview.ready_to_request(session, districts)
    ]
    tasks += [
        Task(
            _(
                "“%(title)s”：%(report)s等待评估。",
                title=inner_quotes(w.title),
                report=reports.kind_label(w.report_kind),
            ),
            "funding.report",
            {"report_id": w.report_id},
        )
        for w in waiting.reports_to_evaluate(session, districts)
    ]
    tasks += [
        Task(
            _("“%(title)s”：预算调整申请等待审批。", title=inner_quotes(w.title)),
            "funding.grant",
            {"grant_id": w.grant_id, "_anchor": "budget-heading"},
        )
        for w in waiting.budget_changes_to_decide(session, districts)
    ]
    if len(tasks) > FUNDING_TASKS_SHOWN:  # the rest are found on the district's lists of grants
        more = len(tasks) - FUNDING_TASKS_SHOWN + 1
        tasks = tasks[: FUNDING_TASKS_SHOWN - 1]
        tasks.append(Task(_("还有%(n)d项资助项目事务等待处理。", n=more), "funding.editions"))
    tasks += [
        Task(
            _("“%(title)s”：%(n)d笔支出等待审核。", title=inner_quotes(w.title), n=w.count),
            "funding.grant",
            {"grant_id": w.grant_id, "_anchor": "expenses-heading"},
        )
        for w in waiting.expenses_to_review(session, policy.staff_community_ids(user))
    ]
    tasks += [
        Task(
            _(
                "“%(title)s”的%(report)s被退回，请修改后重新提交。",
                title=inner_quotes(w.title),
                report=reports.kind_label(w.report_kind),
            ),
            "funding.new_report",
            {"grant_id": w.grant_id, "kind": w.report_kind},
        )
        for w in waiting.returned_reports(session, user.id)
    ]
    return tasks


def _star_rating(session: Session, user) -> list[Task]:
    """Star rating: groups waiting for the street's score, and for an assessor's sheets."""
    from grants.incubation.ratings import queries as rating_queries  # incubation sits above main

    tasks = []
    for campaign_id, title, n in rating_queries.street_sheets_waiting(session, user):
        text = _("%(campaign)s：%(n)d个组织等待街道初评评分。", campaign=title, n=n)
        tasks.append(Task(text, "ratings.campaign", {"campaign_id": campaign_id}))
    for campaign_id, title, n in rating_queries.assessor_campaigns_waiting(session, user):
        text = _("%(campaign)s：%(n)d个组织等待您的区级审评评分。", campaign=title, n=n)
        tasks.append(Task(text, "ratings.campaign", {"campaign_id": campaign_id}))
    return tasks


def _activity_tasks(session: Session, user) -> list[Task]:
    """活动待核实 for community staff; a returned activity to correct for a group's leader (one
    query each)."""
    from grants.incubation import activity_queries  # incubation sits above main's other domains

    tasks = [
        Task(
            _("%(title)s：活动记录被退回，请修改后重新提交。", title=title),
            "incubation.edit_activity",
            {"activity_id": activity_id},
        )
        for activity_id, title in activity_queries.returned_to_leader(session, user.id)
    ]
    if ids := policy.staff_community_ids(user):
        tasks += [
            Task(
                _("%(community)s有%(n)d条组织活动待核实。", community=name, n=n),
                "incubation.community_activities",
                {"community_id": community_id, "status": "pending"},
            )
            for community_id, name, n in activity_queries.waiting_by_community(session, ids)
        ]
    return tasks


def _decisions(session: Session, user) -> list[Task]:
    """Screening decisions in open eligibility rounds (only the proposals this user reviews) and,
    for the organizer, objections waiting for an answer."""
    district_ids = policy.staff_district_ids(user) | policy.organizer_district_ids(user)
    if not district_ids:
        return []
    tasks: list[Task] = []
    rounds = session.scalars(
        select(Round)
        .join(Edition, Edition.id == Round.edition_id)
        .where(
            Edition.district_id.in_(district_ids),
            Round.kind == RoundKind.ELIGIBILITY.value,
            Round.status == RoundStatus.OPEN.value,
        )
        .order_by(Round.id)
    ).all()
    for rnd in rounds:
        n = queries.count_in_scope(session, user, rnd.edition, (ProposalStatus.SUBMITTED.value,))
        if n:
            text = _("%(edition)s：%(n)d份申报书等待资格审查决定。", edition=rnd.edition.name, n=n)
            tasks.append(Task(text, "judging.eligibility_list", {"round_id": rnd.id}))
    if organizer_of := policy.organizer_district_ids(user):
        rows = session.execute(
            select(Edition.id, Edition.name, func.count(Objection.id))
            .join(Publication, Publication.edition_id == Edition.id)
            .join(Objection, Objection.publication_id == Publication.id)
            .where(Edition.district_id.in_(organizer_of), Objection.status == ObjectionStatus.OPEN.value)
            .group_by(Edition.id, Edition.name)
            .order_by(Edition.id)
        ).all()
        for edition_id, name, n in rows:
            text = _("%(edition)s：%(n)d条异议等待答复。", edition=name, n=n)
            tasks.append(Task(text, "results.objections_page", {"edition_id": edition_id}))
    return tasks
