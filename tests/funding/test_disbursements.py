# ruff: noqa: F811  (fixtures imported from tests/funding/disbursement_fixtures.py are parameters here)
"""Disbursements with four eyes: request, approve, reject, pay, fail, return, retry — the rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from grants import timeutil
from grants.audit.models import AuditEntry
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.funding import balances, disbursement_queries, disbursements, ledger, service
from grants.funding.models import Disbursement, GrantStatus, LedgerEntry
from tests.funding.disbursement_fixtures import (  # noqa: F401  (fixtures used here)
    PAID_ON,
    approved,
    finance_a2,
    finance_b,
    organizer_finance,
    paid,
    pass_final_evaluation,
    requested,
    signed,
    tranches,
)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_the_organizer_requests_a_tranche_whose_condition_holds_and_it_is_audited(session, world, signed, tranches):
    disbursement = disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    session.commit()
    assert disbursement.status == "requested" and disbursement.amount_fen == tranches[0].amount_fen == 228_001
    assert disbursement.requested_by_id == world.organizer_a.id and disbursement.approved_by_id is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "disbursement.request")).one()
    assert entry.object_type == "Disbursement" and entry.object_id == disbursement.id
    assert entry.district_id == world.district_a.id and entry.after["amount_fen"] == 228_001


def test_a_tranche_whose_condition_does_not_hold_is_refused_and_nothing_is_written(session, world, signed, tranches):
    before = _actions(session)
    with pytest.raises(DomainError, match="结项评估通过后"):
        disbursements.request(session, actor=world.organizer_a, tranche=tranches[1])
    session.rollback()
    assert _count(session, Disbursement) == 0 and _actions(session) == before
    pass_final_evaluation(session, signed, world.organizer_a, passed=False)
    with pytest.raises(DomainError, match="结项评估通过后"):
        disbursements.request(session, actor=world.organizer_a, tranche=tranches[1])
    session.rollback()
    pass_final_evaluation(session, signed, world.organizer_a)
    assert disbursements.request(session, actor=world.organizer_a, tranche=tranches[1]).status == "requested"


def test_a_suspended_grant_refuses_a_request(session, world, signed, paid, tranches):
    pass_final_evaluation(session, signed, world.organizer_a)
    service.change_status(session, actor=world.organizer_a, grant=signed, target="suspended", reason="中期评估不合格")
    session.commit()
    with pytest.raises(DomainError, match="已停拨"):
        disbursements.request(session, actor=world.organizer_a, tranche=tranches[1])
    session.rollback()
    assert _count(session, Disbursement) == 1


@pytest.mark.parametrize("step", ["approve", "pay"])
def test_a_suspended_grant_refuses_approval_and_payment_of_what_was_already_asked(
    session, world, signed, requested, step
):
    if step == "pay":
        disbursements.approve(session, actor=world.finance_a, disbursement=requested)
    signed = service.lock(session, signed)
    signed.status = GrantStatus.SUSPENDED.value  # test setup: suspended while the request is open
    session.commit()
    status = session.get(Disbursement, requested.id).status
    with pytest.raises(DomainError, match="已停拨"):
        if step == "approve":
            disbursements.approve(session, actor=world.finance_a, disbursement=requested)
        else:
            disbursements.record_payment(
                session, actor=world.finance_a, disbursement=requested, paid_on=PAID_ON, voucher_ref="PZ-1"
            )
    session.rollback()
    assert session.get(Disbursement, requested.id).status == status and _count(session, LedgerEntry) == 0


def test_a_tranche_is_requested_once_while_live(session, world, requested, tranches):
    with pytest.raises(DomainError, match="不能重复申请"):
        disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    session.rollback()
    assert _count(session, Disbursement) == 1


@pytest.mark.parametrize("who", ["staff_a", "finance_a", "judge_a", "resident", "organizer_b"])
def test_only_an_organizer_of_the_district_may_request(session, world, tranches, who):
    with pytest.raises(NotAllowed):
        disbursements.request(session, actor=getattr(world, who), tranche=tranches[0])
    session.rollback()
    assert _count(session, Disbursement) == 0


def test_the_sum_of_payments_may_not_exceed_the_approved_amount(session, world, signed, tranches):
    # A tranche amount that no longer fits: what is paid or on its way plus this exceeds the award.
    session.execute(text("UPDATE grants SET approved_fen = 300000 WHERE id = :g"), {"g": signed.id})
    session.commit()
    disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    session.commit()
    pass_final_evaluation(session, signed, world.organizer_a)
    with pytest.raises(DomainError, match="不能超过核定金额"):
        disbursements.request(session, actor=world.organizer_a, tranche=tranches[1])
    session.rollback()
    assert _count(session, Disbursement) == 1


def test_finance_approves_and_the_approver_is_recorded(session, world, requested):
    disbursements.approve(session, actor=world.finance_a, disbursement=requested)
    session.commit()
    row = session.get(Disbursement, requested.id)
    assert row.status == "approved" and row.approved_by_id == world.finance_a.id and row.approved_at is not None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "disbursement.approve")).one()
    assert entry.before == {"status": "requested"} and entry.after == {"status": "approved"}
    assert entry.actor_id == world.finance_a.id and entry.district_id == world.district_a.id


def test_an_organizer_who_also_holds_the_finance_role_cannot_approve_their_own_request(
    session, world, tranches, organizer_finance
):
    mine = disbursements.request(session, actor=organizer_finance, tranche=tranches[0])
    session.commit()
    with pytest.raises(NotAllowed, match="不能审批自己申请的拨款"):
        disbursements.approve(session, actor=organizer_finance, disbursement=mine)
    session.rollback()
    assert session.get(Disbursement, mine.id).status == "requested"
    # Another finance person may.
    disbursements.approve(session, actor=world.finance_a, disbursement=mine)
    session.commit()
    assert session.get(Disbursement, mine.id).approved_by_id == world.finance_a.id


def test_the_database_refuses_an_approver_who_is_the_requester(session, world, requested):
    with pytest.raises(IntegrityError):
        session.execute(
            text("UPDATE disbursements SET approved_by_id = requested_by_id, status = 'approved' WHERE id = :d"),
            {"d": requested.id},
        )
        session.flush()
    session.rollback()
    assert session.get(Disbursement, requested.id).status == "requested"


@pytest.mark.parametrize("who", ["organizer_a", "staff_a", "judge_a", "resident", "finance_b"])
def test_only_finance_of_the_district_may_approve_pay_or_reject(session, world, requested, finance_b, who):
    actor = finance_b if who == "finance_b" else getattr(world, who)
    with pytest.raises(NotAllowed):
        disbursements.approve(session, actor=actor, disbursement=requested)
    with pytest.raises(NotAllowed):
        disbursements.reject(session, actor=actor, disbursement=requested, reason="不符合")
    with pytest.raises(NotAllowed):
        disbursements.record_payment(session, actor=actor, disbursement=requested, paid_on=PAID_ON, voucher_ref="X")
    session.rollback()
    assert session.get(Disbursement, requested.id).status == "requested"


def test_reject_needs_a_reason_and_the_tranche_may_be_requested_again(session, world, requested, tranches):
    with pytest.raises(DomainError, match="请填写原因"):
        disbursements.reject(session, actor=world.finance_a, disbursement=requested, reason="  ")
    session.rollback()
    disbursements.reject(session, actor=world.finance_a, disbursement=requested, reason="收款账户待核实")
    session.commit()
    assert session.get(Disbursement, requested.id).note == "收款账户待核实"
    again = disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    session.commit()
    assert again.status == "requested" and _count(session, Disbursement) == 2


def test_payment_writes_the_ledger_entry_links_it_and_starts_the_grant(session, world, signed, approved):
    disbursements.record_payment(
        session, actor=world.finance_a, disbursement=approved, paid_on=PAID_ON, voucher_ref=" PZ-2026-001 "
    )
    session.commit()
    row = session.get(Disbursement, approved.id)
    entry = session.get(LedgerEntry, row.ledger_entry_id)
    assert row.status == "paid" and row.voucher_ref == "PZ-2026-001" and row.paid_on == PAID_ON
    assert row.paid_by_id == world.finance_a.id
    assert (entry.kind, entry.amount_fen, entry.ref) == ("disbursement", 228_001, "PZ-2026-001")
    assert ledger.balance(session, signed.id) == 228_001 == balances.of_grant(session, signed.id).paid_fen
    session.refresh(signed)
    assert signed.status == GrantStatus.IN_PROGRESS.value
    assert _actions(session)[-3:] == ["ledger.record", "disbursement.pay", "grant.start"]
    start = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant.start")).one()
    assert start.actor_id == world.finance_a.id


def test_a_tranche_is_paid_at_most_once(session, world, paid, tranches):
    with pytest.raises(DomainError, match="已经登记拨付"):
        disbursements.record_payment(
            session, actor=world.finance_a, disbursement=paid, paid_on=PAID_ON, voucher_ref="PZ-2"
        )
    session.rollback()
    with pytest.raises(DomainError, match="不能重复申请"):
        disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    session.rollback()
    assert _count(session, LedgerEntry) == 1


def test_the_database_allows_one_live_disbursement_per_tranche(session, world, paid):
    with pytest.raises(IntegrityError):
        session.add(
            Disbursement(
                grant_id=paid.grant_id,
                tranche_id=paid.tranche_id,
                amount_fen=paid.amount_fen,
                status="requested",
                requested_by_id=world.organizer_a.id,
            )
        )
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    ("paid_on", "voucher", "message"),
    [
        (PAID_ON, "  ", "请填写凭证号"),
        (PAID_ON, "X" * 81, "不能超过80个字符"),
        (None, "PZ-1", "不能晚于今天"),
        (date(2026, 11, 19), "PZ-1", "不能早于协议签订日期"),
    ],
)
def test_bad_payment_input_is_refused_and_changes_nothing(session, world, approved, paid_on, voucher, message):
    paid_on = paid_on or timeutil.today() + timedelta(days=1)
    before = _actions(session)
    with pytest.raises(DomainError, match=message):
        disbursements.record_payment(
            session, actor=world.finance_a, disbursement=approved, paid_on=paid_on, voucher_ref=voucher
        )
    session.rollback()
    assert session.get(Disbursement, approved.id).status == "approved"
    assert _count(session, LedgerEntry) == 0 and _actions(session) == before


def test_only_an_approved_disbursement_is_paid(session, world, requested):
    with pytest.raises(InvalidTransition, match="待审批"):
        disbursements.record_payment(
            session, actor=world.finance_a, disbursement=requested, paid_on=PAID_ON, voucher_ref="PZ-1"
        )
    session.rollback()
    assert _count(session, LedgerEntry) == 0


def test_a_failed_transfer_moves_nothing_and_the_retry_pays(session, world, finance_a2, signed, approved, tranches):
    with pytest.raises(DomainError, match="请填写原因"):
        disbursements.record_failure(session, actor=world.finance_a, disbursement=approved, reason="")
    session.rollback()
    disbursements.record_failure(session, actor=world.finance_a, disbursement=approved, reason="账号户名不符")
    session.commit()
    assert session.get(Disbursement, approved.id).status == "failed"
    assert _count(session, LedgerEntry) == 0 and ledger.balance(session, signed.id) == 0
    # Retry: requested again, approved by another person, paid.
    retry = disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    disbursements.approve(session, actor=finance_a2, disbursement=retry)
    disbursements.record_payment(
        session, actor=world.finance_a, disbursement=retry, paid_on=PAID_ON, voucher_ref="PZ-9"
    )
    session.commit()
    assert [d.status for d in session.scalars(select(Disbursement).order_by(Disbursement.id))] == ["failed", "paid"]
    assert ledger.balance(session, signed.id) == 228_001
    assert "disbursement.fail" in _actions(session)


def test_a_returned_payment_is_an_opposite_ledger_entry_and_the_tranche_may_be_paid_again(
    session, world, signed, paid, tranches
):
    disbursements.record_returned(session, actor=world.finance_a, disbursement=paid, reason="银行退票：账号有误")
    session.commit()
    row = session.get(Disbursement, paid.id)
    assert row.status == "returned" and row.note == "银行退票：账号有误"
    entries = ledger.entries(session, signed.id)
    assert [(e.kind, e.amount_fen) for e in entries] == [("disbursement", 228_001), ("payment_returned", -228_001)]
    assert balances.of_grant(session, signed.id).paid_fen == 0
    retry = disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    disbursements.approve(session, actor=world.finance_a, disbursement=retry)
    disbursements.record_payment(
        session, actor=world.finance_a, disbursement=retry, paid_on=PAID_ON, voucher_ref="PZ-10"
    )
    session.commit()
    assert ledger.balance(session, signed.id) == 228_001
    # Only a paid disbursement can come back.
    with pytest.raises(InvalidTransition):
        disbursements.record_returned(session, actor=world.finance_a, disbursement=paid, reason="再次")
    session.rollback()


def test_a_second_payment_leaves_the_grant_in_progress(session, world, signed, paid, tranches):
    pass_final_evaluation(session, signed, world.organizer_a)
    last = disbursements.request(session, actor=world.organizer_a, tranche=tranches[1])
    disbursements.approve(session, actor=world.finance_a, disbursement=last)
    disbursements.record_payment(session, actor=world.finance_a, disbursement=last, paid_on=PAID_ON, voucher_ref="PZ-2")
    session.commit()
    session.refresh(signed)
    assert signed.status == "in_progress" and ledger.balance(session, signed.id) == signed.approved_fen
    assert _count(session, AuditEntry, AuditEntry.action == "grant.start") == 1


def test_the_grant_page_rows_show_who_did_what(session, world, signed, paid):
    rows = disbursement_queries.tranche_rows(session, signed)
    first, last = rows
    assert first.refusal is None and "结项评估" in last.refusal
    (row,) = first.disbursements
    assert (row.requested_by, row.approved_by, row.paid_by) == ("org_a", "finance_a", "finance_a")
    assert first.live is row and last.live is None
