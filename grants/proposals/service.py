"""Proposals: start a draft, save it, submit before the deadline, return for correction,
resubmit once, withdraw. Every rule is here; every state change goes through proposal_machine."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from grants import audit
from grants.auth.models import User
from grants.editions.models import Edition, EditionCategory, Round
from grants.editions.states import EditionStatus, RoundStatus, edition_machine
from grants.errors import Conflict, DomainError, NotAllowed
from grants.money import format_fen
from grants.notifications import events as notification_events
from grants.org.models import Community, Street
from grants.proposals import budget, policy
from grants.proposals import groups as proposal_groups
from grants.proposals.models import (
    ActivityPlanItem,
    BudgetCategory,
    BudgetLine,
    Proposal,
    ProposalVersion,
    TeamMember,
)
from grants.proposals.states import ProposalStatus, proposal_machine
from grants.timeutil import format_deadline, now

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
SUMMARY_MAX = 500
TEXT_MAX = 5000
MAX_ROWS = 30
DEFAULT_RESUBMIT_DAYS = 7


# --- budget categories (edition data) ----------------------------------------------


def default_budget_categories() -> list[BudgetCategory]:
    """Defaults taken from real competitions: labour at most 30 %, no item over ¥2,000."""
    unit_cap = 200_000
    names = [
        (_("活动物资"), None),
        (_("宣传"), None),
        (_("场地"), None),
        (_("交通"), None),
        (_("培训/专家费"), None),
        (_("人员补贴/劳务"), 30),
        (_("其他"), None),
    ]
    return [
        BudgetCategory(name=name, position=i, max_share_percent=share, max_unit_price_fen=unit_cap)
        for i, (name, share) in enumerate(names, start=1)
    ]


def budget_categories(session: Session, edition_id: int) -> list[BudgetCategory]:
    return list(
        session.scalars(
            select(BudgetCategory).where(BudgetCategory.edition_id == edition_id).order_by(BudgetCategory.position)
        )
    )


def ensure_budget_categories(session: Session, edition: Edition) -> list[BudgetCategory]:
    """The edition's budget categories, creating the defaults the first time they are needed."""
    categories = budget_categories(session, edition.id)
    if not categories:
        categories = default_budget_categories()
        for category in categories:
            category.edition_id = edition.id
        session.add_all(categories)
        session.flush()
    return categories


# --- loading ------------------------------------------------------------------------


def get_proposal(session: Session, proposal_id: int) -> Proposal | None:
    """A proposal with everything its pages show (the model's loader options), fresh from the database."""
    return (
        session.scalars(select(Proposal).where(Proposal.id == proposal_id).execution_options(populate_existing=True))
        .unique()
        .one_or_none()
    )


# --- input ----------------------------------------------------------------------------


@dataclass
class TeamMemberData:
    name: str = ""
    mobile: str = ""
    role: str = ""
    community_name: str = ""

    def is_blank(self) -> bool:
        return not any(v.strip() for v in (self.name, self.mobile, self.role, self.community_name))


@dataclass
class ActivityData:
    when: str = ""
    activity: str = ""
    place: str = ""
    expected_participants: int | None = None

    def is_blank(self) -> bool:
        return not any(v.strip() for v in (self.when, self.activity, self.place)) and (
            self.expected_participants is None
        )


@dataclass
class ProposalData:
    title: str = ""
    category_id: int | None = None
    community_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    summary: str = ""
    need_analysis: str = ""
    overall_objective: str = ""
    specific_objectives: str = ""
    beneficiaries: str = ""
    direct_beneficiaries: int | None = None
    indirect_beneficiaries: int | None = None
    risks: str = ""
    sustainability: str = ""
    prior_experience: str = ""
    self_funds_fen: int = 0
    commitment: bool = False
    applicant_mobile: str = ""
    group_id: int | None = None  # the resident group applying through its leader
    team: list[TeamMemberData] = field(default_factory=list)
    activities: list[ActivityData] = field(default_factory=list)
    budget_lines: list[budget.Line] = field(default_factory=list)


TEXT_FIELDS = (
    "need_analysis",
    "overall_objective",
    "specific_objectives",
    "beneficiaries",
    "risks",
    "sustainability",
    "prior_experience",
)
SCALAR_FIELDS = (
    "title",
    "category_id",
    "community_id",
    "period_start",
    "period_end",
    "summary",
    *TEXT_FIELDS,
    "direct_beneficiaries",
    "indirect_beneficiaries",
    "self_funds_fen",
    "commitment",
)


class BudgetRuleError(DomainError):
    """One or more budget rules broken; ``messages`` lists each, naming the line and the rule."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0], field="budget_lines")
        self.messages = messages


def budget_problem_message(problem: budget.BudgetProblem) -> str:
    P = budget.Problem
    n = problem.line
    if problem.problem == P.NO_CATEGORY:
        return _("预算第%(n)d行：请选择支出类别。", n=n)
    if problem.problem == P.UNKNOWN_CATEGORY:
        return _("预算第%(n)d行：支出类别不属于本届大赛。", n=n)
    if problem.problem == P.NO_ITEM:
        return _("预算第%(n)d行：请填写支出项目。", n=n)
    if problem.problem == P.BAD_UNIT_PRICE:
        return _("预算第%(n)d行：单价必须大于0。", n=n)
    if problem.problem == P.BAD_QUANTITY:
        return _("预算第%(n)d行：数量必须是1到%(max)d之间的整数。", n=n, max=problem.limit)
    if problem.problem == P.UNIT_PRICE_OVER_LIMIT:
        return _(
            "预算第%(n)d行：“%(category)s”类单价不能超过%(limit)s（现为%(actual)s），不得购置固定资产。",
            n=n,
            category=problem.category,
            limit=format_fen(problem.limit),
            actual=format_fen(problem.actual),
        )
    if problem.problem == P.SHARE_OVER_LIMIT:
        return _(
            "预算第%(n)d行：“%(category)s”类支出不能超过申请金额的%(limit)d%%（现为约%(actual)d%%）。",
            n=n,
            category=problem.category,
            limit=problem.limit,
            actual=problem.actual,
        )
    if problem.problem == P.OVER_CAP:
        return _(
            "预算合计%(actual)s，超过了本届单个项目资助上限%(limit)s。",
            actual=format_fen(problem.actual),
            limit=format_fen(problem.limit),
        )
    return _("预算最多%(max)d行。", max=problem.limit)


def _check_lengths(data: ProposalData) -> None:
    if len(data.title.strip()) > 100:
        raise DomainError(_("项目名称不能超过100个字符。"), field="title")
    if len(data.summary.strip()) > SUMMARY_MAX:
        raise DomainError(
            _("项目简介不能超过%(n)d个字符（现为%(actual)d个）。", n=SUMMARY_MAX, actual=len(data.summary.strip())),
            field="summary",
        )
    for name in TEXT_FIELDS:
        if len(getattr(data, name)) > TEXT_MAX:
            raise DomainError(_("每一栏不能超过%(n)d个字符。", n=TEXT_MAX), field=name)
    for name in ("direct_beneficiaries", "indirect_beneficiaries"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 10_000_000:
            raise DomainError(_("受益人数必须是0或正整数。"), field=name)
    if data.self_funds_fen < 0:
        raise DomainError(_("自筹/配套资金不能为负数。"), field="self_funds_fen")
    if data.applicant_mobile.strip() and not MOBILE_RE.match(data.applicant_mobile.strip()):
        raise DomainError(_("申报人手机号应为11位手机号码，例如13812345678。"), field="applicant_mobile")
    if data.period_start and data.period_end and data.period_end < data.period_start:
        raise DomainError(_("项目结束日期不能早于开始日期。"), field="period_end")


def _check_rows(data: ProposalData) -> tuple[list[TeamMemberData], list[ActivityData]]:
    team = [m for m in data.team if not m.is_blank()]
    activities = [a for a in data.activities if not a.is_blank()]
    if len(team) > MAX_ROWS or len(activities) > MAX_ROWS:
        raise DomainError(_("团队成员和活动安排各不能超过%(n)d行。", n=MAX_ROWS))
    for i, member in enumerate(team, start=1):
        if not member.name.strip():
            raise DomainError(_("团队成员第%(n)d行：请填写姓名。", n=i), field="team")
        if member.mobile.strip() and not MOBILE_RE.match(member.mobile.strip()):
            raise DomainError(_("团队成员第%(n)d行：手机号应为11位数字。", n=i), field="team")
        if max(len(member.name), len(member.role), len(member.community_name)) > 50:
            raise DomainError(_("团队成员第%(n)d行：内容太长。", n=i), field="team")
    for i, item in enumerate(activities, start=1):
        if item.expected_participants is not None and not 0 <= item.expected_participants <= 1_000_000:
            raise DomainError(_("活动安排第%(n)d行：预计参与人数必须是0或正整数。", n=i), field="activities")
        if len(item.when) > 40 or len(item.activity) > 200 or len(item.place) > 100:
            raise DomainError(_("活动安排第%(n)d行：内容太长。", n=i), field="activities")
    return team, activities


def _category_rules(categories: list[BudgetCategory]) -> dict[int, budget.CategoryRule]:
    return {c.id: budget.CategoryRule(c.id, c.name, c.max_share_percent, c.max_unit_price_fen) for c in categories}


def check_proposal_budget(session: Session, edition: Edition, lines: list[budget.Line]) -> None:
    """Raises: BudgetRuleError listing every broken rule."""
    rules = _category_rules(ensure_budget_categories(session, edition))
    problems = budget.check_budget(lines, rules, edition.cap_fen)
    if problems:
        raise BudgetRuleError([budget_problem_message(p) for p in problems])


# --- lifecycle ---------------------------------------------------------------------------


def submission_open(edition: Edition, at: datetime) -> bool:
    return (
        edition.status == EditionStatus.OPEN.value
        and edition.submission_opens_at is not None
        and edition.submission_closes_at is not None
        and edition.submission_opens_at <= at < edition.submission_closes_at
    )


def _lock_applicant(session: Session, applicant_id: int) -> None:
    """Serialise one applicant's starts and submissions (row lock; SQLite holds its write lock)."""
    session.execute(select(User.id).where(User.id == applicant_id).with_for_update())


def _other_active_proposals(session: Session, edition_id: int, applicant_id: int, exclude_id: int | None) -> int:
    query = (
        select(func.count())
        .select_from(Proposal)
        .where(
            Proposal.edition_id == edition_id,
            Proposal.applicant_id == applicant_id,
            Proposal.status != ProposalStatus.WITHDRAWN.value,
        )
    )
    if exclude_id is not None:
        query = query.where(Proposal.id != exclude_id)
    return session.scalar(query)


def start_proposal(session: Session, *, actor, edition: Edition, at: datetime | None = None) -> Proposal:
    """Create an empty draft for the actor in an edition open for submissions.

    Raises:
        DomainError: the edition is not accepting proposals.
        Conflict: the applicant already has a proposal in this edition (when one is the rule).
    """
    at = at or now()
    if not submission_open(edition, at):
        raise DomainError(_("这届大赛目前不在申报期内。"))
    _lock_applicant(session, actor.id)
    if edition.one_proposal_per_applicant and _other_active_proposals(session, edition.id, actor.id, None):
        raise Conflict(_("每位申报人在本届大赛只能申报一个项目，您已经有一个了。"))
    ensure_budget_categories(session, edition)
    proposal = Proposal(
        edition_id=edition.id, applicant_id=actor.id, community_id=actor.community_id, status=ProposalStatus.DRAFT.value
    )
    session.add(proposal)
    session.flush()
    audit.record(session, actor=actor, action="proposal.create", obj=proposal, district_id=edition.district_id)
    return proposal


def save_draft(session: Session, *, actor, proposal: Proposal, data: ProposalData) -> Proposal:
    """Store everything the applicant typed; incomplete is fine, broken rules are not.

    Raises:
        NotAllowed: not the applicant, or the proposal is locked (submitted, withdrawn).
        DomainError / BudgetRuleError: a value breaks a rule (the message names it).
    """
    if not policy.can_edit(actor, proposal):
        raise NotAllowed(
            _("提交后的申报书不能再修改。") if actor.id == proposal.applicant_id else _("您没有权限修改这份申报书。")
        )
    edition = proposal.edition
    _check_lengths(data)
    team, activities = _check_rows(data)
    if (
        data.category_id is not None
        and session.scalar(
            select(EditionCategory.id).where(
                EditionCategory.id == data.category_id, EditionCategory.edition_id == edition.id
            )
        )
        is None
    ):
        raise DomainError(_("请选择本届大赛的服务领域。"), field="category_id")
    if (
        data.community_id is not None
        and session.scalar(
            select(Community.id)
            .join(Street)
            .where(Community.id == data.community_id, Street.district_id == edition.district_id)
        )
        is None
    ):
        raise DomainError(_("请选择本区的社区。"), field="community_id")
    if data.group_id is not None and data.group_id not in {
        group_id
        for group_id, _name in proposal_groups.eligible_groups(
            session, user_id=actor.id, district_id=edition.district_id
        )
    }:
        # The same refusal for another's group and a group that does not exist (no IDOR oracle).
        raise DomainError(_("只能以您负责的、未注销的本区组织的名义申报。"), field="group_id")
    lines = [line for line in data.budget_lines if line.item.strip() or line.unit_price_fen or line.quantity]
    lines = [
        budget.Line(i, line.category_id, line.item.strip(), line.unit_price_fen, line.quantity)
        for i, line in enumerate(lines, start=1)
    ]
    check_proposal_budget(session, edition, lines)

    for name in SCALAR_FIELDS:
        value = getattr(data, name)
        setattr(proposal, name, value.strip() if isinstance(value, str) else value)
    proposal.applicant_mobile = data.applicant_mobile.strip() or None
    proposal.group_id = data.group_id
    proposal.team = [
        TeamMember(
            position=i,
            name=m.name.strip(),
            mobile=m.mobile.strip(),
            role=m.role.strip(),
            community_name=m.community_name.strip(),
        )
        for i, m in enumerate(team, start=1)
    ]
    proposal.activities = [
        ActivityPlanItem(
            position=i,
            when=a.when.strip(),
            activity=a.activity.strip(),
            place=a.place.strip(),
            expected_participants=a.expected_participants,
        )
        for i, a in enumerate(activities, start=1)
    ]
    proposal.budget_lines = [
        BudgetLine(
            position=line.position,
            category_id=line.category_id,
            item=line.item,
            unit_price_fen=line.unit_price_fen,
            quantity=line.quantity,
            amount_fen=line.amount_fen,
        )
        for line in lines
    ]
    proposal.requested_fen = budget.total_fen(lines)
    session.flush()
    return proposal


def field_labels() -> dict[str, str]:
    """Readable names of a proposal's fields, also used for the version history."""
    return {
        "title": _("项目名称"),
        "category_id": _("服务领域"),
        "community_id": _("实施社区"),
        "period_start": _("项目开始日期"),
        "period_end": _("项目结束日期"),
        "summary": _("项目简介"),
        "need_analysis": _("需求分析"),
        "overall_objective": _("总目标"),
        "specific_objectives": _("分目标"),
        "beneficiaries": _("受益对象"),
        "direct_beneficiaries": _("直接受益人数"),
        "indirect_beneficiaries": _("间接受益人数"),
        "risks": _("风险预计与防控"),
        "sustainability": _("可持续发展计划"),
        "prior_experience": _("以往开展过的类似项目"),
        "self_funds_fen": _("自筹/配套资金（分）"),
        "requested_fen": _("申请金额（分）"),
        "commitment": _("承诺"),
        "category": _("服务领域"),
        "community": _("实施社区"),
        "team": _("团队成员"),
        "activities": _("活动安排"),
        "budget_lines": _("预算"),
        "attachments": _("附件"),
    }


REQUIRED_FOR_SUBMISSION = (
    "title",
    "category_id",
    "community_id",
    "period_start",
    "period_end",
    "summary",
    "need_analysis",
    "overall_objective",
    "specific_objectives",
    "beneficiaries",
    "direct_beneficiaries",
    "risks",
    "sustainability",
)


def contact_mobile(proposal: Proposal) -> str:
    """The applicant's mobile for this proposal: the one given on it, else the account's."""
    return proposal.applicant_mobile or proposal.applicant.mobile or ""


def missing_for_submission(proposal: Proposal) -> list[str]:
    """What still has to be filled in before the proposal can be submitted, in form order."""
    missing: list[str] = []
    names = field_labels()
    for name in REQUIRED_FOR_SUBMISSION:
        label = names[name]
        value = getattr(proposal, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(_("请填写“%(field)s”。", field=label))
    if not contact_mobile(proposal):
        missing.append(_("请填写“%(field)s”。", field=_("申报人手机号")))
    if not proposal.activities:
        missing.append(_("请至少填写一项活动安排。"))
    team_size = 1 + len(proposal.team)
    minimum = proposal.edition.min_team_size
    if team_size < minimum:
        missing.append(_("团队至少需要%(n)d人（含申报人），现在是%(actual)d人。", n=minimum, actual=team_size))
    for i, member in enumerate(proposal.team, start=1):
        if not member.mobile:
            missing.append(_("团队成员第%(n)d行：请填写手机号。", n=i))
    if not proposal.budget_lines:
        missing.append(_("请至少填写一行预算。"))
    if not proposal.commitment:
        missing.append(_("请阅读并勾选承诺。"))
    return missing


def _snapshot(proposal: Proposal) -> dict:
    snap = {name: getattr(proposal, name) for name in SCALAR_FIELDS}
    for name in ("period_start", "period_end"):
        snap[name] = snap[name].isoformat() if snap[name] else None
    snap["category"] = proposal.category.name if proposal.category else None
    snap["community"] = proposal.community.name if proposal.community else None
    snap["requested_fen"] = proposal.requested_fen
    snap["team"] = [[m.name, m.mobile, m.role, m.community_name] for m in proposal.team]
    snap["activities"] = [[a.when, a.activity, a.place, a.expected_participants] for a in proposal.activities]
    snap["budget_lines"] = [
        [line.category.name, line.item, line.unit_price_fen, line.quantity, line.amount_fen]
        for line in proposal.budget_lines
    ]
    # Name and fingerprint: a replaced file with the same name still shows as a change.
    snap["attachments"] = [[a.original_name, a.sha256[:12]] for a in proposal.attachments]
    return snap


def _refuse_if_incomplete(session: Session, proposal: Proposal) -> None:
    session.flush()
    session.expire(proposal, ["team", "activities", "budget_lines", "attachments"])  # re-read what changed
    if missing := missing_for_submission(proposal):
        raise DomainError(_("还有%(n)d项需要补充：%(items)s", n=len(missing), items=" ".join(missing)))
    lines = [
        budget.Line(line.position, line.category_id, line.item, line.unit_price_fen, line.quantity)
        for line in proposal.budget_lines
    ]
    check_proposal_budget(session, proposal.edition, lines)


def submit_proposal(session: Session, *, actor, proposal: Proposal, at: datetime | None = None) -> Proposal:
    """Submit (or, after a return for correction, resubmit) the proposal; it is then read-only.

    Raises:
        NotAllowed: not the applicant.
        DomainError: outside the submission window (or past the correction deadline), or incomplete.
        Conflict: another active proposal of the applicant in this edition.
    """
    at = at or now()
    if actor.id != proposal.applicant_id:
        raise NotAllowed(_("只有申报人本人可以提交。"))
    edition = proposal.edition
    if proposal.status == ProposalStatus.RETURNED.value:
        if proposal.resubmit_deadline is not None and at > proposal.resubmit_deadline:
            raise DomainError(
                _("补正截止时间（%(at)s）已过，不能再提交。", at=format_deadline(proposal.resubmit_deadline))
            )
        target = ProposalStatus.SUBMITTED.value
    else:
        if not submission_open(edition, at):
            if edition.submission_closes_at is not None and at >= edition.submission_closes_at:
                raise DomainError(
                    _("申报已于%(at)s截止，不能再提交。", at=format_deadline(edition.submission_closes_at))
                )
            raise DomainError(_("这届大赛目前不在申报期内。"))
        target = ProposalStatus.SUBMITTED.value
    _lock_applicant(session, actor.id)
    if edition.one_proposal_per_applicant and _other_active_proposals(session, edition.id, actor.id, proposal.id):
        raise Conflict(_("每位申报人在本届大赛只能申报一个项目，您已经有一个了。"))
    _refuse_if_incomplete(session, proposal)
    resubmitting = proposal.status == ProposalStatus.RETURNED.value
    proposal_machine.transition(session, proposal, target, actor=actor)
    proposal.version += 1
    if resubmitting:
        proposal.resubmissions += 1
        proposal.resubmit_deadline = None
    else:
        proposal.submitted_at = at
    session.add(
        ProposalVersion(
            proposal_id=proposal.id, version=proposal.version, submitted_at=at, snapshot=_snapshot(proposal)
        )
    )
    session.flush()
    return proposal


def return_for_correction(
    session: Session,
    *,
    actor,
    proposal: Proposal,
    reason: str,
    deadline: datetime | None = None,
    at: datetime | None = None,
) -> Proposal:
    """Send a submitted proposal back to the applicant with a reason and a deadline.

    Raises:
        NotAllowed: not a round-1 reviewer of this proposal's community.
        DomainError: already corrected once, no reason, or a deadline in the past.
    """
    at = at or now()
    if not policy.can_return(actor, proposal):
        raise NotAllowed(_("您没有权限退回这份申报书。"))
    if proposal.resubmissions >= 1:
        raise DomainError(_("这份申报书已经补正过一次，不能再次退回。"))
    deadline = deadline or at + timedelta(days=DEFAULT_RESUBMIT_DAYS)
    if deadline <= at:
        raise DomainError(_("补正截止时间必须晚于现在。"), field="deadline")
    proposal_machine.transition(session, proposal, ProposalStatus.RETURNED.value, actor=actor, reason=reason)
    proposal.return_reason = reason.strip()
    proposal.resubmit_deadline = deadline
    session.flush()
    notification_events.proposal_returned(session, proposal)
    return proposal


def scoring_started(session: Session, edition_id: int) -> bool:
    """True once any round after the first (round 2, preliminary scoring) has started."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Round)
            .where(Round.edition_id == edition_id, Round.position > 1, Round.status != RoundStatus.PENDING.value)
        )
        > 0
    )


def withdraw_proposal(session: Session, *, actor, proposal: Proposal) -> Proposal:
    """The applicant withdraws the proposal, at any time before round 2 starts.

    Raises:
        NotAllowed: not the applicant.
        DomainError: review has moved past round 1.
    """
    if not policy.can_withdraw(actor, proposal):
        raise NotAllowed(_("只有申报人本人可以撤回。"))
    if scoring_started(session, proposal.edition_id):
        raise DomainError(_("评审已进入评分阶段，不能再撤回。"))
    proposal_machine.transition(session, proposal, ProposalStatus.WITHDRAWN.value, actor=actor)
    proposal.withdrawn_at = now()
    session.flush()
    return proposal


# --- lists -------------------------------------------------------------------------------------


def proposals_of_applicant(session: Session, applicant_id: int) -> list[Proposal]:
    """The applicant's proposals, newest first (child rows come in one query each)."""
    return list(
        session.scalars(
            select(Proposal).where(Proposal.applicant_id == applicant_id).order_by(Proposal.created_at.desc())
        ).unique()
    )


def open_editions(session: Session, at: datetime | None = None) -> list[Edition]:
    at = at or now()
    editions = session.scalars(
        select(Edition).where(Edition.status == EditionStatus.OPEN.value).order_by(Edition.number.desc())
    )
    return [e for e in editions if submission_open(e, at)]


def communities_in_district(session: Session, district_id: int) -> list[Community]:
    return list(
        session.scalars(
            select(Community)
            .join(Street)
            .where(Street.district_id == district_id)
            .order_by(Street.name, Community.name)
        )
    )


def active_proposal_in(session: Session, edition_id: int, applicant_id: int) -> Proposal | None:
    return (
        session.scalars(
            select(Proposal)
            .where(
                Proposal.edition_id == edition_id,
                Proposal.applicant_id == applicant_id,
                Proposal.status != ProposalStatus.WITHDRAWN.value,
            )
            .order_by(Proposal.id)
        )
        .unique()
        .first()
    )


def budget_subtotals(proposal: Proposal) -> list[tuple[str, int]]:
    """(category name, amount) per budget category, in the order the categories first appear."""
    totals: dict[str, int] = {}
    for line in proposal.budget_lines:
        totals[line.category.name] = totals.get(line.category.name, 0) + line.amount_fen
    return list(totals.items())


def version_submitted_at(session: Session, proposal: Proposal) -> datetime | None:
    """When the proposal's current version was submitted (a resubmission's own time, not the first)."""
    at = session.scalar(
        select(ProposalVersion.submitted_at).where(
            ProposalVersion.proposal_id == proposal.id, ProposalVersion.version == proposal.version
        )
    )
    return at or proposal.submitted_at


def edition_has_proposals(session: Session, edition_id: int) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Proposal).where(Proposal.edition_id == edition_id)))


def can_withdraw_now(session: Session, actor, proposal: Proposal) -> bool:
    """Whether to offer the withdraw button: the applicant, a status that allows it, round 2 not started."""
    return (
        policy.can_withdraw(actor, proposal)
        and any(t.target == ProposalStatus.WITHDRAWN for t in proposal_machine.available(proposal, actor))
        and not scoring_started(session, proposal.edition_id)
    )


def _nothing_submitted(edition: Edition) -> str | None:
    # Back to draft would strand proposals already handed in (they could be neither corrected
    # nor decided); an edition with submissions goes forward only.
    submitted = object_session(edition).scalar(
        select(func.count())
        .select_from(Proposal)
        .where(
            Proposal.edition_id == edition.id,
            Proposal.status.notin_((ProposalStatus.DRAFT.value, ProposalStatus.WITHDRAWN.value)),
        )
    )
    if submitted:
        return _("已经有%(n)d份申报书提交，不能退回筹备。", n=submitted)
    return None


edition_machine.add_guard(EditionStatus.OPEN, EditionStatus.DRAFT, _nothing_submitted)
