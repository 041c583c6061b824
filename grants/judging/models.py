"""Judging records: round-1 eligibility decisions, judge assignments with their score sheets, conflicts."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
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
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round = relationship("Round", lazy="joined", innerjoin=True)
    proposal = relationship("Proposal", lazy="joined", innerjoin=True)
    judge = relationship("User", lazy="joined", innerjoin=True)
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
