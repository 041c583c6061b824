"""Star rating (星级评定): a district's yearly campaign, its indicator system, assessors, the groups
recommended (nominations), their score sheets and the objections to the published list.

Points are stored in half points (an integer: 7.5 points is 15), so totals, means and cut-offs are
compared exactly. The stages live in grants/incubation/ratings/states.py.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # 草稿: the organizer edits indicators and cut-offs
    RECOMMENDING = "recommending"  # 社区推荐
    STREET_REVIEW = "street_review"  # 街道初评
    DISTRICT_REVIEW = "district_review"  # 区级审评
    NOTICE = "notice"  # 公示 (objections during the window)
    FINAL = "final"  # 结果确定


class SheetStage(StrEnum):
    SELF = "self"  # the community's self-assessment with the recommendation
    STREET = "street"  # 街道初评
    DISTRICT = "district"  # 区级审评, one sheet per assessor


class StarObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class StarCampaign(db.Model):
    __tablename__ = "star_campaigns"
    __table_args__ = (
        UniqueConstraint("district_id", "year"),
        CheckConstraint(
            "status IN ('draft', 'recommending', 'street_review', 'district_review', 'notice', 'final')",
            name="status_known",
        ),
        CheckConstraint("cut_three > 0 AND cut_four > cut_three AND cut_five > cut_four", name="cutoffs_ordered"),
        CheckConstraint("notice_days >= 1 AND notice_days <= 30", name="notice_days_range"),
        CheckConstraint("status <> 'final' OR final_on IS NOT NULL", name="final_has_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT.value)
    cut_three: Mapped[int] = mapped_column(Integer, default=140)  # half points (70 points)
    cut_four: Mapped[int] = mapped_column(Integer, default=160)
    cut_five: Mapped[int] = mapped_column(Integer, default=180)
    notice_days: Mapped[int] = mapped_column(Integer, default=5)  # working days
    notice_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notice_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_on: Mapped[date | None] = mapped_column(Date)  # the day the stars became final
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district = relationship("District", lazy="joined", innerjoin=True)
    criteria: Mapped[list[StarCriterion]] = relationship(
        back_populates="campaign", lazy="raise", order_by="StarCriterion.position", cascade="all, delete-orphan"
    )


class StarCriterion(db.Model):
    """A sub-indicator (二级指标) under its indicator (一级指标) with its maximum points."""

    __tablename__ = "star_criteria"
    __table_args__ = (
        UniqueConstraint("campaign_id", "position"),
        CheckConstraint("max_halves > 0", name="max_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("star_campaigns.id", ondelete="CASCADE"), index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    max_halves: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)

    campaign: Mapped[StarCampaign] = relationship(back_populates="criteria", lazy="raise")


class StarAssessor(db.Model):
    """A member of the district panel (区级审评), named by the organizer for this campaign."""

    __tablename__ = "star_assessors"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("star_campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id], lazy="joined", innerjoin=True)


class StarNomination(db.Model):
    """A group recommended by its community (社区推荐) and what became of it: the street's total,
    the organizer's decision (0 = below three stars) and, once the campaign is final, its stars."""

    __tablename__ = "star_nominations"
    __table_args__ = (
        UniqueConstraint("campaign_id", "group_id"),
        CheckConstraint("decided_stars IS NULL OR decided_stars IN (0, 3, 4, 5)", name="stars_known"),
        CheckConstraint("proposed_stars IS NULL OR proposed_stars IN (0, 3, 4, 5)", name="proposed_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("star_campaigns.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("resident_groups.id", ondelete="RESTRICT"), index=True)
    evidence: Mapped[str] = mapped_column(Text, default="")  # 推荐理由和佐证材料说明
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recommended_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stored when the organizer decides (the panel's mean then), never recomputed silently.
    proposed_stars: Mapped[int | None] = mapped_column(Integer)
    decided_stars: Mapped[int | None] = mapped_column(Integer)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[StarCampaign] = relationship(lazy="joined", innerjoin=True)
    group = relationship("Group", lazy="joined", innerjoin=True)
    attachment = relationship("Attachment", lazy="select")


class StarSheet(db.Model):
    """One score sheet: the self-assessment, the street's, or one assessor's (``slot`` is the
    assessor's user id at the district stage, else 0: one sheet per nomination, stage and slot)."""

    __tablename__ = "star_sheets"
    __table_args__ = (
        UniqueConstraint("nomination_id", "stage", "slot"),
        CheckConstraint("stage IN ('self', 'street', 'district')", name="stage_known"),
        CheckConstraint(
            "(stage = 'district' AND slot = scorer_id) OR (stage <> 'district' AND slot = 0)", name="slot_matches_stage"
        ),
        CheckConstraint("total_halves >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("star_nominations.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(10))
    slot: Mapped[int] = mapped_column(Integer, default=0)
    scorer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    total_halves: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[StarSheetLine]] = relationship(
        back_populates="sheet", lazy="raise", order_by="StarSheetLine.id", cascade="all, delete-orphan"
    )


class StarSheetLine(db.Model):
    __tablename__ = "star_sheet_lines"
    __table_args__ = (
        UniqueConstraint("sheet_id", "criterion_id"),
        CheckConstraint("halves >= 0", name="halves_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("star_sheets.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("star_criteria.id", ondelete="RESTRICT"))
    halves: Mapped[int] = mapped_column(Integer)

    sheet: Mapped[StarSheet] = relationship(back_populates="lines", lazy="raise")


class StarObjection(db.Model):
    """An objection (异议) to a group's proposed stars during the notice, answered by the organizer."""

    __tablename__ = "star_objections"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="status_known"),
        CheckConstraint("status = 'open' OR (reply <> '' AND answered_at IS NOT NULL)", name="answer_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("star_campaigns.id", ondelete="RESTRICT"), index=True)
    nomination_id: Mapped[int] = mapped_column(ForeignKey("star_nominations.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=StarObjectionStatus.OPEN.value)
    reply: Mapped[str] = mapped_column(Text, default="")  # public
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    nomination: Mapped[StarNomination] = relationship(lazy="joined", innerjoin=True)
    author = relationship("User", foreign_keys=[author_id], lazy="joined", innerjoin=True)
