"""Judging records: round-1 eligibility decisions (scoring sheets follow in the next step)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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
