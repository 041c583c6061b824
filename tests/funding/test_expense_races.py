"""50 concurrent identical requests on the expense and budget change routes (the database the suite
runs on): one expense per invoice, one review per expense, one open budget change, one decision;
no 500, exactly the audit entries of the one that won, and no receipt file left by the losers."""

from __future__ import annotations

import io
import threading
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.funding import budget_changes, expenses
from grants.funding.budget_changes import ProposedLine
from grants.funding.models import BudgetChange, BudgetItem, BudgetVersion, Expense
from tests.funding.test_expenses import APPROVED, photo
from tests.integrity.test_races import _client_for

RACERS = 50


def _fire(app, user, url: str, make_data) -> Counter:
    """RACERS posts released together, each from its own browser with its own form data."""
    clients = [_client_for(app, user) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    answers: list[object] = [None] * RACERS

    def racer(i: int) -> None:
        data = make_data()
        barrier.wait()
        try:
            address = {"REMOTE_ADDR": f"10.78.{i // 200}.{i % 200 + 1}"}
            answers[i] = clients[i].post(url, data=data, environ_base=address).status_code
        except Exception as exc:  # reported as a failed answer below
            answers[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = Counter(answers)
    assert all(isinstance(status, int) for status in statuses), statuses
    assert statuses[500] == 0, statuses
    return statuses


def _audit(session) -> Counter:
    return Counter(dict(session.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action)).all()))


@pytest.fixture
def grant(make_grant, sign_grant, world):
    return sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))


@pytest.fixture
def items(session, grant):
    return session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).all()


def test_fifty_identical_expenses_record_one_and_leave_one_receipt_file(app, session, grant, items):
    upload_dir = Path(app.config["UPLOAD_DIR"])
    receipt, item_id = photo(), str(items[0].id)

    def data():
        return {
            "spent_on": "2026-11-25",
            "item_id": item_id,
            "payee": "花鸟市场",
            "amount": "300",
            "purpose": "花盆",
            "unit_price": "",
            "quantity": "",
            "invoice_no": "AB12345678",
            "receipt": (io.BytesIO(receipt), "发票.jpg"),
        }

    lead = grant.proposal.applicant
    url = f"/funding/grants/{grant.id}/expenses/new"
    session.commit()
    before = _audit(session)
    statuses = _fire(app, lead, url, data)
    session.commit()
    assert session.scalar(select(func.count()).select_from(Expense)) == 1
    assert statuses[302] == 1 and statuses[400] == RACERS - 1, statuses
    assert _audit(session) - before == Counter({"expense.record": 1})
    assert len([p for p in upload_dir.iterdir() if not p.name.startswith(".")]) == 1


def test_fifty_identical_reviews_decide_once(app, session, grant, items, world):
    expense = expenses.record_expense(
        session,
        actor=grant.proposal.applicant,
        grant=grant,
        data=expenses.ExpenseData(
            spent_on=date(2026, 11, 25),
            item_id=items[0].id,
            payee="店",
            amount_fen=10_000,
            purpose="物",
            invoice_no="AB12345678",
            receipt=expenses.Upload("r.jpg", photo(), app.config["ATTACHMENT_MAX_BYTES"]),
        ),
        upload_dir=Path(app.config["UPLOAD_DIR"]),
    )
    session.commit()
    expense_id = expense.id
    before = _audit(session)
    statuses = _fire(app, world.staff_a, f"/funding/expenses/{expense_id}/review", lambda: {"decision": "accept"})
    session.commit()
    assert session.get(Expense, expense_id).status == "accepted"
    assert statuses[302] == RACERS  # each is sent back to the grant page, the losers with a message
    assert _audit(session) - before == Counter({"expense.accept": 1})


def test_fifty_identical_budget_change_requests_open_one(app, session, grant, items):
    def data():
        return {
            "lines-0-unit_price": "40",
            "lines-0-quantity": "20",
            "lines-1-unit_price": "20",
            "lines-1-quantity": "20",
            "reason": "海报需求增加",
        }

    session.commit()
    before = _audit(session)
    statuses = _fire(app, grant.proposal.applicant, f"/funding/grants/{grant.id}/budget-changes/new", data)
    session.commit()
    assert session.scalar(select(func.count()).select_from(BudgetChange)) == 1
    assert statuses[302] == 1 and statuses[400] == RACERS - 1, statuses
    assert _audit(session) - before == Counter({"budget_change.request": 1})


def test_fifty_identical_approvals_make_one_version(app, session, grant, items, world):
    change = budget_changes.request_change(
        session,
        actor=grant.proposal.applicant,
        grant=grant,
        lines=[ProposedLine(items[0].id, None, "", 4_000, 20), ProposedLine(items[1].id, None, "", 2_000, 20)],
        reason="海报需求增加",
    )
    session.commit()
    change_id = change.id
    before = _audit(session)
    statuses = _fire(
        app, world.organizer_a, f"/funding/budget-changes/{change_id}/decide", lambda: {"decision": "approve"}
    )
    session.commit()
    assert session.scalar(select(func.count()).select_from(BudgetVersion)) == 2
    assert session.get(BudgetChange, change_id).status == "approved"
    assert statuses[302] == RACERS
    assert _audit(session) - before == Counter({"budget_change.approve": 1})
