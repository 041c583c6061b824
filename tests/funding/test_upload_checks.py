"""The funding pages' uploads (the agreement's scan, an expense's receipt, a report's photos) are
checked and re-encoded before the view's write transaction starts: re-encoding a phone's photo
takes a good fraction of a second, in which SQLite's one write lock, which every request's writes
wait for, would be held (the ``reencoding`` fixture records each re-encoding)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from grants.funding.models import BudgetItem, Expense, GrantReportPhoto
from tests.funding.reporting import lead, start
from tests.funding.test_expenses import APPROVED, photo


@pytest.fixture
def grant(make_grant, world):
    return make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a)


def test_the_agreement_scan_is_reencoded_before_the_transaction(client, login_as, world, grant, session, reencoding):
    login_as(world.organizer_a)
    data = {
        "signed_on": "2026-11-20",
        "receiving_unit": "甲一社区居民委员会",
        "account_name": "甲一社区居民委员会",
        "account_bank": "农业银行城关支行",
        "account_no": "6228 4800 1234 5678",
        "scan": (io.BytesIO(photo()), "协议.jpg"),
    }
    answer = client.post(f"/funding/grants/{grant.id}/sign", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302
    assert reencoding == [False]


def test_a_receipt_and_report_photos_are_reencoded_before_the_transaction(
    client, login_as, grant, sign_grant, world, session, reencoding
):
    start(session, sign_grant(grant), world)
    item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant.id)).first()
    login_as(lead(session, grant))
    expense = {
        "spent_on": "2026-11-25",
        "item_id": str(item.id),
        "payee": "花鸟市场",
        "amount": "300",
        "purpose": "花盆",
        "unit_price": "",
        "quantity": "",
        "invoice_no": "2611 0000 0001",
        "receipt": (io.BytesIO(photo()), "发票.jpg"),
    }
    assert client.post(f"/funding/grants/{grant.id}/expenses/new", data=expense).status_code == 302
    report = {
        "summary": "三次活动，居民共同种植。",
        "beneficiaries": "80",
        "activities_count": "3",
        "photos": [(io.BytesIO(photo()), "现场1.jpg"), (io.BytesIO(photo()), "现场2.jpg")],
    }
    answer = client.post(
        f"/funding/grants/{grant.id}/reports/new?kind=midterm", data=report, content_type="multipart/form-data"
    )
    assert answer.status_code == 302, answer.text[:400]
    assert reencoding == [False, False, False]
    assert session.scalar(select(func.count(Expense.id))) == 1
    assert session.scalar(select(func.count(GrantReportPhoto.id))) == 2


def test_a_bad_receipt_is_refused_before_any_transaction_and_changes_nothing(
    client, login_as, grant, sign_grant, world, session
):
    start(session, sign_grant(grant), world)
    item = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant.id)).first()
    login_as(lead(session, grant))
    expense = {
        "spent_on": "2026-11-25",
        "item_id": str(item.id),
        "payee": "花鸟市场",
        "amount": "300",
        "purpose": "花盆",
        "invoice_no": "2611 0000 0001",
        "receipt": (io.BytesIO(b"MZ not a picture at all"), "发票.jpg"),
    }
    answer = client.post(f"/funding/grants/{grant.id}/expenses/new", data=expense)
    assert answer.status_code == 400 and "只能上传照片" in answer.text
    assert session.scalar(select(func.count(Expense.id))) == 0
