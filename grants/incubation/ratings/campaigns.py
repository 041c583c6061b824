"""A campaign's setup and stages: create it with the default indicator system, edit indicators and
cut-offs while it is a draft, name the district panel, move it from one stage to the next.

Every function checks the policy, writes the audit entry and flushes; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from grants import audit
from grants.auth import policy as auth_policy
from grants.auth import service as auth_service
from grants.auth.models import User
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.incubation.models import (
    CampaignStatus,
    SheetStage,
    StarAssessor,
    StarCampaign,
    StarCriterion,
    StarNomination,
    StarSheet,
)
from grants.incubation.ratings import policy, scoring
from grants.incubation.ratings.states import campaign_machine

TITLE_MAX = 100
YEARS = (2000, 2100)
INDICATOR_PROBLEMS = {
    "format": lambda: _("每行写“一级指标 | 二级指标 | 分值”，指标名称不要太长。"),
    "points": lambda: _("分值应为正数，最多保留到0.5分，例如5或7.5。"),
    "duplicate": lambda: _("同一个二级指标写了两次。"),
    "empty": lambda: _("请至少填写一个评分指标。"),
}
# Panels can be named until the list is published.
PANEL_STAGES = (
    CampaignStatus.DRAFT,
    CampaignStatus.RECOMMENDING,
    CampaignStatus.STREET_REVIEW,
    CampaignStatus.DISTRICT_REVIEW,
)


# The default indicator system (100 points): names in the organizer's language when created.
DEFAULT_INDICATORS = (
    (_l("党建引领"), _l("党组织联系与指导"), 10),
    (_l("党建引领"), _l("党员骨干带头作用"), 10),
    (_l("党建引领"), _l("参与社区党建活动"), 10),
    (_l("组织活力"), _l("成员规模与稳定性"), 16),
    (_l("组织活力"), _l("活动频次"), 20),
    (_l("组织活力"), _l("骨干培养与传承"), 14),
    (_l("社区影响力"), _l("服务居民人次"), 20),
    (_l("社区影响力"), _l("居民满意度"), 20),
    (_l("社区影响力"), _l("参与社区治理与公益"), 20),
    (_l("规范管理"), _l("章程与制度"), 20),
    (_l("规范管理"), _l("活动记录与档案"), 20),
    (_l("规范管理"), _l("资金与物资管理"), 20),
)  # in half points: 15 + 25 + 30 + 30 = 100 points


def default_lines() -> list[scoring.Line]:
    return [scoring.Line(str(indicator), str(name), halves) for indicator, name, halves in DEFAULT_INDICATORS]


@dataclass
class CampaignData:
    title: str
    year: int | None
    notice_days: int | None = 5
    cut_three: str = "70"  # points as typed: whole or half points
    cut_four: str = "80"
    cut_five: str = "90"
    indicators: str | None = None  # the indicator text; None keeps what the campaign has


def lock(session: Session, campaign: StarCampaign) -> StarCampaign:
    """Take the campaign's row lock and re-read it: every stage move and every sheet starts here."""
    return session.scalars(
        select(StarCampaign)
        .where(StarCampaign.id == campaign.id)
        .with_for_update(of=StarCampaign)
        .execution_options(populate_existing=True)
    ).one()


def criteria_of(session: Session, campaign_id: int) -> list[StarCriterion]:
    return list(
        session.scalars(
            select(StarCriterion).where(StarCriterion.campaign_id == campaign_id).order_by(StarCriterion.position)
        )
    )


def _facts(campaign: StarCampaign) -> dict:
    return {
        "title": campaign.title,
        "year": campaign.year,
        "notice_days": campaign.notice_days,
        "cutoffs": [campaign.cut_three, campaign.cut_four, campaign.cut_five],
    }


def _check(data: CampaignData) -> tuple[scoring.Cutoffs, list[scoring.Line] | None]:
    """Raises: DomainError naming the field that is wrong."""
    data.title = " ".join((data.title or "").split())
    if not data.title:
        raise DomainError(_("请填写评定名称。"), field="title")
    if len(data.title) > TITLE_MAX:
        raise DomainError(_("评定名称不能超过%(n)d个字符。", n=TITLE_MAX), field="title")
    if data.year is None or not YEARS[0] <= data.year <= YEARS[1]:
        raise DomainError(_("请填写评定年度，例如2026。"), field="year")
    if data.notice_days is None or not 1 <= data.notice_days <= 30:
        raise DomainError(_("公示期应为1到30个工作日。"), field="notice_days")
    cuts = []
    for name in ("cut_three", "cut_four", "cut_five"):
        halves = scoring.parse_points(getattr(data, name))
        if not halves:
            raise DomainError(_("分数线应为正数，最多保留到0.5分，例如70或72.5。"), field=name)
        cuts.append(halves)
    lines = None
    if data.indicators is not None:
        try:
            lines = scoring.parse_indicators(data.indicators)
        except scoring.IndicatorError as err:
            message = INDICATOR_PROBLEMS[err.problem]()
            if err.line:
                message = _("第%(line)d行：%(problem)s", line=err.line, problem=message)
            raise DomainError(message, field="indicators") from None
    return scoring.Cutoffs(*cuts), lines


def _check_cutoffs(cutoffs: scoring.Cutoffs, total_max: int) -> None:
    problem = cutoffs.problem(total_max)
    if problem == "order":
        raise DomainError(_("三星、四星、五星分数线应依次升高。"), field="cut_four")
    if problem == "above_total":
        raise DomainError(
            _("五星分数线不能高于指标总分（%(total)s分）。", total=scoring.format_halves(total_max)), field="cut_five"
        )


def _replace_criteria(session: Session, campaign: StarCampaign, lines) -> None:
    session.execute(delete(StarCriterion).where(StarCriterion.campaign_id == campaign.id))
    for position, line in enumerate(lines, start=1):
        session.add(
            StarCriterion(
                campaign_id=campaign.id,
                indicator=line.indicator,
                name=line.name,
                max_halves=line.max_halves,
                position=position,
            )
        )
    session.flush()


def _flush_unique(session: Session, year: int) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("本区%(year)d年度的星级评定已经建立。", year=year), field="year") from None


def create_campaign(session: Session, *, actor, district_id: int, data: CampaignData) -> StarCampaign:
    """A draft campaign with the default indicator system (100 points) unless others are given.

    Raises: NotAllowed; DomainError for bad input; Conflict when the district has this year's campaign.
    """
    if not auth_policy.is_organizer(actor, district_id):
        raise NotAllowed(_("您没有权限执行此操作。"))
    cutoffs, lines = _check(data)
    lines = lines or default_lines()
    _check_cutoffs(cutoffs, sum(line.max_halves for line in lines))
    exists = session.scalar(
        select(func.count(StarCampaign.id)).where(
            StarCampaign.district_id == district_id, StarCampaign.year == data.year
        )
    )
    if exists:
        raise Conflict(_("本区%(year)d年度的星级评定已经建立。", year=data.year), field="year")
    campaign = StarCampaign(
        district_id=district_id,
        year=data.year,
        title=data.title,
        status=CampaignStatus.DRAFT.value,
        notice_days=data.notice_days,
        cut_three=cutoffs.three,
        cut_four=cutoffs.four,
        cut_five=cutoffs.five,
        created_by_id=actor.id,
    )
    session.add(campaign)
    _flush_unique(session, data.year)
    _replace_criteria(session, campaign, lines)
    audit.record(
        session,
        actor=actor,
        action="star_campaign.create",
        obj=campaign,
        district_id=district_id,
        after={**_facts(campaign), "criteria": len(lines)},
    )
    session.flush()
    return campaign


def update_campaign(session: Session, *, actor, campaign: StarCampaign, data: CampaignData) -> StarCampaign:
    """Edit the facts, the cut-offs and the indicator system: only while the campaign is a draft.

    Raises: NotAllowed; InvalidTransition once the campaign is open; DomainError; Conflict (year).
    """
    if not policy.is_organizer(actor, campaign):
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise InvalidTransition(_("评定已经开始，指标和分数线不能再修改。"))
    cutoffs, lines = _check(data)
    current = criteria_of(session, campaign.id)
    total_max = sum(line.max_halves for line in lines) if lines is not None else sum(c.max_halves for c in current)
    _check_cutoffs(cutoffs, total_max)
    if data.year != campaign.year and session.scalar(
        select(func.count(StarCampaign.id)).where(
            StarCampaign.district_id == campaign.district_id, StarCampaign.year == data.year
        )
    ):
        raise Conflict(_("本区%(year)d年度的星级评定已经建立。", year=data.year), field="year")
    before = {**_facts(campaign), "criteria": [(c.indicator, c.name, c.max_halves) for c in current]}
    campaign.title, campaign.year, campaign.notice_days = data.title, data.year, data.notice_days
    campaign.cut_three, campaign.cut_four, campaign.cut_five = cutoffs.three, cutoffs.four, cutoffs.five
    _flush_unique(session, data.year)
    if lines is not None:
        _replace_criteria(session, campaign, lines)
    after = {
        **_facts(campaign),
        "criteria": [(c.indicator, c.name, c.max_halves) for c in criteria_of(session, campaign.id)],
    }
    audit.record(
        session,
        actor=actor,
        action="star_campaign.update",
        obj=campaign,
        district_id=campaign.district_id,
        before=before,
        after=after,
    )
    session.flush()
    return campaign


def move_stage(session: Session, *, actor, campaign: StarCampaign, target: str) -> StarCampaign:
    """The next stage by hand (社区推荐, 街道初评, 区级审评); 公示 and 结果确定 have their own steps.

    Raises: InvalidTransition (a skipped stage, a step), NotAllowed, DomainError (a guard refuses).
    """
    campaign = lock(session, campaign)
    campaign_machine.transition(session, campaign, target, actor=actor)
    return campaign


def assessors_of(session: Session, campaign_id: int) -> list[StarAssessor]:
    """The campaign's assessors, each with the community they live in (the campaign page shows it)."""
    return list(
        session.scalars(
            select(StarAssessor)
            .options(joinedload(StarAssessor.user).joinedload(User.community))
            .where(StarAssessor.campaign_id == campaign_id)
            .order_by(StarAssessor.id)
        )
    )


def assessor_ids(session: Session, campaign_id: int) -> set[int]:
    return set(session.scalars(select(StarAssessor.user_id).where(StarAssessor.campaign_id == campaign_id)))


def add_assessor(session: Session, *, actor, campaign: StarCampaign, login: str) -> StarAssessor:
    """Name a registered user to the district panel of this campaign.

    Raises: NotAllowed; DomainError (unknown login, list already published); Conflict (already named).
    """
    if not policy.is_organizer(actor, campaign):
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, campaign)
    if campaign.status not in PANEL_STAGES:
        raise DomainError(_("名单已经公示，评审专家不能再变更。"))
    user = auth_service.find_user_by_login(session, (login or "").strip()) if (login or "").strip() else None
    if user is None:
        raise DomainError(_("没有找到这个手机号或用户名的用户，请让对方先注册。"), field="login")
    if user.id in assessor_ids(session, campaign.id):
        raise Conflict(_("%(name)s已经是本次评定的评审专家。", name=user.display_name), field="login")
    assessor = StarAssessor(campaign_id=campaign.id, user_id=user.id, added_by_id=actor.id)
    session.add(assessor)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("%(name)s已经是本次评定的评审专家。", name=user.display_name), field="login") from None
    audit.record(
        session,
        actor=actor,
        action="star_assessor.add",
        obj=assessor,
        district_id=campaign.district_id,
        after={"campaign_id": campaign.id, "user_id": user.id},
    )
    session.flush()
    return assessor


def remove_assessor(session: Session, *, actor, assessor: StarAssessor) -> None:
    """Raises: NotAllowed; DomainError when the assessor has scored or the list is published."""
    campaign = session.get(StarCampaign, assessor.campaign_id)
    if not policy.is_organizer(actor, campaign):
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, campaign)
    if campaign.status not in PANEL_STAGES:
        raise DomainError(_("名单已经公示，评审专家不能再变更。"))
    scored = session.scalar(
        select(func.count(StarSheet.id))
        .join(StarNomination, StarNomination.id == StarSheet.nomination_id)
        .where(
            StarNomination.campaign_id == campaign.id,
            StarSheet.stage == SheetStage.DISTRICT.value,
            StarSheet.scorer_id == assessor.user_id,
        )
    )
    if scored:
        raise DomainError(_("这位评审专家已经提交了评分，不能移出。"))
    audit.record(
        session,
        actor=actor,
        action="star_assessor.remove",
        obj=assessor,
        district_id=campaign.district_id,
        before={"campaign_id": campaign.id, "user_id": assessor.user_id},
    )
    session.delete(assessor)
    session.flush()
