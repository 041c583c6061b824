"""The edition's grants page (issue 13 item 10): figures, next tranche, late reports, filters,
paging, totals, a fixed number of queries, and who may open it (and every route of this area)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, update

from grants import timeutil
from grants.auth.models import Role
from grants.funding import overview
from grants.funding.models import EvaluationRubric, Grant, GrantEvaluation, GrantReport
from tests.funding import books as b


@pytest.fixture
def grants_a(session, world, make_grant, sign_grant, kept):
    def build():
        w = world
        paid = sign_grant(make_grant(w.edition_a, approved_fen=300_000, community=w.community_a))
        first = b.tranches(session, paid)[0]
        b.pay(session, paid, first, requester=w.organizer_a, approver=w.finance_a)
        b.spend(session, paid, 50_000, recorder=w.resident, reviewer=w.staff_a)
        session.execute(update(Grant).where(Grant.id == paid.id).values(status="in_progress"))
        signed = sign_grant(make_grant(w.edition_a, approved_fen=200_000, community=w.community_a2))
        unsigned = make_grant(w.edition_a, approved_fen=100_000, community=w.community_a)
        session.commit()
        return paid, signed, unsigned, first

    return kept("funding.grants_page.grants_a", build)


def _url(world, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/funding/editions/{world.edition_a.id}/grants" + (f"?{query}" if query else "")


def test_the_page_shows_each_grant_with_its_money_and_next_tranche(client, login_as, session, world, grants_a):
    paid, _signed, _unsigned, first = grants_a
    login_as(world.finance_a)
    body = client.get(_url(world)).get_data(as_text=True)
    assert body.count("<tr>") >= 4
    assert "实施中" in body and "已签协议" in body and "待签协议" in body
    assert b.money(first.amount_fen) in body  # paid
    assert b.money(first.amount_fen - 50_000) in body  # balance = paid − accepted expenses
    second = b.tranches(session, paid)[1]
    assert f"{second.name} {b.money(second.amount_fen)}" in body
    assert "待结项评估通过" in body  # the default plan: the paid grant's 2nd tranche waits for the final acceptance
    assert "可申请拨付" in body  # the signed grant's first tranche may be asked for
    assert "待签订资助协议" in body
    assert "合计（3个项目）" in body and b.money(600_000) in body
    assert 'class="cards-on-phone"' in body and 'data-label="' in body


def test_next_tranche_follows_disbursements_and_evaluations(session, world, grants_a):
    paid, signed, _unsigned, _first = grants_a
    second = b.tranches(session, paid)[1]
    report_id = session.execute(
        insert(GrantReport.__table__)
        .values(
            grant_id=paid.id,
            kind="final",
            summary="s",
            submitted_by_id=world.resident.id,
            beneficiaries=0,
            activities_count=0,
            status="evaluated",
            submitted_at=timeutil.now(),
        )
        .returning(GrantReport.__table__.c.id)
    ).scalar_one()
    session.add(
        GrantEvaluation(
            grant_id=paid.id,
            report_id=report_id,
            kind="final",
            scores={},
            total_points=80,
            pass_mark=60,
            passed=True,
            evaluator_id=world.organizer_a.id,
        )
    )
    session.commit()
    rows = {r.grant_id: r for r in overview.edition_grants(session, world.edition_a.id, overview.Filters()).rows}
    assert rows[paid.id].waits_for == "可申请拨付"
    from grants.funding.models import Disbursement

    session.add(
        Disbursement(
            grant_id=paid.id,
            tranche_id=second.id,
            amount_fen=second.amount_fen,
            status="requested",
            requested_by_id=world.organizer_a.id,
        )
    )
    session.commit()
    rows = {r.grant_id: r for r in overview.edition_grants(session, world.edition_a.id, overview.Filters()).rows}
    assert rows[paid.id].waits_for == "待财务审批"
    session.execute(
        update(Disbursement)
        .where(Disbursement.tranche_id == second.id)
        .values(status="approved", approved_by_id=world.finance_a.id)
    )
    session.commit()
    rows = {r.grant_id: r for r in overview.edition_grants(session, world.edition_a.id, overview.Filters()).rows}
    assert rows[paid.id].waits_for == "待财务登记付款"
    session.execute(update(Grant).where(Grant.id == signed.id).values(status="suspended"))
    session.commit()
    rows = {r.grant_id: r for r in overview.edition_grants(session, world.edition_a.id, overview.Filters()).rows}
    assert rows[signed.id].waits_for == "已停拨"


def test_late_reports_and_the_late_only_filter(client, login_as, session, world, grants_a):
    paid, signed, unsigned, _first = grants_a
    yesterday = timeutil.today() - timedelta(days=1)
    session.add(EvaluationRubric(edition_id=world.edition_a.id, kind="midterm", pass_mark=60, due_on=yesterday))
    session.add(
        EvaluationRubric(
            edition_id=world.edition_a.id, kind="final", pass_mark=60, due_on=timeutil.today() + timedelta(days=30)
        )
    )
    b.report(session, signed, "midterm", by=world.resident)
    session.commit()
    login_as(world.organizer_a)
    body = client.get(_url(world, late=1)).get_data(as_text=True)
    assert f'/funding/grants/{paid.id}"' in body
    assert f'/funding/grants/{signed.id}"' not in body  # handed in
    assert f'/funding/grants/{unsigned.id}"' not in body  # not signed: nothing due yet
    assert "中期报告" in body and "结项报告</span>" not in body
    assert overview.late_kinds({"midterm": date(2026, 1, 1)}, set(), date(2026, 1, 1)) == []  # due today: not late


def test_filters_by_status_community_and_text(client, login_as, session, world, grants_a):
    paid, signed, unsigned, _first = grants_a
    login_as(world.finance_a)
    body = client.get(_url(world, status="signed")).get_data(as_text=True)
    assert f'/funding/grants/{signed.id}"' in body and f'/funding/grants/{paid.id}"' not in body
    body = client.get(_url(world, community=world.community_a2.id)).get_data(as_text=True)
    assert f'/funding/grants/{signed.id}"' in body and f'/funding/grants/{unsigned.id}"' not in body
    body = client.get(_url(world, q=paid.agreement_no)).get_data(as_text=True)
    assert f'/funding/grants/{paid.id}"' in body and f'/funding/grants/{signed.id}"' not in body
    body = client.get(_url(world, q="%25")).get_data(as_text=True)  # a literal %, not a wildcard
    assert "没有符合条件的资助项目" in body
    assert client.get(_url(world, status="bogus", community="x", page="-3")).status_code == 200
    many = "1" * 5000  # past int()'s 4,300-digit limit: ignored like any other odd value
    assert client.get(_url(world, year=many, moved=many, page=many)).status_code == 200


def test_paging(session, world, make_grant, monkeypatch):
    monkeypatch.setattr(overview, "PER_PAGE", 2)
    for _ in range(5):
        make_grant(world.edition_a, approved_fen=10_000, community=world.community_a)
    view = overview.edition_grants(session, world.edition_a.id, overview.Filters(page=3))
    assert (view.page, view.pages, len(view.rows), view.totals.count) == (3, 3, 1, 5)
    assert view.totals.approved_fen == 50_000
    assert overview.edition_grants(session, world.edition_a.id, overview.Filters(page=99)).page == 3


def _many(session, world, edition, n, make_grant, sign_grant):
    grants = []
    for i in range(n):
        grant = make_grant(edition, approved_fen=100_000 + i, community=world.community_a)
        if i % 2:
            sign_grant(grant)
            first = b.tranches(session, grant)[0]
            b.pay(session, grant, first, requester=world.organizer_a, approver=world.finance_a)
            b.spend(session, grant, 1_000, recorder=world.resident, reviewer=world.staff_a)
        grants.append(grant)
    session.commit()
    return grants


def test_the_page_issues_the_same_queries_for_few_and_many_grants(
    client, login_as, session, world, make, make_grant, sign_grant, query_counter, monkeypatch
):
    monkeypatch.setattr(overview, "PER_PAGE", 3)
    small = world.edition_a
    large = make.edition(world.district_a, number=2, name="甲区第二届")
    _many(session, world, small, 2, make_grant, sign_grant)
    _many(session, world, large, 7, make_grant, sign_grant)
    login_as(world.finance_a)
    counts = []
    for edition in (small, large):
        url = f"/funding/editions/{edition.id}/grants"
        client.get(url)
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 14


ROUTES = [
    ("get", "/funding/editions/{e}/grants"),
    ("get", "/funding/editions/{e}/reconcile"),
    ("post", "/funding/editions/{e}/exports/expenses.xlsx"),
    ("post", "/funding/editions/{e}/exports/disbursements.csv"),
    ("post", "/funding/editions/{e}/exports/expenses.pdf"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_every_edition_route_refuses_others(client, login_as, session, world, make, grants_a, method, route):
    paid = grants_a[0]
    finance_b = make.user("finance_b", roles=[(Role.FINANCE, world.district_b)])
    url = route.format(e=world.edition_a.id)
    anonymous = getattr(client, method)(url)
    assert anonymous.status_code in (302, 401) and "/login" in anonymous.headers.get("Location", "/login")
    team = paid.proposal.applicant
    for user in (world.organizer_b, finance_b, world.staff_a, world.judge_a, team, world.resident):
        login_as(user)
        assert getattr(client, method)(url).status_code == 403, user.username
    for user in (world.organizer_a, world.finance_a):
        login_as(user)
        assert getattr(client, method)(url).status_code == 200, user.username
    login_as(world.organizer_a)
    assert getattr(client, method)(route.format(e=999999)).status_code == 404


def test_the_editions_list_and_links(client, login_as, world, grants_a):
    login_as(world.finance_a)
    body = client.get("/funding/editions").get_data(as_text=True)
    assert f"/funding/editions/{world.edition_a.id}/grants" in body
    assert f"/funding/editions/{world.edition_b.id}/grants" not in body
    assert 'href="/funding/editions"' in client.get("/").get_data(as_text=True)  # finance's menu
    login_as(world.organizer_a)
    detail = client.get(f"/admin/editions/{world.edition_a.id}").get_data(as_text=True)
    assert f"/funding/editions/{world.edition_a.id}/grants" in detail
    for user in (world.staff_a, world.judge_a, world.resident):
        login_as(user)
        assert client.get("/funding/editions").status_code == 403


@pytest.mark.parametrize(
    ("status", "condition", "statuses", "passed", "expected"),
    [
        ("signed", "on_signing", [], {}, "可申请拨付"),
        ("in_progress", "after_midterm_passed", [], {}, "待中期评估通过"),
        ("in_progress", "after_midterm_passed", [], {(1, "midterm"): False}, "待中期评估通过"),
        ("in_progress", "after_midterm_passed", ["rejected"], {(1, "midterm"): True}, "可申请拨付"),
        ("in_progress", "after_final_passed", ["failed"], {(1, "midterm"): True}, "待结项评估通过"),
        ("in_progress", "on_signing", ["requested"], {}, "待财务审批"),
        ("suspended", "on_signing", ["approved"], {}, "待财务登记付款"),
        ("suspended", "on_signing", [], {}, "已停拨"),
        ("terminated", "on_signing", [], {}, "不再拨付"),
    ],
)
def test_what_the_next_tranche_waits_for(app, status, condition, statuses, passed, expected):
    with app.test_request_context():
        assert overview.waits_for(status, condition, statuses, passed, 1) == expected
