"""The audit log: append-only, scoped to the organizer's districts, filterable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.audit.models import AuditEntry, AuditLogIsAppendOnly
from grants.org import service as org_service


def test_entries_cannot_be_changed_or_deleted(session, world):
    entry = session.scalars(select(AuditEntry)).first()
    entry.action = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(AuditEntry)).first())
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()


def test_organizer_sees_only_own_districts_entries(client, login_as, world, session):
    org_service.rename_street(session, actor=world.organizer_b, street=world.street_b, name="乙新街道")
    org_service.rename_street(session, actor=world.organizer_a, street=world.street_a, name="甲新街道")
    session.commit()
    login_as(world.organizer_a)
    body = client.get("/admin/audit/").get_data(as_text=True)
    assert "甲新街道" in body and "乙新街道" not in body


def test_filters_and_pagination(client, login_as, world, session, app):
    for i in range(5):
        org_service.create_community(session, actor=world.organizer_a, street=world.street_a, name=f"新社区{i}")
    session.commit()
    login_as(world.organizer_a)
    body = client.get("/admin/audit/?action=community.create&object_type=Community").get_data(as_text=True)
    assert "新社区4" in body and "修改街道" not in body
    assert "org_a" in client.get("/admin/audit/?actor=org_a").get_data(as_text=True)
    app.config["PER_PAGE"] = 2
    page2 = client.get("/admin/audit/?action=community.create&page=2").get_data(as_text=True)
    assert "第 2 / " in page2


@pytest.mark.parametrize(
    "query",
    [
        "from=notadate",
        "to=2026-13-45",
        "action=%25",
        "from=2026-01-01&to=2026-12-31",
    ],
)
def test_bad_filter_values_never_break_the_page(client, login_as, world, query):
    login_as(world.organizer_a)
    assert client.get(f"/admin/audit/?{query}").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"), [("page=-3", "页码"), ("page=abc", "页码"), ("object_id=abc", "对象编号")]
)
def test_bad_numbers_are_refused_with_a_message(client, login_as, world, query, message):
    login_as(world.organizer_a)
    response = client.get(f"/admin/audit/?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["staff_a", "street_staff_a", "judge_a", "finance_a", "resident"])
def test_non_organizers_get_403(client, login_as, world, who):
    login_as(getattr(world, who))
    assert client.get("/admin/audit/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nul_characters_are_refused_with_a_clear_400(client, login_as, world):
    login_as(world.organizer_a)
    response = client.get("/admin/audit/?action=%00")
    assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)


def test_every_audit_action_in_the_code_has_a_readable_label():
    import re
    from pathlib import Path

    from grants.audit.labels import ACTION_LABELS

    source = Path(__file__).resolve().parents[2] / "grants"
    pattern = re.compile(r'action="([a-z_]+\.[a-z_]+)"|Transition\([^"]*?"([a-z_]+\.[a-z_]+)"', re.S)
    found = set()
    for path in source.rglob("*.py"):
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    assert found, "the pattern finds the audit actions"
    assert sorted(found - set(ACTION_LABELS)) == []
