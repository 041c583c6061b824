"""Judging records: round-1 eligibility decisions, judge assignments with their score sheets, conflicts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105  (an outcome, not a password)
    FAIL = "fail"


class EligibilityDecision(db.Model):
    """The current round-1 decision on one proposal; revisions are kept in the audit log."""

    __tablename__ = "eligibility_decisions"
    __table_args__ = (
        UniqueConstraint("round_id", "proposal_id"),
        CheckConstraint("outcome IN ('pass', 'fail')", name="outcome_known"),
        CheckConstraint("outcome = 'pass' OR reason IS NOT NULL", name="fail_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    # Ids of the checklist items (the round's criteria) the reviewer confirmed.
    checked: Mapped[list[int]] = mapped_column(JSON, default=list)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer = relationship("User", lazy="joined")


class Assignment(db.Model):
    """One judge's score sheet for one proposal in one scoring round."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("round_id", "judge_id", "proposal_id"),
        Index("ix_assignments_judge_round", "judge_id", "round_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="assigned")
    comment: Mapped[str] = mapped_column(Text, default="")
    # Set when the organizer entered this paper sheet on the judge's behalf (路演现场纸质评分表).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Why the sheet stopped counting (a conflict of interest, the judge's role revoked), who did it
    # and when; cleared when the organizer reassigns the sheet (the audit log keeps the record).
    withdrawal_cause: Mapped[str | None] = mapped_column(String(20))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round = relationship("Round", lazy="joined", innerjoin=True)
    proposal = relationship("Proposal", lazy="joined", innerjoin=True)
    judge = relationship("User", lazy="joined", innerjoin=True, foreign_keys=[judge_id])
    scores: Mapped[list[Score]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan", lazy="selectin"
    )

    def points_by_criterion(self) -> dict[int, Decimal]:
        return {s.criterion_id: s.points for s in self.scores}


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("assignment_id", "criterion_id"),
        CheckConstraint("points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2))

    assignment: Mapped[Assignment] = relationship(back_populates="scores", lazy="raise")


class ConflictOfInterest(db.Model):
    """A judge who must not score a proposal (declared by the judge or by the organizer)."""

    __tablename__ = "conflicts_of_interest"
    __table_args__ = (UniqueConstraint("edition_id", "judge_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundResult(db.Model):
    """A proposal's outcome in a closed scoring round: stored once, never recomputed silently.

    ``score`` is what the ranking used: this round's score, or, in the last scoring round of an
    edition whose rounds carry weights, the weighted combination of the rounds.
    """

    __tablename__ = "round_results"
    __table_args__ = (
        UniqueConstraint("round_id", "proposal_id"),
        UniqueConstraint("round_id", "rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint("approved_fen IS NULL OR approved_fen >= 0", name="approved_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    score: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    round_score: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    raw_score: Mapped[Decimal] = mapped_column(Numeric(12, 4))  # same aggregation, without normalisation
    normalised_score: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    judges: Mapped[int]
    stdev: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    spread: Mapped[Decimal] = mapped_column(Numeric(12, 4))  # max − min of the judges' totals
    rank: Mapped[int]
    advanced: Mapped[bool] = mapped_column(Boolean)
    tier: Mapped[str | None] = mapped_column(String(40))
    approved_fen: Mapped[int | None]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal = relationship("Proposal", lazy="raise")


class JudgeGroup(db.Model):
    """Judges of one round aggregated together, then weighted (e.g. 专家评委 70 % + 大众评审 30 %)."""

    __tablename__ = "judge_groups"
    __table_args__ = (
        UniqueConstraint("round_id", "name"),
        CheckConstraint("weight_percent > 0 AND weight_percent <= 100", name="group_weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    weight_percent: Mapped[int]
    members: Mapped[list[JudgeGroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", lazy="selectin"
    )


class JudgeGroupMember(db.Model):
    __tablename__ = "judge_group_members"
    __table_args__ = (UniqueConstraint("round_id", "judge_id"),)  # one group per judge and round

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("judge_groups.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    group: Mapped[JudgeGroup] = relationship(back_populates="members", lazy="raise")
    judge = relationship("User", lazy="joined", innerjoin=True)


class AwardTier(db.Model):
    """An award tier of an edition (一等奖, 二等奖 …, or simply 资助), given in ranking order."""

    __tablename__ = "award_tiers"
    __table_args__ = (
        UniqueConstraint("edition_id", "name"),
        CheckConstraint("winners >= 0", name="winners_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(40))
    winners: Mapped[int]
