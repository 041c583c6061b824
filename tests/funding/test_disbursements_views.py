# ruff: noqa: F811  (fixtures imported from tests/funding/disbursement_fixtures.py are parameters here)
"""Disbursement pages: the tranches on the grant page, the actions as POSTs, finance's queue and menu,
and who may reach which route."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.funding import disbursements
from grants.funding.models import Disbursement, LedgerEntry
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

USER = 2  # every signed-in page: the user with their roles, and the unread messages in the menu


def _page(client, grant) -> str:
    return client.get(f"/funding/grants/{grant.id}").get_data(as_text=True)


def _status(session, disbursement_id: int) -> str:
    return session.get(Disbursement, disbursement_id, populate_existing=True).status


def test_the_whole_way_through_the_pages_with_four_eyes(client, login_as, session, world, signed, tranches):
    login_as(world.organizer_a)
    body = _page(client, signed)
    assert body.count("申请拨付本期") == 1 and "已满足" in body and "暂不满足" in body
    response = client.post(f"/funding/grants/{signed.id}/tranches/{tranches[0].id}/request", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "拨款申请已提交" in body and "待审批" in body
    disbursement = session.scalars(select(Disbursement)).one()
    assert "审批通过" not in body  # the organizer is not finance

    login_as(world.finance_a)
    assert "审批通过" in _page(client, signed) and "申请拨付本期" not in _page(client, signed)
    base = f"/funding/grants/{signed.id}/disbursements/{disbursement.id}"
    body = client.post(f"{base}/approve", follow_redirects=True).get_data(as_text=True)
    assert "拨款已审批" in body and _status(session, disbursement.id) == "approved"
    data = {"paid_on": PAID_ON.isoformat(), "voucher_ref": "PZ-2026-001"}
    body = client.post(f"{base}/pay", data=data, follow_redirects=True).get_data(as_text=True)
    assert "拨付已登记" in body and "PZ-2026-001" in body and "org_a" in body and "finance_a" in body
    assert _status(session, disbursement.id) == "paid"
    assert session.scalar(select(func.count(LedgerEntry.id))) == 1
    assert "登记款项退回" in body  # what finance may still do with a paid disbursement


def test_the_requester_holding_the_finance_role_cannot_approve_on_the_page(
    client, login_as, session, world, tranches, organizer_finance, signed
):
    mine = disbursements.request(session, actor=organizer_finance, tranche=tranches[0])
    session.commit()
    login_as(organizer_finance)
    body = _page(client, signed)
    assert "须由另一位财务人员审批" in body and "审批通过" not in body
    response = client.post(f"/funding/grants/{signed.id}/disbursements/{mine.id}/approve", follow_redirects=True)
    assert response.status_code == 200 and "不能审批自己申请的拨款" in response.get_data(as_text=True)
    assert _status(session, mine.id) == "requested"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paid_on": "", "voucher_ref": "PZ-1"}, "请按“年-月-日”填写拨付日期"),
        ({"paid_on": "2026-13-40", "voucher_ref": "PZ-1"}, "请按“年-月-日”填写拨付日期"),
        ({"paid_on": PAID_ON.isoformat(), "voucher_ref": " "}, "请填写凭证号"),
        ({"paid_on": "2099-01-01", "voucher_ref": "PZ-1"}, "拨付日期不能晚于今天"),
    ],
)
def test_bad_payment_input_gets_a_message_and_changes_nothing(
    client, login_as, session, world, signed, approved, data, message
):
    login_as(world.finance_a)
    response = client.post(f"/funding/grants/{signed.id}/disbursements/{approved.id}/pay", data=data)
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _status(session, approved.id) == "approved" and session.scalar(select(func.count(LedgerEntry.id))) == 0


@pytest.mark.parametrize(("action", "status"), [("reject", "requested"), ("failed", "approved"), ("returned", "paid")])
def test_reasons_are_required_and_kept(client, login_as, session, world, signed, paid, action, status):
    # Put the disbursement in the state the action starts from (test setup by SQL: paid → status).
    session.execute(
        Disbursement.__table__.update()
        .where(Disbursement.id == paid.id)
        .values(status=status, **({"paid_on": None, "voucher_ref": ""} if status != "paid" else {}))
    )
    session.commit()
    login_as(world.finance_a)
    url = f"/funding/grants/{signed.id}/disbursements/{paid.id}/{action}"
    body = client.post(url, data={"reason": " "}, follow_redirects=True).get_data(as_text=True)
    assert "请填写原因" in body and _status(session, paid.id) == status
    body = client.post(url, data={"reason": "银行退票"}, follow_redirects=True).get_data(as_text=True)
    expected = {"reject": "rejected", "failed": "failed", "returned": "returned"}[action]
    assert _status(session, paid.id) == expected and "银行退票" in body
    assert "申请拨付本期" not in body  # finance may not request; the organizer may again
    login_as(world.organizer_a)
    assert "申请拨付本期" in _page(client, signed)


def test_a_post_without_the_csrf_token_is_refused(client, login_as, session, world, signed, tranches):
    login_as(world.organizer_a)
    response = client.post(f"/funding/grants/{signed.id}/tranches/{tranches[0].id}/request", csrf=False)
    assert response.status_code == 400 and session.scalar(select(func.count(Disbursement.id))) == 0


def test_a_disbursement_of_another_grant_or_a_tranche_of_another_grant_is_not_found(
    client, login_as, session, world, signed, requested, make_grant, sign_grant
):
    other = sign_grant(make_grant(world.edition_a, community=world.community_a))
    login_as(world.finance_a)
    assert client.post(f"/funding/grants/{other.id}/disbursements/{requested.id}/approve").status_code == 404
    login_as(world.organizer_a)
    tranche_id = requested.tranche_id
    assert client.post(f"/funding/grants/{other.id}/tranches/{tranche_id}/request").status_code == 404
    assert client.post(f"/funding/grants/{signed.id}/tranches/999999/request").status_code == 404
    assert _status(session, requested.id) == "requested"


# --- who may reach which route -------------------------------------------------------------------

ACTIONS = ["request", "approve", "reject", "pay", "failed", "returned"]


def _url(action: str, grant, disbursement) -> str:
    if action == "request":
        return f"/funding/grants/{grant.id}/tranches/{disbursement.tranche_id}/request"
    return f"/funding/grants/{grant.id}/disbursements/{disbursement.id}/{action}"


@pytest.fixture
def outsiders(make_grant, make, world, finance_b):
    """People with nothing to do with the grant: another team's lead, another community's staff
    (of the same district and of another), a judge, another district's organizer and finance."""
    return {
        "another team": make_grant(world.edition_a, community=world.community_a2).proposal.applicant,
        "another community's staff": make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
        "another district's staff": world.staff_b,
        "a judge": world.judge_a,
        "another district's organizer": world.organizer_b,
        "another district's finance": finance_b,
    }


@pytest.mark.parametrize("action", ACTIONS)
def test_outsiders_get_404_and_anonymous_the_login_page_on_every_route(
    client, login_as, session, world, signed, requested, outsiders, action
):
    url = _url(action, signed, requested)
    data = {"reason": "x", "paid_on": PAID_ON.isoformat(), "voucher_ref": "PZ-1"}
    for who, user in outsiders.items():
        login_as(user)
        assert client.post(url, data=data).status_code == 404, who
        assert client.get(f"/funding/grants/{signed.id}").status_code == 404, who
    with client.session_transaction() as http_session:
        http_session.pop("_user_id")
    response = client.post(url, data=data)
    assert response.status_code == 302 and "login" in response.headers["Location"]
    assert _status(session, requested.id) == "requested"
    assert session.scalar(select(func.count(Disbursement.id))) == 1


@pytest.mark.parametrize("action", ACTIONS)
def test_people_who_see_the_grant_but_may_not_act_get_403(client, login_as, session, world, signed, requested, action):
    may_not = [world.staff_a, signed.proposal.applicant]
    may_not.append(world.finance_a if action == "request" else world.organizer_a)
    data = {"reason": "x", "paid_on": PAID_ON.isoformat(), "voucher_ref": "PZ-1"}
    for user in may_not:
        login_as(user)
        assert client.post(_url(action, signed, requested), data=data).status_code == 403, user.login
    assert _status(session, requested.id) == "requested"
    assert session.scalar(select(func.count(Disbursement.id))) == 1


# --- finance's queue and menu ---------------------------------------------------------------------


def test_finance_has_a_menu_entry_and_a_queue_with_totals(
    client, login_as, session, world, signed, tranches, make_grant, sign_grant, paid
):
    others = [
        sign_grant(make_grant(world.edition_a, approved_fen=100_000 * i, community=world.community_a)) for i in (1, 2)
    ]
    waiting = [disbursements.request(session, actor=world.organizer_a, tranche=_first(session, g)) for g in others]
    session.commit()
    disbursements.approve(session, actor=world.finance_a, disbursement=waiting[1])
    session.commit()
    login_as(world.finance_a)
    body = client.get("/").get_data(as_text=True)
    assert 'href="/funding/queue"' in body and "拨款待办" in body
    body = client.get("/funding/queue").get_data(as_text=True)
    approval, payment, recent = (
        body.split('id="approval-heading"')[1].split('id="payment-heading"')[0],
        body.split('id="payment-heading"')[1].split('id="paid-heading"')[0],
        body.split('id="paid-heading"')[1],
    )
    assert "共1笔，合计¥600.00" in approval and others[0].proposal.title in approval
    assert "共1笔，合计¥1,200.00" in payment and others[1].proposal.title in payment
    assert "PZ-2026-001" in recent and signed.proposal.title in recent
    # Other people have no such menu entry and no queue.
    login_as(world.organizer_a)
    assert 'href="/funding/queue"' not in client.get("/").get_data(as_text=True)
    assert client.get("/funding/queue").status_code == 404


def test_finance_of_another_district_sees_none_of_it_in_their_queue(
    client, login_as, session, world, requested, finance_b, signed
):
    login_as(finance_b)
    body = client.get("/funding/queue").get_data(as_text=True)
    assert signed.proposal.title not in body and "没有待审批的拨款" in body


@pytest.mark.parametrize("who", ["anonymous", "resident", "judge_a", "staff_a"])
def test_the_queue_is_finances_only(client, login_as, world, who):
    if who != "anonymous":
        login_as(getattr(world, who))
    response = client.get("/funding/queue")
    if who == "anonymous":
        assert response.status_code == 302 and "login" in response.headers["Location"]
    else:
        assert response.status_code == 404


def _first(session, grant):
    from grants.funding import service

    return service.tranches_of(session, grant.id)[0]


def test_the_queue_issues_the_same_queries_for_one_and_six_disbursements(
    client, login_as, session, world, make_grant, sign_grant, query_counter
):
    def add(n: int) -> None:
        for _ in range(n):
            grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
            disbursements.request(session, actor=world.organizer_a, tranche=_first(session, grant))
        session.commit()

    login_as(world.finance_a)
    add(1)
    client.get("/funding/queue")
    with query_counter() as few:
        client.get("/funding/queue")
    add(5)
    with query_counter() as many:
        body = client.get("/funding/queue").get_data(as_text=True)
    assert "共6笔" in body
    assert len(few) == len(many) <= USER + 2, many


def test_the_grant_page_issues_the_same_queries_with_more_disbursements(
    client, login_as, session, world, signed, tranches, query_counter
):
    login_as(world.finance_a)
    client.get(f"/funding/grants/{signed.id}")
    with query_counter() as none:
        client.get(f"/funding/grants/{signed.id}")
    for _ in range(3):  # requested, failed, again
        d = disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
        disbursements.approve(session, actor=world.finance_a, disbursement=d)
        disbursements.record_failure(session, actor=world.finance_a, disbursement=d, reason="账号有误")
        session.commit()
    with query_counter() as three:
        body = client.get(f"/funding/grants/{signed.id}").get_data(as_text=True)
    assert body.count("账号有误") == 3
    assert len(three) == len(none), three


def test_the_pages_are_in_english_for_english_readers(client, login_as, session, world, signed, requested):
    login_as(world.finance_a)
    headers = {"Accept-Language": "en"}
    body = client.get(f"/funding/grants/{signed.id}", headers=headers).get_data(as_text=True)
    assert "Approve" in body and "待审批" not in body
    body = client.get("/funding/queue", headers=headers).get_data(as_text=True)
    assert "Awaiting approval" in body and "待审批" not in body


def test_the_home_page_tells_finance_what_waits(client, login_as, session, world, signed, tranches, organizer_finance):
    mine = disbursements.request(session, actor=organizer_finance, tranche=tranches[0])
    session.commit()
    login_as(organizer_finance)
    body = client.get("/").get_data(as_text=True)
    assert "等待您审批" not in body  # their own request is not theirs to approve
    login_as(world.finance_a)
    assert "1笔拨款等待您审批" in client.get("/").get_data(as_text=True)
    disbursements.approve(session, actor=world.finance_a, disbursement=mine)
    session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "1笔已审批的拨款等待登记拨付" in body and "等待您审批" not in body
