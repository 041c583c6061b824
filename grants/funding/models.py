"""Grants: what a winning project was awarded when the edition's results became final."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class Grant(db.Model):
    """One winning project's award (tier and approved amount), created once by finalizing."""

    __tablename__ = "grants"
    __table_args__ = (CheckConstraint("approved_fen > 0", name="approved_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), unique=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="RESTRICT"))
    tier: Mapped[str] = mapped_column(String(40))
    approved_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="approved")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 资助协议
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    proposal = relationship("Proposal", lazy="joined", innerjoin=True)
