"""Funding: grants, the edition's tranche plan, and the append-only ledger of money movements."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
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


class TranchePlanPart(db.Model):
    """One part of an edition's tranche plan (拨付计划): a share of every grant and when it is released."""

    __tablename__ = "tranche_plan_parts"
    __table_args__ = (
        UniqueConstraint("edition_id", "position"),
        CheckConstraint("percent_bp > 0 AND percent_bp <= 10000", name="percent_range"),
        CheckConstraint(
            "condition IN ('on_signing', 'after_midterm_passed', 'after_final_passed')", name="condition_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(40))
    percent_bp: Mapped[int]  # basis points: 6000 = 60 %
    condition: Mapped[str] = mapped_column(String(30))


class LedgerKind(StrEnum):
    DISBURSEMENT = "disbursement"  # money paid to the receiving unit (+)
    PAYMENT_RETURNED = "payment_returned"  # a transfer that bounced back (−)
    REFUND = "refund"  # unspent money returned (−)
    CORRECTION = "correction"  # the opposite of an earlier entry (±)


LEDGER_KINDS = tuple(kind.value for kind in LedgerKind)


class LedgerEntry(db.Model):
    """One money movement of a grant. Append-only: the database refuses UPDATE and DELETE
    (triggers created by migration i13_funding_ledger); a mistake is undone by an opposite entry."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        CheckConstraint("kind IN ('disbursement', 'payment_returned', 'refund', 'correction')", name="kind_known"),
        CheckConstraint("reverses_id IS NULL OR kind = 'correction'", name="reversal_is_correction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # signed: + money out to the grant, − back
    ref: Mapped[str] = mapped_column(String(80), default="")  # voucher / transfer reference (凭证号)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # RESTRICT, not SET NULL: the ledger cannot be updated, so its actors cannot disappear.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True)
