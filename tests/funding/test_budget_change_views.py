"""Budget change pages: the lead's form, the organizer's decision on the grant page, the versions
page; every route refused to another team, another community's staff, a judge and anonymous."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.funding import budget_changes, service
from grants.funding.budget_changes import ProposedLine
from grants.funding.models import BudgetChange, BudgetItem, BudgetVersion
from tests.funding.test_expenses import APPROVED


@pytest.fixture
def grant(make_grant, sign_grant, world, kept):
    def build():
        return sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))

    return kept("funding.budget_change_views.grant", build)


@pytest.fixture
def items(session, grant):
    return session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).all()


@pytest.fixture
def change(session, grant, items, kept):
    def build():
        made = budget_changes.request_change(
            session,
            actor=grant.proposal.applicant,
            grant=grant,
            lines=[ProposedLine(items[0].id, None, "", 4_000, 20), ProposedLine(items[1].id, None, "", 2_000, 20)],
            reason="海报需求增加",
        )
        session.commit()
        return made

    return kept("funding.budget_change_views.change", build)


def form(**changes):
    data = {
        "lines-0-unit_price": "40",
        "lines-0-quantity": "20",
        "lines-1-unit_price": "20",
        "lines-1-quantity": "10",
        "lines-2-category_id": "",
        "lines-2-item": "",
        "lines-2-unit_price": "",
        "lines-2-quantity": "",
        "reason": "新增场地租用",
    }
    data.update(changes)
    return data


def test_the_lead_asks_for_a_change_with_a_new_line_from_the_form(client, login_as, grant, session, world):
    from grants.proposals.models import BudgetCategory

    place = session.scalars(
        select(BudgetCategory).where(BudgetCategory.edition_id == grant.edition_id, BudgetCategory.name == "场地")
    ).one()
    login_as(grant.proposal.applicant)
    page = client.get(f"/funding/grants/{grant.id}/budget-changes/new")
    assert page.status_code == 200 and "花盆和土" in page.text and 'value="50"' in page.text
    response = client.post(
        f"/funding/grants/{grant.id}/budget-changes/new",
        data=form(
            **{
                "lines-2-category_id": str(place.id),
                "lines-2-item": "活动室",
                "lines-2-unit_price": "200",
                "lines-2-quantity": "1",
            }
        ),
    )
    assert response.status_code == 302
    change = session.scalars(select(BudgetChange)).one()
    assert change.lines[-1]["item"] == "活动室" and sum(line["amount_fen"] for line in change.lines) == APPROVED
    page = client.get(f"/funding/grants/{grant.id}")
    assert (
        "待审批的预算调整" in page.text
        and "撤回申请" in page.text
        and "申请预算调整" not in page.text.split("撤回申请")[1]
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lines-0-unit_price": "40"}, "应等于核定金额"),
        ({"lines-0-quantity": "many"}, "第1行：单价请填写金额"),
        ({"reason": ""}, "调整原因"),
    ],
)
def test_a_refused_request_shows_why_and_changes_nothing(client, login_as, grant, session, changes, message):
    login_as(grant.proposal.applicant)
    response = client.post(f"/funding/grants/{grant.id}/budget-changes/new", data=form(**changes))
    assert response.status_code == 400 and message in response.text
    assert session.scalar(select(func.count()).select_from(BudgetChange)) == 0


def test_the_organizer_approves_on_the_grant_page_and_the_versions_page_shows_both(
    client, login_as, grant, change, session, world
):
    login_as(world.organizer_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert f"/funding/budget-changes/{change.id}/decide" in page.text
    refused = client.post(f"/funding/budget-changes/{change.id}/decide", data={"decision": "reject", "note": ""})
    assert refused.status_code == 302 and "驳回时请填写原因" in client.get(f"/funding/grants/{grant.id}").text
    client.post(f"/funding/budget-changes/{change.id}/decide", data={"decision": "approve", "note": "同意"})
    session.expire_all()
    assert service.current_budget(session, grant.id).number == 2
    versions = client.get(f"/funding/grants/{grant.id}/budget-versions")
    assert versions.status_code == 200
    assert "第2版" in versions.text and "第1版" in versions.text and "海报需求增加" in versions.text
    assert "与上一版相比" in versions.text and "¥400.00" in versions.text and "org_a" in versions.text


def test_the_lead_withdraws_from_the_grant_page(client, login_as, grant, change, session):
    login_as(grant.proposal.applicant)
    assert client.post(f"/funding/budget-changes/{change.id}/withdraw").status_code == 302
    session.expire_all()
    assert session.get(BudgetChange, change.id).status == "withdrawn"


def _routes(grant, change):
    return [
        ("get", f"/funding/grants/{grant.id}/budget-changes/new"),
        ("post", f"/funding/grants/{grant.id}/budget-changes/new"),
        ("post", f"/funding/budget-changes/{change.id}/decide"),
        ("post", f"/funding/budget-changes/{change.id}/withdraw"),
        ("get", f"/funding/grants/{grant.id}/budget-versions"),
    ]


def test_every_budget_route_is_a_404_for_those_who_may_not_see_the_grant(
    client, login_as, grant, change, make, world, session
):
    outsiders = [
        make.user("other_lead", community=world.community_a),
        make.user("staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
        world.staff_b,
        world.organizer_b,
        world.judge_a,
    ]
    for user in outsiders:
        login_as(user)
        for method, url in _routes(grant, change):
            data = {"decision": "approve", **form()} if method == "post" else None
            assert getattr(client, method)(url, data=data).status_code == 404, (user.username, url)
    assert session.get(BudgetChange, change.id).status == "requested"
    assert session.scalar(select(func.count()).select_from(BudgetVersion)) == 1


def test_every_budget_route_sends_anonymous_to_the_login(client, grant, change):
    for method, url in _routes(grant, change):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_who_sees_the_grant_but_may_not_act_gets_403(client, login_as, grant, change, world, session):
    login_as(world.staff_a)
    assert client.get(f"/funding/grants/{grant.id}/budget-changes/new").status_code == 403
    assert client.post(f"/funding/budget-changes/{change.id}/decide", data={"decision": "approve"}).status_code == 403
    assert client.post(f"/funding/budget-changes/{change.id}/withdraw").status_code == 403
    login_as(grant.proposal.applicant)
    assert client.post(f"/funding/budget-changes/{change.id}/decide", data={"decision": "approve"}).status_code == 403
    login_as(world.organizer_a)
    assert client.post(f"/funding/budget-changes/{change.id}/withdraw").status_code == 403
    assert client.get(f"/funding/grants/{grant.id}/budget-versions").status_code == 200
    assert session.get(BudgetChange, change.id).status == "requested"


def test_the_versions_page_issues_the_same_queries_for_two_versions_or_four(
    client, login_as, grant, items, session, world, query_counter
):
    def approve(first, second):
        made = budget_changes.request_change(
            session,
            actor=grant.proposal.applicant,
            grant=grant,
            lines=[ProposedLine(items[0].id, None, "", *first), ProposedLine(items[1].id, None, "", *second)],
            reason="调整",
        )
        budget_changes.decide_change(session, actor=world.organizer_a, change=made, approve=True, note="")
        session.commit()

    approve((4_000, 20), (2_000, 20))
    login_as(world.organizer_a)
    url = f"/funding/grants/{grant.id}/budget-versions"
    with query_counter() as few:
        assert client.get(url).status_code == 200
    approve((4_400, 20), (1_600, 20))
    approve((3_000, 30), (1_500, 20))
    with query_counter() as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)
