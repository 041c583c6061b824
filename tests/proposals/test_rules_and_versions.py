"""Budget rules as edition data, the version diff, and the resident's list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.editions.states import edition_machine
from grants.errors import DomainError, NotAllowed
from grants.proposals import budget_rules, versions
from grants.proposals import service as ps
from grants.proposals.models import BudgetCategory


def test_new_editions_get_the_default_budget_rules(session, world):
    categories = ps.budget_categories(session, world.edition_a.id)
    labour = next(c for c in categories if c.name == "人员补贴/劳务")
    assert labour.max_share_percent == 30 and all(c.max_unit_price_fen == 200_000 for c in categories)


def test_organizer_edits_rules_until_someone_applies(session, world, make):
    edition = world.edition_a
    added = budget_rules.add_category(
        session, actor=world.organizer_a, edition=edition, data=budget_rules.CategoryData("设备租赁", 20, 100_000)
    )
    budget_rules.update_category(
        session,
        actor=world.organizer_a,
        edition=edition,
        category=added,
        data=budget_rules.CategoryData("设备租赁", 25, None),
    )
    assert added.max_share_percent == 25 and added.max_unit_price_fen is None
    with pytest.raises(NotAllowed):
        budget_rules.add_category(
            session, actor=world.organizer_b, edition=edition, data=budget_rules.CategoryData("x")
        )
    with pytest.raises(DomainError):
        budget_rules.add_category(
            session, actor=world.organizer_a, edition=edition, data=budget_rules.CategoryData("坏的", 150)
        )
    session.commit()
    make.proposal(edition, world.resident)
    with pytest.raises(DomainError, match="不能再修改"):
        budget_rules.delete_category(session, actor=world.organizer_a, edition=edition, category=added)


def test_budget_rules_page(client, login_as, world, session):
    login_as(world.organizer_a)
    url = f"/admin/editions/{world.edition_a.id}/budget-rules"
    assert "人员补贴/劳务" in client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"action": "add", "name": "设备租赁", "max_share_percent": "20", "max_unit_price": "500"}
    )
    assert response.status_code == 302
    category = session.scalar(select(BudgetCategory).where(BudgetCategory.name == "设备租赁"))
    assert category.max_unit_price_fen == 50_000
    response = client.post(url, data={"action": "add", "name": "x", "max_unit_price": "abc"})
    assert response.status_code == 400
    login_as(world.organizer_b)
    assert client.get(url).status_code == 403
    login_as(world.staff_a)
    assert client.post(url, data={"action": "add", "name": "入侵"}).status_code == 403
    session.commit()
    assert session.scalar(select(BudgetCategory).where(BudgetCategory.name == "入侵")) is None


def test_version_diff_lists_changed_fields_and_rows():
    old = {
        "title": "A",
        "summary": "s",
        "team": [["张三", "139", "x", ""]],
        "budget_lines": [["物资", "笔", 100, 2, 200]],
    }
    new = {
        "title": "B",
        "summary": "s",
        "team": [["张三", "139", "x", ""], ["李四", "138", "y", ""]],
        "budget_lines": [["物资", "笔", 100, 3, 300]],
    }
    changes, rows = versions.diff(old, new)
    assert [(c.field, c.before, c.after) for c in changes] == [("title", "A", "B")]
    by_field = {r.field: r for r in rows}
    assert by_field["team"].added == [["李四", "138", "y", ""]] and by_field["team"].removed == []
    assert by_field["budget_lines"].removed == [["物资", "笔", 100, 2, 200]]
    assert versions.diff(old, old) == ([], [])


def test_my_proposals_query_count_does_not_grow(client, login_as, world, session, make, query_counter):
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    make.proposal(world.edition_a, world.resident)
    login_as(world.resident)
    with query_counter() as few:
        client.get("/my/proposals")
    world.edition_a.one_proposal_per_applicant = False
    session.commit()
    for _ in range(20):
        make.proposal(world.edition_a, world.resident)
    login_as(world.resident)
    with query_counter() as many:
        body = client.get("/my/proposals").get_data(as_text=True)
    assert "共 21 份申报书" in body
    assert len(few) == len(many)
