"""A star-rating campaign's stages in one state machine, and an objection's answer.

草稿 → 社区推荐 → 街道初评 → 区级审评 → 公示 → 结果确定: no stage is skipped, each move is the
organizer's and says in words why it cannot happen yet. 公示 is entered only by publishing (the
notice window is set then) and 结果确定 only by finalizing.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from grants import timeutil
from grants.incubation.models import (
    CampaignStatus,
    SheetStage,
    StarAssessor,
    StarCampaign,
    StarCriterion,
    StarNomination,
    StarObjection,
    StarObjectionStatus,
    StarSheet,
)
from grants.incubation.ratings import policy, scoring
from grants.states import StateMachine, Transition

S = CampaignStatus

CAMPAIGN_STATUS_LABELS = {
    S.DRAFT: _l("草稿"),
    S.RECOMMENDING: _l("社区推荐"),
    S.STREET_REVIEW: _l("街道初评"),
    S.DISTRICT_REVIEW: _l("区级审评"),
    S.NOTICE: _l("公示"),
    S.FINAL: _l("结果确定"),
}

STAR_OBJECTION_LABELS = {
    StarObjectionStatus.OPEN: _l("待答复"),
    StarObjectionStatus.UPHELD: _l("成立"),
    StarObjectionStatus.DISMISSED: _l("不成立"),
}

STAR_LABELS = {0: _l("未达星级"), 3: _l("三星"), 4: _l("四星"), 5: _l("五星")}


def campaign_status_label(status: str) -> str:
    return str(CAMPAIGN_STATUS_LABELS.get(status, status))


def star_objection_label(status: str) -> str:
    return str(STAR_OBJECTION_LABELS.get(status, status))


def stars_label(stars: int | None) -> str:
    return "—" if stars is None else str(STAR_LABELS.get(stars, stars))


def _organizer(actor, campaign: StarCampaign) -> bool:
    return policy.is_organizer(actor, campaign)


def _count(campaign: StarCampaign, query) -> int:
    return object_session(campaign).scalar(query) or 0


def _system_ready(campaign: StarCampaign) -> str | None:
    maxima = list(
        object_session(campaign).scalars(
            select(StarCriterion.max_halves).where(StarCriterion.campaign_id == campaign.id)
        )
    )
    if not maxima:
        return _("还没有评分指标。")
    cutoffs = scoring.Cutoffs(campaign.cut_three, campaign.cut_four, campaign.cut_five)
    if cutoffs.problem(sum(maxima)):
        return _("星级分数线应依次升高，且五星分数线不超过指标总分。")
    return None


def _has_nominations(campaign: StarCampaign) -> str | None:
    nominated = _count(campaign, select(func.count(StarNomination.id)).where(StarNomination.campaign_id == campaign.id))
    return None if nominated else _("还没有社区推荐任何组织。")


def _street_scored(campaign: StarCampaign) -> str | None:
    if message := _has_nominations(campaign):
        return message
    unscored = _count(
        campaign,
        select(func.count(StarNomination.id)).where(
            StarNomination.campaign_id == campaign.id,
            ~select(StarSheet.id)
            .where(StarSheet.nomination_id == StarNomination.id, StarSheet.stage == SheetStage.STREET.value)
            .exists(),
        ),
    )
    if unscored:
        return _("还有%(n)d个组织没有完成街道初评。", n=unscored)
    if not _count(campaign, select(func.count(StarAssessor.id)).where(StarAssessor.campaign_id == campaign.id)):
        return _("还没有指定区级评审专家。")
    return None


def _all_decided(campaign: StarCampaign) -> str | None:
    undecided = _count(
        campaign,
        select(func.count(StarNomination.id)).where(
            StarNomination.campaign_id == campaign.id, StarNomination.decided_stars.is_(None)
        ),
    )
    return _("还有%(n)d个组织没有确定星级。", n=undecided) if undecided else None


def _notice_over(campaign: StarCampaign) -> str | None:
    if campaign.notice_closes_at is None or timeutil.now() < campaign.notice_closes_at:
        return _("公示期还没有结束。")
    waiting = _count(
        campaign,
        select(func.count(StarObjection.id)).where(
            StarObjection.campaign_id == campaign.id, StarObjection.status == StarObjectionStatus.OPEN.value
        ),
    )
    return _("还有%(n)d条异议没有答复。", n=waiting) if waiting else None


campaign_machine = StateMachine(
    "star_campaign",
    [
        Transition(
            S.DRAFT, S.RECOMMENDING, "star_campaign.open", lambda: _("开始社区推荐"), _organizer, guard=_system_ready
        ),
        Transition(
            S.RECOMMENDING,
            S.STREET_REVIEW,
            "star_campaign.to_street",
            lambda: _("进入街道初评"),
            _organizer,
            guard=_has_nominations,
        ),
        Transition(
            S.STREET_REVIEW,
            S.DISTRICT_REVIEW,
            "star_campaign.to_district",
            lambda: _("进入区级审评"),
            _organizer,
            guard=_street_scored,
        ),
        Transition(
            S.DISTRICT_REVIEW,
            S.NOTICE,
            "star_campaign.publish",
            lambda: _("发布公示"),
            _organizer,
            guard=_all_decided,
            step=lambda: _("发布公示"),
        ),
        Transition(
            S.NOTICE,
            S.FINAL,
            "star_campaign.finalize",
            lambda: _("确定最终结果"),
            _organizer,
            guard=_notice_over,
            step=lambda: _("确定最终结果"),
        ),
    ],
    state_label=campaign_status_label,
    district_of=lambda campaign: campaign.district_id,
)


def _objection_organizer(actor, objection: StarObjection) -> bool:
    return policy.is_organizer(actor, objection.nomination.campaign)


objection_machine = StateMachine(
    "star_objection",
    [
        Transition(
            StarObjectionStatus.OPEN,
            StarObjectionStatus.UPHELD,
            "star_objection.uphold",
            lambda: _("异议成立"),
            _objection_organizer,
            step=lambda: _("答复异议"),
        ),
        Transition(
            StarObjectionStatus.OPEN,
            StarObjectionStatus.DISMISSED,
            "star_objection.dismiss",
            lambda: _("异议不成立"),
            _objection_organizer,
            step=lambda: _("答复异议"),
        ),
    ],
    state_label=star_objection_label,
    district_of=lambda objection: objection.nomination.campaign.district_id,
)
