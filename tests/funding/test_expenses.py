"""Expenses with receipts: the lead records them against a line of the current budget; every rule
refuses with a clear message and changes nothing; reviewers of the grant's community accept or reject."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from grants import timeutil
from grants.audit.models import AuditEntry
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding import expenses, service
from grants.funding.models import BudgetItem, Expense, GrantStatus
from grants.proposals.models import Attachment, BudgetCategory

APPROVED = 120_000  # the factory proposal's budget: 花盆和土 ¥50 × 20 + 宣传海报 ¥20 × 10


def photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (40, 30), "white").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def grant(make_grant, sign_grant, world, kept):
    def build():
        return sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))

    return kept("funding.expenses.grant", build)


@pytest.fixture
def items(session, grant):
    return session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).all()


@pytest.fixture
def record(session, grant, items, app):
    """record(**changes): the lead records an expense (a valid one unless changed)."""

    def _record(*, actor=None, on=None, **changes):
        values = dict(
            spent_on=date(2026, 11, 25),
            item_id=items[0].id,
            payee="花鸟市场",
            amount_fen=30_000,
            purpose="花盆",
            invoice_no=" 2611 0000 0001 ",
            unit_price_fen=None,
            quantity=None,
            receipt=expenses.Upload("发票.jpg", photo(), app.config["ATTACHMENT_MAX_BYTES"]),
        )
        values.update(changes)
        target = on or grant
        return expenses.record_expense(
            session,
            actor=actor or target.proposal.applicant,
            grant=target,
            data=expenses.ExpenseData(**values),
            upload_dir=_upload_dir(app),
        )

    return _record


def _upload_dir(app):
    from pathlib import Path

    return Path(app.config["UPLOAD_DIR"])


def counts(session, app) -> tuple[int, int, int, int]:
    """(expenses, attachments, audit entries, files in the upload folder)."""
    upload_dir = _upload_dir(app)
    files = len(list(upload_dir.iterdir())) if upload_dir.exists() else 0
    return (
        session.scalar(select(func.count()).select_from(Expense)),
        session.scalar(select(func.count()).select_from(Attachment)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
        files,
    )


def refused(session, app, record, error, match, **changes):
    """The attempt raises ``error`` with ``match`` and leaves no row, file or audit entry."""
    session.commit()
    before = counts(session, app)
    with pytest.raises(error, match=match):
        record(**changes)
    session.rollback()
    assert counts(session, app) == before


def test_the_lead_records_an_expense_pending_with_a_clean_receipt_and_an_audit_entry(session, app, grant, record):
    expense = record()
    session.commit()
    assert expense.status == "pending" and expense.invoice_no == "261100000001"
    assert expense.edition_id == grant.edition_id and expense.amount_fen == 30_000
    receipt = session.get(Attachment, expense.receipt_id)
    assert receipt.proposal_id is None and receipt.mime == "image/jpeg"
    stored = (_upload_dir(app) / receipt.stored_name).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()  # re-encoded: no maker, no place
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "expense.record")).one()
    assert entry.after["invoice_no"] == "261100000001" and entry.after["amount_fen"] == 30_000


def test_an_expense_over_its_line_is_refused_and_changes_nothing(session, app, record, items):
    record(amount_fen=60_000, invoice_no="INV00000001")
    session.commit()
    # line 1 is ¥1,000: ¥600 pending, ¥400 left; ¥400.01 is one fen too much
    refused(session, app, record, DomainError, "余额¥400.00", amount_fen=40_001, invoice_no="INV00000002")
    record(amount_fen=40_000, invoice_no="INV00000003")
    session.commit()
    figures = {f.item.id: f for f in expenses.line_figures(session, items[0].grant_id)}
    assert figures[items[0].id].balance_fen == 0 and figures[items[0].id].pending_fen == 100_000


def test_a_reused_invoice_number_in_the_edition_is_refused_even_written_differently(
    session, app, record, make_grant, sign_grant, world, grant
):
    record(invoice_no="ab12345678")
    session.commit()
    other = sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))
    other_item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == other.id)).first()
    refused(session, app, record, Conflict, "AB12345678", invoice_no="AB 1234 5678", on=other, item_id=other_item.id)
    refused(session, app, record, Conflict, "已经登记过", invoice_no="ab12345678")


def test_an_invoice_in_another_edition_is_a_different_invoice(session, record, make_grant, sign_grant, world, make):
    record(invoice_no="AB12345678")
    session.commit()
    edition = make.edition(world.district_a, name="甲区第二届")
    other = sign_grant(make_grant(edition, approved_fen=APPROVED, community=world.community_a))
    other_item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == other.id)).first()
    assert record(invoice_no="AB12345678", on=other, item_id=other_item.id).status == "pending"


def test_a_rejected_expenses_invoice_number_can_be_used_again(session, record, world):
    first = record(invoice_no="AB12345678")
    session.commit()
    expenses.review_expense(session, actor=world.staff_a, expense=first, accept=False, reason="发票抬头不对")
    session.commit()
    again = record(invoice_no="AB12345678")
    session.commit()
    assert again.status == "pending" and first.status == "rejected"


def test_the_database_refuses_a_second_live_expense_with_the_same_invoice(session, record, grant, items):
    from sqlalchemy.exc import IntegrityError

    first = record(invoice_no="AB12345678")
    session.commit()
    copy = Expense(
        grant_id=grant.id,
        edition_id=grant.edition_id,
        item_id=items[1].id,
        spent_on=first.spent_on,
        payee="x",
        amount_fen=1,
        purpose="x",
        invoice_no="AB12345678",
        recorded_by_id=first.recorded_by_id,
    )
    session.add(copy)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    ("status", "match"),
    [
        (GrantStatus.SUSPENDED.value, "停拨"),
        (GrantStatus.TERMINATED.value, "已结束"),
        (GrantStatus.SETTLED.value, "已结束"),
    ],
)
def test_no_expense_on_a_grant_that_does_not_allow_spending(session, app, record, grant, status, match):
    grant.status = status  # test setup: the state as the lifecycle leaves it
    refused(session, app, record, DomainError, match)


def test_no_expense_before_the_agreement_is_signed(session, app, record, make_grant, world):
    unsigned = make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a)
    refused(session, app, record, DomainError, "签订后", on=unsigned)


def test_expenses_on_a_grant_in_progress_or_completing_are_accepted(session, record, grant):
    grant.status = GrantStatus.IN_PROGRESS.value
    session.commit()
    assert record(invoice_no="AB12345678").status == "pending"
    grant.status = GrantStatus.COMPLETING.value
    session.commit()
    assert record(invoice_no="AB12345679", amount_fen=1_000).status == "pending"


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"spent_on": None}, "支出日期"),
        ({"spent_on": "tomorrow"}, "不能晚于今天"),  # resolved when the test runs, not when collected
        ({"spent_on": date(2026, 11, 19)}, "不能早于协议签订日期"),
        ({"payee": "  "}, "收款方"),
        ({"purpose": ""}, "用途"),
        ({"amount_fen": 0}, "大于0"),
        ({"invoice_no": "1234567"}, "8到20位"),
        ({"invoice_no": "1234-5678-90"}, "8到20位"),
        ({"unit_price_fen": 1_000}, "同时填写"),
        ({"unit_price_fen": 1_000, "quantity": 3}, "不一致"),
        ({"receipt": None}, "票据"),
        ({"receipt": expenses.Upload("发票.jpg", b"MZ not a picture at all", 10 * 1024 * 1024)}, "只能上传照片"),
        ({"item_id": None}, "预算科目"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(session, app, record, changes, match):
    if changes.get("spent_on") == "tomorrow":
        changes = {**changes, "spent_on": timeutil.today() + timedelta(days=1)}
    refused(session, app, record, DomainError, match, **changes)


def test_a_line_of_another_grant_is_not_a_line_of_this_one(session, app, record, make_grant, sign_grant, world):
    other = sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))
    other_item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == other.id)).first()
    refused(session, app, record, DomainError, "预算科目", item_id=other_item.id)


def test_only_the_lead_records_expenses(session, app, record, world):
    for actor in (world.staff_a, world.organizer_a, world.resident):
        refused(session, app, record, NotAllowed, "项目负责人", actor=actor)


def test_the_unit_price_limit_holds_on_actual_spending(session, app, record, items):
    category = session.get(BudgetCategory, items[0].category_id)
    category.max_unit_price_fen = 10_000  # ¥100 per item
    session.commit()
    refused(session, app, record, DomainError, "单价不能超过¥100.00.*请填写单价和数量")
    refused(session, app, record, DomainError, "单价不能超过", unit_price_fen=15_000, quantity=2)
    assert record(unit_price_fen=5_000, quantity=6).unit_price_fen == 5_000


def test_the_category_share_holds_on_actual_spending_over_the_approved_amount(session, app, record, items):
    category = session.get(BudgetCategory, items[1].category_id)
    category.max_share_percent = 10  # ¥120 of the ¥1,200 approved
    session.commit()
    record(item_id=items[1].id, amount_fen=8_000, invoice_no="AB12345678")
    session.commit()
    refused(session, app, record, DomainError, "10%", item_id=items[1].id, amount_fen=4_001, invoice_no="AB12345679")
    assert record(item_id=items[1].id, amount_fen=4_000, invoice_no="AB12345679").status == "pending"


def test_staff_of_the_community_and_the_organizer_review_with_a_reason_for_a_rejection(session, record, world):
    first = record(invoice_no="AB12345678", amount_fen=10_000)
    second = record(invoice_no="AB12345679", amount_fen=10_000)
    session.commit()
    with pytest.raises(DomainError, match="请填写原因"):
        expenses.review_expense(session, actor=world.staff_a, expense=first, accept=False, reason="  ")
    session.rollback()
    assert first.status == "pending"
    expenses.review_expense(session, actor=world.staff_a, expense=first, accept=True, reason="")
    expenses.review_expense(session, actor=world.organizer_a, expense=second, accept=False, reason="与项目无关")
    session.commit()
    assert (first.status, first.reviewed_by_id) == ("accepted", world.staff_a.id)
    assert (second.status, second.review_note) == ("rejected", "与项目无关")
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("expense.%"))).all()
    assert sorted(actions) == ["expense.accept", "expense.record", "expense.record", "expense.reject"]
    with pytest.raises(InvalidTransition, match="已经审核过"):
        expenses.review_expense(session, actor=world.organizer_a, expense=first, accept=False, reason="改主意")
    session.rollback()
    assert first.status == "accepted"


def test_reviewers_of_another_community_or_district_and_the_lead_may_not_review(session, record, world, make, grant):
    from grants.auth.models import Role

    expense = record()
    session.commit()
    staff_a2 = make.user("staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    for actor in (world.staff_b, world.organizer_b, staff_a2, world.judge_a, world.finance_a, grant.proposal.applicant):
        with pytest.raises(NotAllowed):
            expenses.review_expense(session, actor=actor, expense=expense, accept=True, reason="")
        session.rollback()
    assert session.get(Expense, expense.id).status == "pending"


def test_line_figures_count_accepted_and_pending_and_ignore_rejected(session, record, items, world, grant):
    a = record(invoice_no="AB12345671", amount_fen=10_000)
    b = record(invoice_no="AB12345672", amount_fen=20_000)
    record(invoice_no="AB12345673", amount_fen=5_000)
    session.commit()
    expenses.review_expense(session, actor=world.staff_a, expense=a, accept=True, reason="")
    expenses.review_expense(session, actor=world.staff_a, expense=b, accept=False, reason="重复")
    session.commit()
    line = next(f for f in expenses.line_figures(session, grant.id) if f.item.id == items[0].id)
    assert (line.budget_fen, line.accepted_fen, line.pending_fen, line.balance_fen) == (100_000, 10_000, 5_000, 85_000)
    assert service.current_budget(session, grant.id).total_fen == APPROVED


def test_invoice_numbers_are_normalised():
    assert expenses.normalise_invoice(" ab 12\u30003456\t78 ") == "AB12345678"


def test_a_duplicate_booked_by_another_grant_since_the_check_gets_the_same_message(
    session, app, record, grant, make_grant, sign_grant, world, monkeypatch
):
    # Two grants have two locks: the other transaction commits between this one's check and insert.
    record(invoice_no="AB12345678")
    session.commit()
    other = sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))
    other_item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == other.id)).first()
    monkeypatch.setattr(expenses, "invoice_taken", lambda *args: False)
    refused(session, app, record, Conflict, "已经登记过", invoice_no="AB12345678", on=other, item_id=other_item.id)
