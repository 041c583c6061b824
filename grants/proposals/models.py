"""Resident proposals (申报书): the proposal, its team, activity plan, budget, attachments, versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class BudgetCategory(db.Model):
    """An edition's budget category (支出类别) with its optional limits."""

    __tablename__ = "budget_categories"
    __table_args__ = (
        UniqueConstraint("edition_id", "name"),
        CheckConstraint(
            "max_share_percent IS NULL OR (max_share_percent > 0 AND max_share_percent <= 100)", name="share_range"
        ),
        CheckConstraint("max_unit_price_fen IS NULL OR max_unit_price_fen > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    # At most this share of the amount requested may fall in this category (e.g. 劳务 ≤ 30 %).
    max_share_percent: Mapped[int | None]
    # No single item of this category may cost more (e.g. ¥2,000: no fixed assets).
    max_unit_price_fen: Mapped[int | None]


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        Index("ix_proposals_edition_status", "edition_id", "status"),
        Index("ix_proposals_edition_community", "edition_id", "community_id"),
        CheckConstraint("requested_fen >= 0", name="requested_non_negative"),
        CheckConstraint("self_funds_fen >= 0", name="self_funds_non_negative"),
        CheckConstraint("resubmissions >= 0 AND resubmissions <= 1", name="resubmit_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("edition_categories.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="draft")

    title: Mapped[str] = mapped_column(String(100), default="")
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")  # 项目简介, ≤ 500 characters
    need_analysis: Mapped[str] = mapped_column(Text, default="")  # 需求分析
    overall_objective: Mapped[str] = mapped_column(Text, default="")  # 总目标
    specific_objectives: Mapped[str] = mapped_column(Text, default="")  # 分目标
    beneficiaries: Mapped[str] = mapped_column(Text, default="")  # who benefits
    direct_beneficiaries: Mapped[int | None]
    indirect_beneficiaries: Mapped[int | None]
    risks: Mapped[str] = mapped_column(Text, default="")  # 风险预计与防控
    sustainability: Mapped[str] = mapped_column(Text, default="")  # 可持续发展计划
    prior_experience: Mapped[str] = mapped_column(Text, default="")  # similar projects done before
    self_funds_fen: Mapped[int] = mapped_column(default=0)  # 自筹/配套, apart from the request
    # Always Σ budget lines; kept in the row so lists and totals need no aggregation.
    requested_fen: Mapped[int] = mapped_column(default=0)
    commitment: Mapped[bool] = mapped_column(default=False)  # 承诺
    # The applicant's contact mobile for this proposal (private: only who may see the proposal);
    # asked on the form because an account may have a user name and no mobile.
    applicant_mobile: Mapped[str | None] = mapped_column(String(11))
    # The resident group (incubation) this proposal is made for, by its leader; the group's record
    # follows the proposal to the judges. Set only through save_draft, which checks the leader.
    # use_alter: proposals → groups → grants → proposals is a cycle the table sort must break.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_groups.id", ondelete="RESTRICT", use_alter=True), index=True
    )

    version: Mapped[int] = mapped_column(default=0)  # number of submissions so far
    resubmissions: Mapped[int] = mapped_column(default=0)
    return_reason: Mapped[str | None] = mapped_column(Text)
    resubmit_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first submission
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Many-to-one links are joined; child rows come with one query each (selectin), so a list
    # of proposals costs a fixed number of queries whatever its length.
    edition = relationship("Edition", lazy="joined", innerjoin=True)
    applicant = relationship("User", lazy="joined", innerjoin=True)
    community = relationship("Community", lazy="joined")
    category = relationship("EditionCategory", lazy="joined")
    team: Mapped[list[TeamMember]] = relationship(
        back_populates="proposal", order_by="TeamMember.position", cascade="all, delete-orphan", lazy="selectin"
    )
    activities: Mapped[list[ActivityPlanItem]] = relationship(
        back_populates="proposal", order_by="ActivityPlanItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="proposal", order_by="BudgetLine.position", cascade="all, delete-orphan", lazy="selectin"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="proposal", order_by="Attachment.id", lazy="selectin"
    )
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.version", cascade="all, delete-orphan", lazy="raise"
    )

    @property
    def total_budget_fen(self) -> int:
        return self.requested_fen + self.self_funds_fen


class TeamMember(db.Model):
    """A team member besides the applicant (who always counts as one)."""

    __tablename__ = "team_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(11), default="")
    role: Mapped[str] = mapped_column(String(50), default="")  # role in the team
    community_name: Mapped[str] = mapped_column(String(60), default="")

    proposal: Mapped[Proposal] = relationship(back_populates="team", lazy="raise")


class ActivityPlanItem(db.Model):
    __tablename__ = "activity_plan_items"
    __table_args__ = (
        CheckConstraint("expected_participants IS NULL OR expected_participants >= 0", name="participants"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    when: Mapped[str] = mapped_column(String(40), default="")  # a date or a period, as written
    activity: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    expected_participants: Mapped[int | None]

    proposal: Mapped[Proposal] = relationship(back_populates="activities", lazy="raise")


class BudgetLine(db.Model):
    __tablename__ = "budget_lines"
    __table_args__ = (
        CheckConstraint("unit_price_fen > 0", name="unit_price_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount_fen = unit_price_fen * quantity", name="amount_is_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    category_id: Mapped[int] = mapped_column(ForeignKey("budget_categories.id", ondelete="RESTRICT"))
    item: Mapped[str] = mapped_column(String(100))
    unit_price_fen: Mapped[int]
    quantity: Mapped[int]
    amount_fen: Mapped[int]

    proposal: Mapped[Proposal] = relationship(back_populates="budget_lines", lazy="raise")
    category: Mapped[BudgetCategory] = relationship(lazy="joined")


class Attachment(db.Model):
    """An uploaded file, stored outside static/ under a random name, served through a checked route."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal: Mapped[Proposal | None] = relationship(back_populates="attachments", lazy="raise")


class ProposalVersion(db.Model):
    """What the proposal said at each submission, so reviewers see what changed after a correction."""

    __tablename__ = "proposal_versions"
    __table_args__ = (UniqueConstraint("proposal_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    version: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)

    proposal: Mapped[Proposal] = relationship(back_populates="versions", lazy="raise")
