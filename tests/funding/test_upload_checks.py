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
from tests.funding.test_agreement_signing import _form as agreement_form
from tests.funding.test_expense_views import form as expense_form
from tests.funding.test_expenses import APPROVED, photo


@pytest.fixture
def grant(make_grant, world):
    return make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a)


def _lead_of_started(session, grant, sign_grant, world):
    start(session, sign_grant(grant), world)
    return session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant.id)).first(), lead(session, grant)


def test_the_agreement_scan_is_reencoded_before_the_transaction(client, login_as, world, grant, reencoding):
    login_as(world.organizer_a)
    answer = client.post(f"/funding/grants/{grant.id}/sign", data=agreement_form(), content_type="multipart/form-data")
    assert answer.status_code == 302
    assert reencoding == [False]


def test_a_receipt_and_report_photos_are_reencoded_before_the_transaction(
    client, login_as, grant, sign_grant, world, session, reencoding
):
    item, leader = _lead_of_started(session, grant, sign_grant, world)
    login_as(leader)
    assert client.post(f"/funding/grants/{grant.id}/expenses/new", data=expense_form(item)).status_code == 302
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
    item, leader = _lead_of_started(session, grant, sign_grant, world)
    login_as(leader)
    bad = expense_form(item, receipt=(io.BytesIO(b"MZ not a picture at all"), "发票.jpg"))
    answer = client.post(f"/funding/grants/{grant.id}/expenses/new", data=bad)
    assert answer.status_code == 400 and "只能上传照片" in answer.text
    assert session.scalar(select(func.count(Expense.id))) == 0
