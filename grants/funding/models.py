"""Funding: grants, the edition's tranche plan, and the append-only ledger of money movements."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class GrantStatus(StrEnum):
    """A grant's lifecycle (grants/funding/states.py holds the moves)."""

    APPROVED = "approved"  # created by finalizing the results; no agreement yet
    SIGNED = "signed"  # 资助协议 signed; tranches computed; nothing paid yet
    IN_PROGRESS = "in_progress"  # money paid, the project runs
    SUSPENDED = "suspended"  # 停拨: no tranche is paid until resumed
    COMPLETING = "completing"  # final report in; settlement under way
    SETTLED = "settled"  # disbursed − refunded = accepted expenses; closed
    TERMINATED = "terminated"  # ended early; unspent money is asked back


GRANT_STATUSES = tuple(s.value for s in GrantStatus)


class Grant(db.Model):
    """One winning project's award (tier and approved amount), created once by finalizing."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("approved_fen > 0", name="approved_positive"),
        CheckConstraint(
            "status IN ('approved', 'signed', 'in_progress', 'suspended', 'completing', 'settled', 'terminated')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), unique=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="RESTRICT"))
    tier: Mapped[str] = mapped_column(String(40))
    approved_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="approved")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the signing was recorded
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # 收款单位: a resident group has no legal personality; the money goes to the community's
    # 居委会 or a hub organisation, named on the agreement with its account.
    receiving_unit: Mapped[str] = mapped_column(String(100), default="", server_default="")
    account_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    account_bank: Mapped[str] = mapped_column(String(100), default="", server_default="")
    account_no: Mapped[str] = mapped_column(String(40), default="", server_default="")
    signed_on: Mapped[date | None] = mapped_column(Date)  # the date on the agreement
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agreement_scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="RESTRICT"))
    agreement_no: Mapped[str] = mapped_column(String(40), default="", server_default="")  # 协议编号
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # why suspended/terminated

    proposal = relationship("Proposal", lazy="joined", innerjoin=True)
    edition = relationship("Edition", lazy="select", viewonly=True)


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


class Tranche(db.Model):
    """One instalment of one grant, computed from the edition's plan when the agreement is signed.
    Its amount never changes afterwards; what happened to it is in its disbursements."""

    __tablename__ = "tranches"
    __table_args__ = (
        UniqueConstraint("grant_id", "position"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint(
            "condition IN ('on_signing', 'after_midterm_passed', 'after_final_passed')", name="condition_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(40))
    percent_bp: Mapped[int]
    condition: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class DisbursementStatus(StrEnum):
    REQUESTED = "requested"  # asked for by one person (the organizer's staff)
    APPROVED = "approved"  # approved by a different person with the finance role
    REJECTED = "rejected"  # refused by finance; the tranche may be requested again
    PAID = "paid"  # transferred: a ledger entry exists
    FAILED = "failed"  # the transfer did not go out (nothing moved); may be requested again
    RETURNED = "returned"  # paid, then the bank sent it back (an opposite ledger entry); may be retried


# A tranche has at most one disbursement in one of these states (partial unique index).
LIVE_DISBURSEMENT_STATUSES = ("requested", "approved", "paid")


class Disbursement(db.Model):
    """One attempt to pay one tranche, with four eyes: requester ≠ approver, enforced here too."""

    __tablename__ = "disbursements"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> requested_by_id", name="four_eyes"),
        CheckConstraint(
            "status IN ('requested', 'approved', 'rejected', 'paid', 'failed', 'returned')", name="status_known"
        ),
        CheckConstraint(
            "status NOT IN ('approved', 'paid') OR approved_by_id IS NOT NULL", name="approved_has_approver"
        ),
        CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND voucher_ref <> '')", name="paid_has_voucher"),
        Index(
            "uq_disbursements_live_tranche",
            "tranche_id",
            unique=True,
            sqlite_where=text("status IN ('requested', 'approved', 'paid')"),
            postgresql_where=text("status IN ('requested', 'approved', 'paid')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    tranche_id: Mapped[int] = mapped_column(ForeignKey("tranches.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default=DisbursementStatus.REQUESTED.value)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    voucher_ref: Mapped[str] = mapped_column(String(80), default="")  # 凭证号 / transfer reference
    note: Mapped[str] = mapped_column(Text, default="")  # why rejected, failed or returned
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))


class BudgetItem(db.Model):
    """A budget line of a grant, stable across budget versions (expenses are booked against it)."""

    __tablename__ = "grant_budget_items"
    __table_args__ = (UniqueConstraint("grant_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    category_id: Mapped[int] = mapped_column(ForeignKey("budget_categories.id", ondelete="RESTRICT"))
    item: Mapped[str] = mapped_column(String(100))


class BudgetVersion(db.Model):
    """An approved budget of a grant, frozen: version 1 at signing, one more per approved change."""

    __tablename__ = "grant_budget_versions"
    __table_args__ = (UniqueConstraint("grant_id", "number"), CheckConstraint("number > 0", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]
    total_fen: Mapped[int] = mapped_column(BigInteger)
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(Text, default="")


class BudgetVersionLine(db.Model):
    """One line's amount in one budget version (a line absent from a version has no money in it)."""

    __tablename__ = "grant_budget_version_lines"
    __table_args__ = (
        UniqueConstraint("version_id", "item_id"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint("unit_price_fen >= 0 AND quantity >= 0", name="unit_and_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("grant_budget_versions.id", ondelete="RESTRICT"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("grant_budget_items.id", ondelete="RESTRICT"))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class BudgetChange(db.Model):
    """A team's request to move money between lines or add a line (预算调整)."""

    __tablename__ = "grant_budget_changes"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'approved', 'rejected', 'withdrawn')", name="status_known"),
        Index(
            "uq_budget_changes_open",
            "grant_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    base_version_id: Mapped[int] = mapped_column(ForeignKey("grant_budget_versions.id", ondelete="RESTRICT"))
    # [{"item_id": int | None, "category_id": int, "item": str, "unit_price_fen": int, "quantity": int,
    #   "amount_fen": int}, ...]: the whole proposed budget, summing to the approved amount.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    version_id: Mapped[int | None] = mapped_column(ForeignKey("grant_budget_versions.id", ondelete="RESTRICT"))


class ExpenseStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Expense(db.Model):
    """One expense of a grant with its receipt (票据), booked against a budget line."""

    __tablename__ = "expenses"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status_known"),
        # The same invoice twice within an edition is refused (a rejected one may be entered again).
        Index(
            "uq_expenses_invoice_in_edition",
            "edition_id",
            "invoice_no",
            unique=True,
            sqlite_where=text("status <> 'rejected'"),
            postgresql_where=text("status <> 'rejected'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("grant_budget_items.id", ondelete="RESTRICT"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    payee: Mapped[str] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    unit_price_fen: Mapped[int | None] = mapped_column(BigInteger)  # when the expense buys units
    quantity: Mapped[int | None]
    purpose: Mapped[str] = mapped_column(String(200))
    invoice_no: Mapped[str] = mapped_column(String(40))  # 发票号码, normalised (no spaces, upper case)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=ExpenseStatus.PENDING.value)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")


class ReportKind(StrEnum):
    MIDTERM = "midterm"  # 中期报告
    FINAL = "final"  # 结项报告


class GrantReport(db.Model):
    """A mid-term or final report of a grant; its expense list is drawn from the recorded expenses."""

    __tablename__ = "grant_reports"
    __table_args__ = (
        CheckConstraint("kind IN ('midterm', 'final')", name="kind_known"),
        CheckConstraint("status IN ('submitted', 'evaluated', 'returned')", name="status_known"),
        CheckConstraint("beneficiaries >= 0", name="beneficiaries_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text)  # what was done
    beneficiaries: Mapped[int] = mapped_column(default=0)  # 受益人次
    activities_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GrantReportPhoto(db.Model):
    __tablename__ = "grant_report_photos"
    __table_args__ = (UniqueConstraint("report_id", "attachment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="RESTRICT"))


class EvaluationIndicator(db.Model):
    """One indicator of an edition's evaluation rubric for mid-term or final evaluations."""

    __tablename__ = "evaluation_indicators"
    __table_args__ = (
        UniqueConstraint("edition_id", "kind", "position"),
        CheckConstraint("kind IN ('midterm', 'final')", name="kind_known"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    max_points: Mapped[int]


class EvaluationRubric(db.Model):
    """An edition's pass mark for one kind of evaluation (its indicators are EvaluationIndicator rows)."""

    __tablename__ = "evaluation_rubrics"
    __table_args__ = (
        UniqueConstraint("edition_id", "kind"),
        CheckConstraint("kind IN ('midterm', 'final')", name="kind_known"),
        CheckConstraint("pass_mark >= 0", name="pass_mark_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    pass_mark: Mapped[int] = mapped_column(default=60)
    due_on: Mapped[date | None] = mapped_column(Date)  # reports of this kind are due by this date


class GrantEvaluation(db.Model):
    """The organizer's (or an expert's) evaluation of a report; the latest of a kind decides."""

    __tablename__ = "grant_evaluations"
    __table_args__ = (CheckConstraint("kind IN ('midterm', 'final')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("grant_reports.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    scores: Mapped[dict[str, int]] = mapped_column(JSON)  # {indicator id: points}
    total_points: Mapped[int]
    pass_mark: Mapped[int]
    passed: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountChange(db.Model):
    """A change of a signed grant's receiving unit or account: takes effect when finance approves."""

    __tablename__ = "grant_account_changes"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'approved', 'rejected')", name="status_known"),
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="four_eyes"),
        Index(
            "uq_account_changes_open",
            "grant_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), index=True)
    receiving_unit: Mapped[str] = mapped_column(String(100))
    account_name: Mapped[str] = mapped_column(String(100))
    account_bank: Mapped[str] = mapped_column(String(100))
    account_no: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
