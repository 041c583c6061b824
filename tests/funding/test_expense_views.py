"""Expense pages: the lead's form from a phone, review buttons, the permission-checked receipt,
and every route refused to another team, another community's staff, a judge and anonymous."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.funding import expenses
from grants.funding.models import BudgetItem, Expense
from tests.funding.test_expenses import APPROVED, photo


@pytest.fixture
def grant(make_grant, sign_grant, world, kept):
    def build():
        return sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))

    return kept("funding.expense_views.grant", build)


@pytest.fixture
def item(session, grant):
    return session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).first()


def form(item, **changes):
    data = {
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
    data.update(changes)
    return data


@pytest.fixture
def expense(session, app, grant, item, kept):
    def build():
        made = expenses.record_expense(
            session,
            actor=grant.proposal.applicant,
            grant=grant,
            data=expenses.ExpenseData(
                spent_on=date(2026, 11, 25),
                item_id=item.id,
                payee="文印店",
                amount_fen=5_000,
                purpose="海报",
                invoice_no="AB12345678",
                receipt=expenses.Upload("r.jpg", photo(), app.config["ATTACHMENT_MAX_BYTES"]),
            ),
            upload_dir=Path(app.config["UPLOAD_DIR"]),
        )
        session.commit()
        return made

    return kept("funding.expense_views.expense", build)


def test_the_lead_records_an_expense_from_the_form(client, login_as, grant, item, session):
    login_as(grant.proposal.applicant)
    page = client.get(f"/funding/grants/{grant.id}/expenses/new")
    assert page.status_code == 200 and "记一笔支出" in page.text and 'capture="environment"' in page.text
    response = client.post(f"/funding/grants/{grant.id}/expenses/new", data=form(item))
    assert response.status_code == 302
    made = session.scalars(select(Expense)).one()
    assert (made.amount_fen, made.invoice_no, made.status) == (30_000, "261100000001", "pending")
    shown = client.get(f"/funding/grants/{grant.id}")
    assert "261100000001" in shown.text and "待审核" in shown.text and "¥700.00" in shown.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "1000.01"}, "余额¥1,000.00"),
        ({"amount": "abc"}, "金额请填写数字"),
        ({"spent_on": "2026-13-01"}, "年-月-日"),
        ({"quantity": "two", "unit_price": "10"}, "数量请填写正整数"),
        ({"invoice_no": "12"}, "8到20位"),
        ({"receipt": (io.BytesIO(b""), "")}, "请上传票据"),
    ],
)
def test_a_refused_form_shows_why_keeps_what_was_typed_and_changes_nothing(
    client, login_as, grant, item, session, changes, message
):
    login_as(grant.proposal.applicant)
    response = client.post(f"/funding/grants/{grant.id}/expenses/new", data=form(item, **changes))
    assert response.status_code == 400 and message in response.text and "花鸟市场" in response.text
    assert session.scalar(select(func.count()).select_from(Expense)) == 0


def test_a_suspended_grant_shows_no_form_button_and_refuses_the_post(client, login_as, grant, item, session, world):
    grant.status = "suspended"  # test setup
    session.commit()
    login_as(grant.proposal.applicant)
    page = client.get(f"/funding/grants/{grant.id}").text
    assert "expenses/new" not in page and "资助已停拨，恢复之前不能登记支出。" in page  # the page says why
    response = client.post(f"/funding/grants/{grant.id}/expenses/new", data=form(item))
    assert response.status_code == 400 and "停拨" in response.text
    assert session.scalar(select(func.count()).select_from(Expense)) == 0
    login_as(world.staff_a)  # reviews expenses but records none: no such hint for them
    staff_page = client.get(f"/funding/grants/{grant.id}")
    assert staff_page.status_code == 200 and "恢复之前不能登记支出" not in staff_page.text


def test_staff_review_from_the_grant_page(client, login_as, grant, expense, world, session):
    login_as(world.staff_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert f"/funding/expenses/{expense.id}/review" in page.text
    refused = client.post(f"/funding/expenses/{expense.id}/review", data={"decision": "reject", "reason": ""})
    assert refused.status_code == 302
    assert "请填写原因" in client.get(f"/funding/grants/{grant.id}").text
    assert session.get(Expense, expense.id).status == "pending"
    client.post(f"/funding/expenses/{expense.id}/review", data={"decision": "accept"})
    session.expire_all()
    assert session.get(Expense, expense.id).status == "accepted"


def test_the_receipt_is_served_to_viewers_of_the_grant(client, login_as, grant, expense, world):
    for user in (grant.proposal.applicant, world.staff_a, world.organizer_a, world.finance_a):
        login_as(user)
        response = client.get(f"/funding/expenses/{expense.id}/receipt")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"


def _outsiders(make, world):
    other_team = make.user("other_lead", community=world.community_a)
    staff_a2 = make.user("staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    return {
        "other_team": other_team,
        "staff_b": world.staff_b,
        "staff_a2": staff_a2,
        "organizer_b": world.organizer_b,
        "judge": world.judge_a,
    }


def _routes(grant, expense):
    return [
        ("get", f"/funding/grants/{grant.id}/expenses/new"),
        ("post", f"/funding/grants/{grant.id}/expenses/new"),
        ("post", f"/funding/expenses/{expense.id}/review"),
        ("get", f"/funding/expenses/{expense.id}/receipt"),
    ]


def test_every_expense_route_is_a_404_for_those_who_may_not_see_the_grant(
    client, login_as, grant, expense, make, world, session
):
    for who, user in _outsiders(make, world).items():
        login_as(user)
        for method, url in _routes(grant, expense):
            data = {"decision": "accept"} if method == "post" else None
            response = getattr(client, method)(url, data=data)
            assert response.status_code == 404, (who, method, url)
    assert session.get(Expense, expense.id).status == "pending"


def test_every_expense_route_sends_anonymous_to_the_login(client, grant, expense):
    for method, url in _routes(grant, expense):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)


def test_who_sees_the_grant_but_may_not_act_gets_403(client, login_as, grant, expense, world, session):
    login_as(world.staff_a)  # a reviewer, not the lead
    assert client.get(f"/funding/grants/{grant.id}/expenses/new").status_code == 403
    login_as(world.finance_a)
    assert client.post(f"/funding/expenses/{expense.id}/review", data={"decision": "accept"}).status_code == 403
    login_as(grant.proposal.applicant)
    assert client.post(f"/funding/expenses/{expense.id}/review", data={"decision": "accept"}).status_code == 403
    assert session.get(Expense, expense.id).status == "pending"


def test_the_grant_page_issues_the_same_queries_for_one_expense_or_many(
    client, login_as, grant, expense, session, query_counter, app, item
):
    lead = grant.proposal.applicant
    login_as(lead)
    url = f"/funding/grants/{grant.id}"
    with query_counter() as few:
        assert client.get(url).status_code == 200
    for n in range(5):
        expenses.record_expense(
            session,
            actor=lead,
            grant=grant,
            data=expenses.ExpenseData(
                spent_on=date(2026, 11, 26),
                item_id=item.id,
                payee="店",
                amount_fen=100,
                purpose="物",
                invoice_no=f"CD1234567{n}",
                receipt=expenses.Upload("r.jpg", photo(), app.config["ATTACHMENT_MAX_BYTES"]),
            ),
            upload_dir=Path(app.config["UPLOAD_DIR"]),
        )
    session.commit()
    with query_counter() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
