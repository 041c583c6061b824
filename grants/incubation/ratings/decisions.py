"""区级审评 decided, the notice (公示) with objections, and the final stars.

The organizer decides each group's stars (the proposed stars are the cut-offs applied to the mean of
the assessors' totals; a different decision needs a note), publishes the list for a notice window of
working days (the district's holiday calendar, as the results' notice), answers every objection —
an upheld one may change the group's stars — and, after the window, finalizes: the stars are final
with the campaign's year and current for three years.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.incubation.models import (
    CampaignStatus,
    SheetStage,
    StarCampaign,
    StarNomination,
    StarObjection,
    StarObjectionStatus,
    StarSheet,
)
from grants.incubation.ratings import policy, scoring
from grants.incubation.ratings.campaigns import lock
from grants.incubation.ratings.states import campaign_machine, objection_machine
from grants.results.holidays import window_close
from grants.results.objections import objection_text, within_author_limit

NOTE_MAX = 500
MAX_REPLY = 2000


def cutoffs_of(campaign: StarCampaign) -> scoring.Cutoffs:
    return scoring.Cutoffs(campaign.cut_three, campaign.cut_four, campaign.cut_five)


def panel_totals(session: Session, nomination_ids: list[int]) -> dict[int, list[int]]:
    """{nomination id: the assessors' totals (half points)} in one query."""
    found: dict[int, list[int]] = {nid: [] for nid in nomination_ids}
    if nomination_ids:
        rows = session.execute(
            select(StarSheet.nomination_id, StarSheet.total_halves)
            .where(StarSheet.nomination_id.in_(nomination_ids), StarSheet.stage == SheetStage.DISTRICT.value)
            .order_by(StarSheet.id)
        )
        for nomination_id, total in rows:
            found[nomination_id].append(total)
    return found


def decide(
    session: Session, *, actor, nomination: StarNomination, stars: int | None = None, note: str = ""
) -> StarNomination:
    """The organizer decides a group's stars: ``stars=None`` confirms the proposed stars; other
    stars (0 = not rated) need a note saying why.

    Raises: NotAllowed; InvalidTransition (not the district stage); DomainError (no assessor has
        scored, unknown stars, note missing or too long).
    """
    if not policy.is_organizer(actor, nomination.campaign):
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, nomination.campaign)
    if campaign.status != CampaignStatus.DISTRICT_REVIEW:
        raise InvalidTransition(_("只有在“区级审评”阶段才能确定星级。"))
    totals = panel_totals(session, [nomination.id])[nomination.id]
    proposed = scoring.proposed_stars(totals, cutoffs_of(campaign))
    if proposed is None:
        raise DomainError(_("还没有评审专家为这个组织评分。"))
    if stars is None:
        stars = proposed
    if stars not in (0, *scoring.STARS):
        raise DomainError(_("请选择三星、四星、五星或未达星级。"), field="stars")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("说明不能超过%(n)d个字符。", n=NOTE_MAX), field="note")
    if stars != proposed and not note:
        raise DomainError(_("确定的星级与评审专家平均分对应的星级不同，请写明理由。"), field="note")
    before = {"decided_stars": nomination.decided_stars}
    nomination.proposed_stars, nomination.decided_stars, nomination.decision_note = proposed, stars, note
    nomination.decided_by_id, nomination.decided_at = actor.id, timeutil.now()
    audit.record(
        session,
        actor=actor,
        action="star_nomination.decide",
        obj=nomination,
        district_id=campaign.district_id,
        before=before,
        after={"proposed_stars": proposed, "decided_stars": stars, "mean": str(scoring.mean(totals))},
        reason=note or None,
    )
    session.flush()
    return nomination


def publish(session: Session, *, actor, campaign: StarCampaign, now: datetime | None = None) -> StarCampaign:
    """发布公示: the list of decided stars is public and objections may be filed until the window
    (the campaign's working days, by the district's holiday calendar) closes.

    Raises: InvalidTransition (not the district stage), NotAllowed, DomainError (a group undecided).
    """
    campaign = lock(session, campaign)
    campaign_machine.transition(session, campaign, CampaignStatus.NOTICE.value, actor=actor, by_step=True)
    opens_at = now or timeutil.now()
    campaign.notice_opens_at = opens_at
    campaign.notice_closes_at = window_close(session, campaign.district_id, opens_at, campaign.notice_days)
    session.flush()
    return campaign


def notice_is_open(campaign: StarCampaign, now: datetime | None = None) -> bool:
    now = now or timeutil.now()
    return (
        campaign.status == CampaignStatus.NOTICE
        and campaign.notice_opens_at is not None
        and campaign.notice_opens_at <= now < campaign.notice_closes_at
    )


def file_objection(
    session: Session, *, actor, nomination: StarNomination, text: str, now: datetime | None = None
) -> StarObjection:
    """Anyone signed in objects to a group's stars during the notice window.

    Raises: NotAllowed (not signed in); DomainError (window not open, text length, too many).
    """
    if not policy.can_object(actor):
        raise NotAllowed(_("请先登录后再提出异议。"))
    campaign = nomination.campaign
    if not notice_is_open(campaign, now):
        raise DomainError(_("这份公示不在异议期内，不能再提出异议。"))
    text = objection_text(text)
    within_author_limit(
        session,
        actor,
        select(func.count(StarObjection.id)).where(
            StarObjection.campaign_id == campaign.id, StarObjection.author_id == actor.id
        ),
    )
    objection = StarObjection(
        campaign_id=campaign.id,
        nomination_id=nomination.id,
        author_id=actor.id,
        text=text,
        status=StarObjectionStatus.OPEN.value,
        created_at=now or timeutil.now(),
    )
    session.add(objection)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="star_objection.file",
        obj=objection,
        district_id=campaign.district_id,
        after={"campaign_id": campaign.id, "nomination_id": nomination.id},
    )
    session.flush()
    return objection


def answer_objection(
    session: Session, *, actor, objection: StarObjection, upheld: bool, reply: str, stars: int | None = None
) -> StarObjection:
    """The organizer answers with a public reply; an upheld objection may change the group's stars.

    Raises: NotAllowed; InvalidTransition (answered already, or the campaign is final); DomainError.
    """
    campaign = objection.nomination.campaign
    if not policy.is_organizer(actor, campaign):
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, campaign)
    if campaign.status != CampaignStatus.NOTICE:
        raise InvalidTransition(_("只有在公示阶段才能答复异议。"))
    status = session.scalar(select(StarObjection.status).where(StarObjection.id == objection.id).with_for_update())
    if status != StarObjectionStatus.OPEN.value:
        raise InvalidTransition(_("这条异议已经答复过了。"))
    reply = (reply or "").strip()
    if not reply:
        raise DomainError(_("请填写公开答复。"), field="reply")
    if len(reply) > MAX_REPLY:
        raise DomainError(_("答复最多%(max)d个字。", max=MAX_REPLY), field="reply")
    if stars is not None and (not upheld or stars not in (0, *scoring.STARS)):
        raise DomainError(_("只有异议成立时才能调整星级，请选择三星、四星、五星或未达星级。"), field="stars")
    nomination = objection.nomination
    objection.reply, objection.answered_by_id, objection.answered_at = reply, actor.id, timeutil.now()
    target = StarObjectionStatus.UPHELD if upheld else StarObjectionStatus.DISMISSED
    objection_machine.transition(session, objection, target.value, actor=actor, reason=reply, by_step=True)
    if stars is not None and stars != nomination.decided_stars:
        before = {"decided_stars": nomination.decided_stars}
        nomination.decided_stars, nomination.decision_note = stars, reply
        nomination.decided_by_id, nomination.decided_at = actor.id, timeutil.now()
        audit.record(
            session,
            actor=actor,
            action="star_nomination.decide",
            obj=nomination,
            district_id=campaign.district_id,
            before=before,
            after={"decided_stars": stars, "objection_id": objection.id},
            reason=reply,
        )
    session.flush()
    return objection


def finalize(session: Session, *, actor, campaign: StarCampaign, on: date | None = None) -> StarCampaign:
    """结果确定: after the window, with every objection answered, the stars are final.

    Raises: InvalidTransition (not the notice), NotAllowed, DomainError (window open, objections waiting).
    """
    campaign = lock(session, campaign)
    campaign.final_on = on or timeutil.today()
    try:
        campaign_machine.transition(session, campaign, CampaignStatus.FINAL.value, actor=actor, by_step=True)
    except DomainError:
        campaign.final_on = None
        raise
    return campaign
