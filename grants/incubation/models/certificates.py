"""Issued 志愿服务证明 (volunteer service certificates): one per member and period, numbered once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class VolunteerCertificate(db.Model):
    """A certificate as issued: the hours it states are frozen at issue, so a reprint says the same."""

    __tablename__ = "volunteer_certificates"
    __table_args__ = (
        # Issuing the same member and period again returns this row (the UNIQUE decides a race).
        UniqueConstraint("member_id", "period_start", "period_end"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        CheckConstraint("halves > 0", name="halves_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ZY-2026-003-000042 (year of issue, community, id): set in the transaction that inserts the row,
    # once its id is known, so concurrent issues never read a shared counter.
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("group_members.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("resident_groups.id", ondelete="RESTRICT"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"))  # the issuer
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    halves: Mapped[int] = mapped_column(Integer)  # confirmed hours of the period at issue
    activities: Mapped[int] = mapped_column(Integer)  # how many confirmed activities they came from
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member = relationship("GroupMember", lazy="raise")
    issued_by = relationship("User", lazy="select")
