"""The home page's list of what waits in the funding of grants: the organizer's tranches to request,
reports to evaluate and budget changes to decide, the community staff's expenses to review, the lead's returned report;
nobody else's, and a fixed number of queries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.auth.models import Role
from grants.funding import disbursements, reports, service
from grants.funding.balances import yuan
from grants.funding.models import Tranche
from grants.main.service import FUNDING_TASKS_SHOWN, waiting_for
from tests.funding.reporting import ask_for_budget_change, lead, spend, start, submit
from tests.funding.test_expenses import APPROVED

FUNDING = ("funding.report", "funding.grant", "funding.new_report", "funding.editions")


def _funding(tasks):
    return [t for t in tasks if t.endpoint in FUNDING]


@pytest.fixture
def grant(session, make_grant, sign_grant, world):
    made = sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))
    made.proposal.title = "樱桃社区“共享工具箱”"
    session.commit()
    return start(session, made, world)


def test_each_waiting_step_is_listed_for_the_person_who_takes_it(session, make, world, grant):
    report = submit(session, grant)
    ask_for_budget_change(session, grant)
    spend(session, grant, world, 3_000, status="pending", invoice="26110000A001")
    spend(session, grant, world, 2_000, status="pending", invoice="26110000A002")
    spend(session, grant, world, 1_000, status="accepted", invoice="26110000A003")

    organizer = _funding(waiting_for(session, world.organizer_a))
    assert [(t.endpoint, t.args) for t in organizer] == [
        ("funding.grant", {"grant_id": grant.id, "_anchor": "tranches-heading"}),
        ("funding.report", {"report_id": report.id}),
        ("funding.grant", {"grant_id": grant.id, "_anchor": "budget-heading"}),
    ]
    first = session.scalars(select(Tranche).where(Tranche.grant_id == grant.id).order_by(Tranche.position)).first()
    assert organizer[0].text == f"“樱桃社区‘共享工具箱’”：{first.name} {yuan(first.amount_fen)}可以申请拨付。"
    assert organizer[1].text == "“樱桃社区‘共享工具箱’”：中期报告等待评估。"  # a title's own quotes turn single
    assert organizer[2].text == "“樱桃社区‘共享工具箱’”：预算调整申请等待审批。"

    staff = _funding(waiting_for(session, world.staff_a))
    assert [(t.endpoint, t.args, t.text) for t in staff] == [
        (
            "funding.grant",
            {"grant_id": grant.id, "_anchor": "expenses-heading"},
            "“樱桃社区‘共享工具箱’”：2笔支出等待审核。",
        )
    ]

    other_staff = make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    for nobody in (world.organizer_b, other_staff, world.finance_a, lead(session, grant), world.resident):
        assert not _funding(waiting_for(session, nobody)), nobody


def test_the_lead_is_asked_to_resubmit_a_returned_report_until_it_is(session, world, grant):
    report = submit(session, grant)
    reports.return_report(session, actor=world.organizer_a, report=report, reason="请补充活动照片")
    session.commit()
    tasks = _funding(waiting_for(session, lead(session, grant)))
    assert [(t.endpoint, t.args, t.text) for t in tasks] == [
        (
            "funding.new_report",
            {"grant_id": grant.id, "kind": "midterm"},
            "“樱桃社区‘共享工具箱’”的中期报告被退回，请修改后重新提交。",
        )
    ]
    assert not _reports(waiting_for(session, world.organizer_a))  # nothing to evaluate meanwhile
    submit(session, grant)
    assert not _funding(waiting_for(session, lead(session, grant)))
    assert len(_reports(waiting_for(session, world.organizer_a))) == 1


def _reports(tasks):
    return [t for t in tasks if t.endpoint == "funding.report"]


def _tranches(tasks):
    return [t for t in tasks if t.args.get("_anchor") == "tranches-heading"]


def test_a_tranche_is_listed_while_it_may_be_requested(session, world, grant):
    """Listed once its condition holds and nothing is asked for it; gone while a request waits;
    back when finance rejects the request; never for a suspended grant."""
    first = session.scalars(select(Tranche).where(Tranche.grant_id == grant.id).order_by(Tranche.position)).first()
    assert len(_tranches(waiting_for(session, world.organizer_a))) == 1
    request = disbursements.request(session, actor=world.organizer_a, tranche=first)
    session.commit()
    assert not _tranches(waiting_for(session, world.organizer_a))
    disbursements.reject(session, actor=world.finance_a, disbursement=request, reason="材料不全")
    session.commit()
    assert len(_tranches(waiting_for(session, world.organizer_a))) == 1
    service.change_status(session, actor=world.organizer_a, grant=grant, target="suspended", reason="账目不清")
    session.commit()
    assert not _tranches(waiting_for(session, world.organizer_a))


def test_the_organizers_list_stays_short_and_costs_the_same_queries_however_long(
    session, make_grant, sign_grant, world, grant, query_counter
):
    submit(session, grant)
    with query_counter() as one:
        assert len(_funding(waiting_for(session, world.organizer_a))) == 2  # the first tranche, the report
    for _ in range(FUNDING_TASKS_SHOWN + 2):
        made = make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a2)
        other = start(session, sign_grant(made), world)
        submit(session, other)
    with query_counter() as many:
        tasks = _funding(waiting_for(session, world.organizer_a))
    assert len(tasks) == FUNDING_TASKS_SHOWN
    waiting = 2 * (FUNDING_TASKS_SHOWN + 3)  # each grant's first tranche and mid-term report
    more = waiting - (FUNDING_TASKS_SHOWN - 1)
    assert tasks[-1].endpoint == "funding.editions" and tasks[-1].text == f"还有{more}项资助项目事务等待处理。"
    assert len(many) == len(one), (one, many)
