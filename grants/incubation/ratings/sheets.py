"""Score sheets of a campaign: the community's recommendation with its self-assessment (社区推荐),
the street's score (街道初评) and each assessor's score (区级审评).

A sheet is submitted once and then locked: one per nomination and stage, and at the district stage
one per assessor (UNIQUE in the database, the campaign's row lock in front of it). Each function
checks the stage and the policy, writes the audit entry and flushes; the caller owns the transaction.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grants import audit
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.incubation.models import (
    CampaignStatus,
    Group,
    GroupStatus,
    SheetStage,
    StarCampaign,
    StarNomination,
    StarSheet,
    StarSheetLine,
)
from grants.incubation.ratings import policy, scoring
from grants.incubation.ratings.campaigns import assessor_ids, criteria_of, lock
from grants.incubation.ratings.states import campaign_status_label
from grants.proposals.attachments import CheckedUpload, Upload, store_checked_upload

EVIDENCE_MAX, COMMENT_MAX = 2000, 1000
# Only a group that exists in earnest is rated: one being set up (培育中), asleep or dissolved is not.
RATEABLE_GROUPS = (GroupStatus.ESTABLISHED.value, GroupStatus.FILED.value)


def _at_stage(campaign: StarCampaign, stage: CampaignStatus) -> None:
    """Raises: InvalidTransition naming the stage the campaign is in."""
    if campaign.status != stage:
        raise InvalidTransition(
            _(
                "评定当前处于“%(now)s”阶段，不能进行“%(stage)s”。",
                now=campaign_status_label(campaign.status),
                stage=campaign_status_label(stage),
            )
        )


def _check_points(session: Session, campaign: StarCampaign, points: dict[int, int]) -> dict[int, int]:
    """The points by criterion, every criterion between 0 and its maximum.

    Raises: DomainError naming the first criterion that is missing or out of range.
    """
    criteria = criteria_of(session, campaign.id)
    maxima = {c.id: c.max_halves for c in criteria}
    wrong = scoring.check_points(points, maxima)
    if wrong:
        criterion = next(c for c in criteria if c.id == wrong[0])
        raise DomainError(
            _(
                "“%(name)s”应在0到%(max)s分之间，最多保留到0.5分。",
                name=criterion.name,
                max=scoring.format_halves(criterion.max_halves),
            ),
            field=f"c{criterion.id}",
        )
    return {cid: points[cid] for cid in maxima}


def _add_sheet(
    session: Session, nomination: StarNomination, stage: SheetStage, actor, points: dict[int, int], comment: str = ""
) -> StarSheet:
    """Raises: Conflict when this sheet exists (a second submission, or a race the UNIQUE caught)."""
    slot = actor.id if stage == SheetStage.DISTRICT else 0
    exists = session.scalar(
        select(StarSheet.id).where(
            StarSheet.nomination_id == nomination.id, StarSheet.stage == stage.value, StarSheet.slot == slot
        )
    )
    if exists:
        raise Conflict(_("这份评分已经提交过了，提交后不能修改。"))
    sheet = StarSheet(
        nomination_id=nomination.id,
        stage=stage.value,
        slot=slot,
        scorer_id=actor.id,
        total_halves=scoring.total(points),
        comment=comment,
    )
    sheet.lines = [StarSheetLine(criterion_id=cid, halves=halves) for cid, halves in points.items()]
    session.add(sheet)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("这份评分已经提交过了，提交后不能修改。")) from None
    return sheet


def _comment(text: str, limit: int, field: str) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise DomainError(_("不能超过%(max)d个字符。", max=limit), field=field)
    return text


def recommend(
    session: Session,
    *,
    actor,
    campaign: StarCampaign,
    group: Group,
    points: dict[int, int],
    evidence: str,
    upload: Upload | CheckedUpload | None = None,
    upload_dir: Path | None = None,
) -> StarNomination:
    """社区推荐: the community recommends one of its groups with a self-assessment and evidence
    (text, and a photo or PDF if given: checked by content, stored outside static/).

    Raises: NotAllowed; InvalidTransition (not the recommending stage); DomainError (the group's
        status, points, evidence, the attachment); Conflict (already recommended).
    """
    if not (policy.can_recommend(actor, campaign, group) or policy.is_organizer(actor, campaign)):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if group.community.street.district_id != campaign.district_id:
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, campaign)
    _at_stage(campaign, CampaignStatus.RECOMMENDING)
    if group.status not in RATEABLE_GROUPS:
        raise DomainError(_("只有“已成立”或“已备案”的组织才能参加星级评定。"))
    evidence = (evidence or "").strip()
    if not evidence:
        raise DomainError(_("请填写推荐理由和佐证材料说明。"), field="evidence")
    evidence = _comment(evidence, EVIDENCE_MAX, "evidence")
    points = _check_points(session, campaign, points)
    if session.scalar(
        select(StarNomination.id).where(StarNomination.campaign_id == campaign.id, StarNomination.group_id == group.id)
    ):
        raise Conflict(_("这个组织已经推荐过了。"))
    attachment = None
    if upload is not None:
        attachment = store_checked_upload(session, actor=actor, upload=upload, upload_dir=upload_dir)
    nomination = StarNomination(
        campaign_id=campaign.id,
        group_id=group.id,
        evidence=evidence,
        attachment_id=attachment.id if attachment else None,
        recommended_by_id=actor.id,
    )
    session.add(nomination)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("这个组织已经推荐过了。")) from None
    sheet = _add_sheet(session, nomination, SheetStage.SELF, actor, points)
    audit.record(
        session,
        actor=actor,
        action="star_nomination.recommend",
        obj=nomination,
        district_id=campaign.district_id,
        after={
            "campaign_id": campaign.id,
            "group_id": group.id,
            "self_total": sheet.total_halves,
            "attachment": bool(attachment),
        },
    )
    session.flush()
    return nomination


def score_street(
    session: Session, *, actor, nomination: StarNomination, points: dict[int, int], comment: str = ""
) -> StarSheet:
    """街道初评: the staff of the group's street score it, once.

    Raises: NotAllowed; InvalidTransition (not the street stage); DomainError (points); Conflict.
    """
    if not policy.can_street_score(actor, nomination):
        raise NotAllowed(_("您没有权限执行此操作。"))
    campaign = lock(session, nomination.campaign)
    _at_stage(campaign, CampaignStatus.STREET_REVIEW)
    comment = _comment(comment, COMMENT_MAX, "comment")
    sheet = _add_sheet(session, nomination, SheetStage.STREET, actor, _check_points(session, campaign, points), comment)
    audit.record(
        session,
        actor=actor,
        action="star_sheet.street",
        obj=sheet,
        district_id=campaign.district_id,
        after={"nomination_id": nomination.id, "total": sheet.total_halves},
    )
    session.flush()
    return sheet


def score_district(
    session: Session, *, actor, nomination: StarNomination, points: dict[int, int], comment: str = ""
) -> StarSheet:
    """区级审评: an assessor of the campaign scores a group, once, never one of their own community.

    Raises: NotAllowed (not an assessor, or a conflict of interest); InvalidTransition; DomainError; Conflict.
    """
    campaign = nomination.campaign
    if getattr(actor, "id", None) not in assessor_ids(session, campaign.id):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if policy.has_conflict(actor, nomination.group):
        raise NotAllowed(_("这是您所在社区（或您任职、负责）的组织，您不能为它评分。"))
    campaign = lock(session, campaign)
    _at_stage(campaign, CampaignStatus.DISTRICT_REVIEW)
    comment = _comment(comment, COMMENT_MAX, "comment")
    sheet = _add_sheet(
        session, nomination, SheetStage.DISTRICT, actor, _check_points(session, campaign, points), comment
    )
    audit.record(
        session,
        actor=actor,
        action="star_sheet.district",
        obj=sheet,
        district_id=campaign.district_id,
        after={"nomination_id": nomination.id, "total": sheet.total_halves},
    )
    session.flush()
    return sheet


def sheets_of(session: Session, nomination_id: int) -> list[StarSheet]:
    return list(
        session.scalars(select(StarSheet).where(StarSheet.nomination_id == nomination_id).order_by(StarSheet.id))
    )


def lines_of(session: Session, sheet_ids: list[int]) -> dict[int, dict[int, int]]:
    """{sheet id: {criterion id: half points}} in one query."""
    found: dict[int, dict[int, int]] = {}
    if sheet_ids:
        rows = session.execute(
            select(StarSheetLine.sheet_id, StarSheetLine.criterion_id, StarSheetLine.halves).where(
                StarSheetLine.sheet_id.in_(sheet_ids)
            )
        )
        for sheet_id, criterion_id, halves in rows:
            found.setdefault(sheet_id, {})[criterion_id] = halves
    return found
