"""Reconciliation (issue 13 item 9): a consistent world agrees; each rule broken by a raw insert
(the ledger is append-only: insert only) is named with its grant; page and CLI."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select, update

from grants import timeutil
from grants.funding import reconcile
from grants.funding.models import (
    BudgetItem,
    BudgetVersion,
    BudgetVersionLine,
    Disbursement,
    Expense,
    Grant,
    LedgerEntry,
    Tranche,
)
from grants.funding.reconcile import Books, Entry, Payment, check_grant
from tests.funding import books as b


@pytest.fixture
def consistent(session, world, make_grant, sign_grant, kept):
    """Three grants of edition A: one signed and unpaid, one in progress with its first tranche
    paid and expenses, one settled (paid, spent, surplus refunded); and an unsigned one."""

    def build():
        w = world

        def make_grant_a(edition, *, approved_fen):
            return make_grant(edition, approved_fen=approved_fen, community=w.community_a)

        unsigned = make_grant_a(w.edition_a, approved_fen=100_000)
        signed = sign_grant(make_grant_a(w.edition_a, approved_fen=200_000))
        running = sign_grant(make_grant_a(w.edition_a, approved_fen=300_000))
        settled = sign_grant(make_grant_a(w.edition_a, approved_fen=150_000))
        first = b.tranches(session, running)[0]
        b.pay(session, running, first, requester=w.organizer_a, approver=w.finance_a)
        b.spend(session, running, 50_000, recorder=w.resident, reviewer=w.staff_a)
        b.spend(session, running, 7_000, recorder=w.resident, status="pending")
        b.spend(session, running, 3_000, recorder=w.resident, reviewer=w.staff_a, status="rejected")
        for tranche in b.tranches(session, settled):
            b.pay(session, settled, tranche, requester=w.organizer_a, approver=w.finance_a)
        b.spend(session, settled, 140_000, recorder=w.resident, reviewer=w.staff_a)
        b.refund(session, settled, 10_000, actor=w.finance_a)
        session.execute(update(Grant).where(Grant.id.in_([running.id])).values(status="in_progress"))
        session.execute(update(Grant).where(Grant.id == settled.id).values(status="settled"))
        session.commit()
        return {"unsigned": unsigned, "signed": signed, "running": running, "settled": settled}

    return kept("funding.reconcile.consistent", build)


def _problems(session, grant) -> list[str]:
    summary = reconcile.reconcile(session, grant.edition_id)
    return next(r for r in summary.results if r.grant_id == grant.id).problems


def test_a_consistent_world_agrees(session, consistent):
    summary = reconcile.reconcile(session, consistent["running"].edition_id)
    assert summary.ok, [(r.grant_id, r.problems) for r in summary.failing]
    assert len(summary.results) == 4
    assert summary.approved_fen == 750_000
    running_paid = b.tranches(session, consistent["running"])[0].amount_fen
    assert summary.paid_fen == running_paid + 150_000
    assert summary.refunded_fen == 10_000
    assert summary.accepted_fen == 190_000
    assert summary.ledger_fen == running_paid + 150_000 - 10_000


def _insert(session, model, **values):
    row = session.execute(insert(model.__table__).values(**values).returning(model.__table__.c.id)).scalar_one()
    session.commit()
    return row


def test_tranches_not_adding_up_to_the_approved_amount_are_named(session, consistent):
    grant = consistent["signed"]
    _insert(
        session,
        Tranche,
        grant_id=grant.id,
        position=9,
        name="追加",
        percent_bp=100,
        condition="on_signing",
        amount_fen=1,
    )
    assert any("各期金额合计" in p for p in _problems(session, grant))
    assert not _problems(session, consistent["running"])  # the others still agree


def test_a_budget_not_adding_up_is_named(session, consistent):
    grant = consistent["signed"]
    version = session.scalar(select(BudgetVersion).where(BudgetVersion.grant_id == grant.id))
    category_id = b.items(session, grant)[0].category_id
    item_id = _insert(session, BudgetItem, grant_id=grant.id, position=9, category_id=category_id, item="多出来的")
    _insert(
        session,
        BudgetVersionLine,
        version_id=version.id,
        item_id=item_id,
        unit_price_fen=500,
        quantity=1,
        amount_fen=500,
    )
    assert any("现行预算各行合计" in p for p in _problems(session, grant))


def test_a_newer_budget_version_is_the_one_checked(session, world, consistent):
    grant = consistent["signed"]
    item = b.items(session, grant)[0]
    version_id = _insert(
        session, BudgetVersion, grant_id=grant.id, number=2, total_fen=200_000, approved_by_id=world.organizer_a.id
    )
    _insert(
        session,
        BudgetVersionLine,
        version_id=version_id,
        item_id=item.id,
        unit_price_fen=1,
        quantity=1,
        amount_fen=199_999,
    )
    assert any("现行预算各行合计" in p for p in _problems(session, grant))


def _disbursement(session, world, grant, tranche, **values):
    base = dict(
        grant_id=grant.id,
        tranche_id=tranche.id,
        amount_fen=tranche.amount_fen,
        status="paid",
        requested_by_id=world.organizer_a.id,
        approved_by_id=world.finance_a.id,
        paid_by_id=world.finance_a.id,
        paid_on=date(2026, 11, 30),
        voucher_ref="PZ-X",
    )
    base.update(values)
    return _insert(session, Disbursement, **base)


def test_a_paid_disbursement_without_its_ledger_entry_is_named(session, world, consistent):
    grant = consistent["running"]
    second = b.tranches(session, grant)[1]
    _disbursement(session, world, grant, second)
    problems = _problems(session, grant)
    assert any("没有对应的拨款流水" in p for p in problems), problems


def test_a_ledger_disbursement_without_a_paid_disbursement_is_named(session, world, consistent):
    grant = consistent["signed"]
    _insert(
        session,
        LedgerEntry,
        grant_id=grant.id,
        kind="disbursement",
        amount_fen=5_000,
        ref="PZ-?",
        note="",
        actor_id=world.finance_a.id,
    )
    problems = _problems(session, grant)
    assert any("没有对应的已付款拨付单" in p for p in problems), problems


def test_a_ledger_entry_of_another_amount_is_named(session, world, consistent):
    grant = consistent["running"]
    second = b.tranches(session, grant)[1]
    entry = _insert(
        session,
        LedgerEntry,
        grant_id=grant.id,
        kind="disbursement",
        amount_fen=1,
        ref="PZ-2",
        note="",
        actor_id=world.finance_a.id,
    )
    _disbursement(session, world, grant, second, ledger_entry_id=entry)
    problems = _problems(session, grant)
    assert any("对应流水金额" in p for p in problems), problems


def test_a_tranche_paid_twice_is_named(session, world, consistent):
    """A second payment of the first tranche (recorded as a bounced payment whose return never
    reached the ledger): the ledger holds the tranche twice."""
    grant = consistent["running"]
    first = b.tranches(session, grant)[0]
    entry = _insert(
        session,
        LedgerEntry,
        grant_id=grant.id,
        kind="disbursement",
        amount_fen=first.amount_fen,
        ref="PZ-9",
        note="",
        actor_id=world.finance_a.id,
    )
    _disbursement(session, world, grant, first, status="returned", ledger_entry_id=entry)
    problems = _problems(session, grant)
    assert any("重复拨付" in p for p in problems), problems


def test_one_entry_claimed_by_two_disbursements_is_named(session, world, consistent):
    grant = consistent["running"]
    paid = session.scalar(select(Disbursement).where(Disbursement.grant_id == grant.id))
    second = b.tranches(session, grant)[1]
    _disbursement(session, world, grant, second, amount_fen=paid.amount_fen, ledger_entry_id=paid.ledger_entry_id)
    problems = _problems(session, grant)
    assert any("多张拨付单" in p for p in problems), problems


def test_paid_beyond_the_approved_amount_is_named(session, world, consistent):
    grant = consistent["running"]
    _insert(
        session,
        LedgerEntry,
        grant_id=grant.id,
        kind="correction",
        amount_fen=10_000_000,
        ref="",
        note="",
        actor_id=world.finance_a.id,
    )
    problems = _problems(session, grant)
    assert any("超过核定金额" in p for p in problems), problems


def test_refunds_beyond_what_is_held_are_named(session, world, consistent):
    grant = consistent["running"]
    _insert(
        session,
        LedgerEntry,
        grant_id=grant.id,
        kind="refund",
        amount_fen=-10_000_000,
        ref="",
        note="",
        actor_id=world.finance_a.id,
    )
    problems = _problems(session, grant)
    assert any("超过已拨付" in p for p in problems), problems


def test_a_settled_grant_that_does_not_balance_is_named(session, world, consistent):
    grant = consistent["settled"]
    item = b.items(session, grant)[0]
    _insert(
        session,
        Expense,
        grant_id=grant.id,
        edition_id=grant.edition_id,
        item_id=item.id,
        spent_on=date(2026, 11, 29),
        payee="迟来的发票",
        amount_fen=2_000,
        purpose="补录",
        invoice_no="LATE-1",
        status="accepted",
        recorded_by_id=world.resident.id,
        recorded_at=timeutil.now(),
    )
    problems = _problems(session, grant)
    assert any("账目未平" in p for p in problems), problems
    assert not _problems(session, consistent["running"])


def test_check_grant_is_pure_and_names_each_rule():
    books = Books(1, "楼道微花园", "settled", 1000, tranches={1: 600, 2: 400}, budget_fen=1000, budget_total_fen=1000)
    books.entries = [
        Entry(1, "disbursement", 600, None),
        Entry(2, "disbursement", 400, None),
        Entry(3, "refund", -100, None),
    ]
    books.payments = [Payment(1, 1, 600, "paid", 1), Payment(2, 2, 400, "paid", 2)]
    books.accepted_fen = 900
    assert check_grant(books).ok
    books.accepted_fen = 800
    assert any("账目未平" in p for p in check_grant(books).problems)
    books.accepted_fen = 900
    books.entries.append(Entry(4, "correction", 100, 3))  # the refund reversed: not balanced any more
    assert check_grant(books).refunded_fen == 0
    assert not check_grant(books).ok


def test_the_page_names_the_grant_that_disagrees(client, login_as, session, world, consistent):
    grant = consistent["signed"]
    _insert(
        session,
        Tranche,
        grant_id=grant.id,
        position=9,
        name="追加",
        percent_bp=100,
        condition="on_signing",
        amount_fen=1,
    )
    login_as(world.finance_a)
    body = client.get(f"/funding/editions/{world.edition_a.id}/reconcile").get_data(as_text=True)
    assert "1个资助项目账目不符" in body
    assert f"/funding/grants/{grant.id}" in body and "各期金额合计" in body


def test_the_page_says_when_everything_agrees(client, login_as, world, consistent):
    login_as(world.organizer_a)
    body = client.get(f"/funding/editions/{world.edition_a.id}/reconcile").get_data(as_text=True)
    assert "全部4个资助项目账目相符" in body


def test_the_command_exits_1_and_names_the_grant(app, session, world, consistent):
    grant_id, edition_id, finance_id = consistent["running"].id, world.edition_a.id, world.finance_a.id
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["funding-reconcile", "--edition", str(edition_id)])
    assert ok.exit_code == 0, ok.output
    assert "4 grants, 0 disagree" in ok.output
    _insert(
        session,
        LedgerEntry,
        grant_id=grant_id,
        kind="refund",
        amount_fen=-10_000_000,
        ref="",
        note="",
        actor_id=finance_id,
    )
    bad = runner.invoke(args=["funding-reconcile"])
    assert bad.exit_code == 1
    assert f"grant {grant_id} (" in bad.output and "1 disagree" in bad.output
    missing = runner.invoke(args=["funding-reconcile", "--edition", "999999"])
    assert missing.exit_code != 0
