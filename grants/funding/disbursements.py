"""Disbursements with four eyes: a tranche is requested by the organizer's staff, approved by a
*different* person with the finance role, then recorded as paid (with its ledger entry) — or as
failed, or returned by the bank, after which the tranche may be requested again.

Every service takes the grant's row lock first (service.lock) and re-reads what it checks, so the
rules hold under concurrent requests; the database backs them with the four-eyes CHECK and the
partial unique index "one live disbursement per tranche".
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.editions.models import Edition
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding import balances, ledger, policy, service
from grants.funding.models import (
    LIVE_DISBURSEMENT_STATUSES,
    Disbursement,
    DisbursementStatus,
    Grant,
    GrantStatus,
    LedgerKind,
    Tranche,
)
from grants.funding.states import disbursement_machine, disbursement_status_label, grant_machine

MAX_REASON = 500
D = DisbursementStatus


# --- services ----------------------------------------------------------------------------------


def request(session: Session, *, actor, tranche: Tranche) -> Disbursement:
    """Ask for this tranche to be paid (its amount), by an organizer of the grant's district.

    Raises:
        NotAllowed: not an organizer of the grant's district.
        DomainError: the tranche's condition does not hold, the grant may not be paid now, the
            tranche already has a live disbursement, or Σ paid + this would exceed the approved amount.
    """
    grant = session.get(Grant, tranche.grant_id)
    if not policy.can_manage(actor, grant):
        raise NotAllowed(_("只有本区主办方可以申请拨款。"))
    grant = service.lock(session, grant)
    tranche = session.get(Tranche, tranche.id, populate_existing=True)
    if why := service.condition_refusal(session, grant, tranche):
        raise DomainError(why)
    if _live_of(session, tranche.id) is not None:
        raise Conflict(_("“%(name)s”已有一笔拨款在办理中或已拨付，不能重复申请。", name=tranche.name))
    _check_within_approved(session, grant, tranche.amount_fen, committed=_live_total(session, grant.id))
    disbursement = Disbursement(
        grant_id=grant.id,
        tranche_id=tranche.id,
        amount_fen=tranche.amount_fen,
        status=D.REQUESTED.value,
        requested_by_id=actor.id,
        requested_at=timeutil.now(),
    )
    session.add(disbursement)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="disbursement.request",
        obj=disbursement,
        district_id=_district_id(session, grant),
        after={"status": D.REQUESTED.value, "tranche": tranche.name, "amount_fen": tranche.amount_fen},
    )
    session.flush()
    return disbursement


def approve(session: Session, *, actor, disbursement: Disbursement) -> Disbursement:
    """Finance approves a requested disbursement; never the person who requested it.

    Raises:
        NotAllowed: not finance of the grant's district, or the requester themselves.
        DomainError: not awaiting approval, or the grant may not be paid now.
    """
    grant, disbursement = _locked_for_finance(session, actor, disbursement)
    if disbursement.requested_by_id == actor.id:
        raise NotAllowed(_("不能审批自己申请的拨款：须由申请人以外的另一位财务人员审批。"))
    _expect(disbursement, D.REQUESTED)
    _check_payable(session, grant, disbursement)
    disbursement.approved_by_id = actor.id
    disbursement.approved_at = timeutil.now()
    disbursement_machine.transition(session, disbursement, D.APPROVED.value, actor=actor)
    return disbursement


def reject(session: Session, *, actor, disbursement: Disbursement, reason: str) -> Disbursement:
    """Finance refuses a requested disbursement, with a reason; the tranche may be requested again.

    Raises:
        NotAllowed: not finance of the grant's district.
        DomainError: not awaiting approval, or no reason given.
    """
    _grant, disbursement = _locked_for_finance(session, actor, disbursement)
    _expect(disbursement, D.REQUESTED)
    reason = _reason(reason)
    disbursement.note = reason
    disbursement_machine.transition(session, disbursement, D.REJECTED.value, actor=actor, reason=reason)
    return disbursement


def record_payment(
    session: Session, *, actor, disbursement: Disbursement, paid_on: date, voucher_ref: str
) -> Disbursement:
    """Record that an approved disbursement was transferred: its ledger entry, in the same
    transaction; the first payment of a signed grant starts it (signed → in progress).

    Raises:
        NotAllowed: not finance of the grant's district.
        DomainError: not approved (or already paid), no voucher, a date in the future or before
            the agreement, the grant may not be paid now, or Σ paid would exceed the approved amount.
    """
    grant, disbursement = _locked_for_finance(session, actor, disbursement)
    if disbursement.status == D.PAID.value:
        raise Conflict(_("这笔拨款已经登记拨付，不能重复登记。"))
    _expect(disbursement, D.APPROVED)
    voucher = (voucher_ref or "").strip()
    if not voucher:
        raise DomainError(_("请填写凭证号。"), field="voucher_ref")
    if len(voucher) > ledger.MAX_REF_LENGTH:
        raise DomainError(_("凭证号不能超过%(max)d个字符。", max=ledger.MAX_REF_LENGTH), field="voucher_ref")
    if paid_on > timeutil.today():
        raise DomainError(_("拨付日期不能晚于今天。"), field="paid_on")
    if grant.signed_on is not None and paid_on < grant.signed_on:
        raise DomainError(_("拨付日期不能早于协议签订日期。"), field="paid_on")
    tranche = _check_payable(session, grant, disbursement)
    _check_within_approved(
        session, grant, disbursement.amount_fen, committed=balances.of_grant(session, grant.id).paid_fen
    )
    entry = ledger.record(
        session,
        grant=grant,
        kind=LedgerKind.DISBURSEMENT.value,
        amount_fen=disbursement.amount_fen,
        ref=voucher,
        actor=actor,
        note=tranche.name,
    )
    disbursement.paid_on, disbursement.voucher_ref = paid_on, voucher
    disbursement.paid_by_id, disbursement.ledger_entry_id = actor.id, entry.id
    disbursement_machine.transition(session, disbursement, D.PAID.value, actor=actor)
    if grant.status == GrantStatus.SIGNED.value:
        grant_machine.transition(session, grant, GrantStatus.IN_PROGRESS.value, actor=actor, by_step=True)
    return disbursement


def record_failure(session: Session, *, actor, disbursement: Disbursement, reason: str) -> Disbursement:
    """An approved transfer did not go out: nothing moved; the tranche may be requested again.

    Raises:
        NotAllowed: not finance of the grant's district.
        DomainError: not approved, or no reason given.
    """
    _grant, disbursement = _locked_for_finance(session, actor, disbursement)
    _expect(disbursement, D.APPROVED)
    reason = _reason(reason)
    disbursement.note = reason
    disbursement_machine.transition(session, disbursement, D.FAILED.value, actor=actor, reason=reason)
    return disbursement


def record_returned(session: Session, *, actor, disbursement: Disbursement, reason: str) -> Disbursement:
    """A paid transfer came back from the bank: an opposite ledger entry (payment_returned); the
    tranche may be requested again.

    Raises:
        NotAllowed: not finance of the grant's district.
        DomainError: not paid, the grant is settled, no reason given, or refunds already
            recorded exceed what would remain paid (the ledger would go below zero).
    """
    grant, disbursement = _locked_for_finance(session, actor, disbursement)
    _expect(disbursement, D.PAID)
    if grant.status == GrantStatus.SETTLED.value:
        raise DomainError(_("资助项目已结项结算，不能再登记款项退回。"))
    reason = _reason(reason)
    figures = balances.of_grant(session, grant.id)
    if figures.held_fen - disbursement.amount_fen < 0:
        # The unit already returned money it would then never have received (a refund recorded
        # after this payment): the ledger would show more money back than out.
        raise DomainError(
            _(
                "已登记结余退回%(refunded)s，这笔款项退回后实际拨付只剩%(paid)s，少于已退回的金额。请先核对结余退回记录。",
                refunded=balances.yuan(figures.refunded_fen),
                paid=balances.yuan(figures.paid_fen - disbursement.amount_fen),
            )
        )
    ledger.record(
        session,
        grant=grant,
        kind=LedgerKind.PAYMENT_RETURNED.value,
        amount_fen=-disbursement.amount_fen,
        ref=disbursement.voucher_ref,
        actor=actor,
        note=reason,
    )
    disbursement.note = reason
    disbursement_machine.transition(session, disbursement, D.RETURNED.value, actor=actor, reason=reason)
    return disbursement


# --- rules ---------------------------------------------------------------------------------------


def _district_id(session: Session, grant: Grant) -> int:
    return session.get(Edition, grant.edition_id).district_id


def _locked_for_finance(session: Session, actor, disbursement: Disbursement) -> tuple[Grant, Disbursement]:
    """The grant locked and the disbursement re-read under the lock, for finance of its district."""
    grant = session.get(Grant, disbursement.grant_id)
    if not policy.is_finance(actor, grant):
        raise NotAllowed(_("只有本区财务人员可以办理拨款。"))
    grant = service.lock(session, grant)
    return grant, session.get(Disbursement, disbursement.id, populate_existing=True)


def _expect(disbursement: Disbursement, status: DisbursementStatus) -> None:
    if disbursement.status != status.value:
        raise InvalidTransition(
            _(
                "这笔拨款当前为“%(current)s”，不能办理（须为“%(expected)s”）。",
                current=disbursement_status_label(disbursement.status),
                expected=disbursement_status_label(status.value),
            )
        )


def _check_payable(session: Session, grant: Grant, disbursement: Disbursement) -> Tranche:
    tranche = session.get(Tranche, disbursement.tranche_id)
    if why := service.condition_refusal(session, grant, tranche):
        raise DomainError(why)
    return tranche


def _check_within_approved(session: Session, grant: Grant, amount_fen: int, *, committed: int) -> None:
    if committed + amount_fen > grant.approved_fen:
        raise DomainError(
            _(
                "拨款总额不能超过核定金额：已拨付或在办%(committed)s，本次%(amount)s，核定%(approved)s。",
                committed=balances.yuan(committed),
                amount=balances.yuan(amount_fen),
                approved=balances.yuan(grant.approved_fen),
            )
        )


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写原因。"), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("原因不能超过%(max)d个字符。", max=MAX_REASON), field="reason")
    return reason


def _live_of(session: Session, tranche_id: int) -> Disbursement | None:
    return session.scalars(
        select(Disbursement).where(
            Disbursement.tranche_id == tranche_id, Disbursement.status.in_(LIVE_DISBURSEMENT_STATUSES)
        )
    ).first()


def _live_total(session: Session, grant_id: int) -> int:
    """Σ of the grant's disbursements requested, approved or paid: what is paid or on its way."""
    total = session.scalar(
        select(func.coalesce(func.sum(Disbursement.amount_fen), 0)).where(
            Disbursement.grant_id == grant_id, Disbursement.status.in_(LIVE_DISBURSEMENT_STATUSES)
        )
    )
    return int(total)


def parse_paid_on(value: str) -> date:
    """The payment date as typed (YYYY-MM-DD).

    Raises: DomainError when it is missing or not a date.
    """
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        raise DomainError(_("请按“年-月-日”填写拨付日期。"), field="paid_on") from None
