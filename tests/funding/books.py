"""Test data for the read side of funding, made directly as rows (the write-side services are
built elsewhere): paid tranches with their ledger entries, expenses, refunds, a settled grant."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from grants import timeutil
from grants.funding import ledger, service
from grants.funding.models import BudgetItem, Disbursement, Expense, GrantReport

_invoice = iter(range(10_000_000, 99_999_999))


def pay(session, grant, tranche, *, requester, approver, voucher: str = "") -> Disbursement:
    """The tranche paid: one disbursement (four eyes) and its ledger entry."""
    voucher = voucher or f"PZ-{tranche.id}"
    entry = ledger.record(
        session, grant=grant, kind="disbursement", amount_fen=tranche.amount_fen, ref=voucher, actor=approver
    )
    disbursement = Disbursement(
        grant_id=grant.id,
        tranche_id=tranche.id,
        amount_fen=tranche.amount_fen,
        status="paid",
        requested_by_id=requester.id,
        approved_by_id=approver.id,
        approved_at=timeutil.now(),
        paid_by_id=approver.id,
        paid_on=date(2026, 11, 25),
        voucher_ref=voucher,
        ledger_entry_id=entry.id,
    )
    session.add(disbursement)
    session.flush()
    return disbursement


def items(session, grant) -> list[BudgetItem]:
    return list(
        session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position))
    )


def spend(
    session,
    grant,
    amount_fen: int,
    *,
    recorder,
    reviewer=None,
    status: str = "accepted",
    payee: str = "绿意花卉店",
    item=None,
    on: date = date(2026, 11, 28),
) -> Expense:
    expense = Expense(
        grant_id=grant.id,
        edition_id=grant.edition_id,
        item_id=(item or items(session, grant)[0]).id,
        spent_on=on,
        payee=payee,
        amount_fen=amount_fen,
        purpose="购买花盆",
        invoice_no=str(next(_invoice)),
        status=status,
        recorded_by_id=recorder.id,
        reviewed_by_id=reviewer.id if reviewer is not None and status != "pending" else None,
        reviewed_at=timeutil.now() if reviewer is not None and status != "pending" else None,
    )
    session.add(expense)
    session.flush()
    return expense


def refund(session, grant, amount_fen: int, *, actor):
    return ledger.record(session, grant=grant, kind="refund", amount_fen=-amount_fen, ref="TH-1", actor=actor)


def report(session, grant, kind: str, *, by):
    session.add(GrantReport(grant_id=grant.id, kind=kind, summary="做了", submitted_by_id=by.id))
    session.flush()


def tranches(session, grant):
    return service.tranches_of(session, grant.id)


def money(fen: int) -> str:
    from grants.money import format_fen

    return format_fen(fen)
