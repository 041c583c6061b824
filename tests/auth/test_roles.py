"""Granting and revoking scoped roles: rules, pages, and who may use them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth import service
from grants.auth.models import Role, RoleGrant
from grants.errors import Conflict, DomainError, NotAllowed


def _grants(session) -> list[tuple]:
    session.commit()
    return sorted(
        (g.user_id, g.role, g.district_id, g.street_id, g.community_id, g.edition_id)
        for g in session.scalars(select(RoleGrant))
    )


def test_grant_by_login_with_the_scope_of_the_role(session, world, make):
    user = make.user("13811112222")
    grant = service.grant_role_by_login(
        session, actor=world.organizer_a, login="13811112222", role="community_staff", scope_id=world.community_a2.id
    )
    assert grant.community_id == world.community_a2.id and grant.user_id == user.id
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "role.grant", AuditEntry.object_id == grant.id)
    )
    assert entry.district_id == world.district_a.id


@pytest.mark.parametrize(
    ("login", "role", "scope", "error"),
    [
        ("nobody", "judge", "edition_a", DomainError),
        ("resident", "owner", "edition_a", DomainError),
        ("resident", "judge", None, DomainError),
        ("resident", "judge", "edition_b", NotAllowed),
        ("resident", "community_staff", "community_b", NotAllowed),
        ("staff_a", "community_staff", "community_a", Conflict),
    ],
)
def test_bad_grants_are_refused_and_change_nothing(session, world, login, role, scope, error):
    before = _grants(session)
    scope_id = getattr(world, scope).id if scope else None
    with pytest.raises(error):
        service.grant_role_by_login(session, actor=world.organizer_a, login=login, role=role, scope_id=scope_id)
    session.rollback()
    assert _grants(session) == before


def test_revoke_rules(session, world):
    staff_grant = world.staff_a.grants[0]
    with pytest.raises(NotAllowed):
        service.revoke_role(session, actor=world.organizer_b, grant=staff_grant)
    with pytest.raises(NotAllowed, match="自己的主办方角色"):
        service.revoke_role(session, actor=world.organizer_a, grant=world.organizer_a.grants[0])
    service.revoke_role(session, actor=world.organizer_a, grant=staff_grant)
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "role.revoke")) == 1


def test_login_masking():
    assert service.mask_login("13812345678") == "138****5678"
    assert service.mask_login("zhang") == "zhang"


def test_roles_page_lists_only_own_district_and_masks_mobiles(client, login_as, world, make, session):
    make.user("13900001111", name="手机用户", roles=[(Role.JUDGE, world.edition_a)])
    login_as(world.organizer_a)
    body = client.get("/admin/roles/").get_data(as_text=True)
    assert "手机用户" in body and "139****1111" in body and "13900001111" not in body
    assert "staff_b" not in body and "乙一社区" not in body.split("<table")[1]


def test_granted_role_takes_effect_at_once(client, login_as, world, session):
    login_as(world.organizer_a)
    response = client.post(
        "/admin/roles/grant",
        data={
            "login": "resident",
            "role": "organizer",
            "district_id": world.district_a.id,
            "street_id": 0,
            "community_id": 0,
            "edition_id": 0,
        },
    )
    assert response.status_code == 302
    login_as(world.resident)
    assert client.get("/admin/roles/").status_code == 200


def test_grant_form_errors_are_shown_on_the_field(client, login_as, world, session):
    login_as(world.organizer_a)
    before = _grants(session)
    response = client.post(
        "/admin/roles/grant",
        data={
            "login": "nobody",
            "role": "judge",
            "district_id": 0,
            "street_id": 0,
            "community_id": 0,
            "edition_id": world.edition_a.id,
        },
    )
    assert response.status_code == 400 and "没有找到" in response.get_data(as_text=True)
    response = client.post(
        "/admin/roles/grant",
        data={
            "login": "resident",
            "role": "judge",
            "district_id": 0,
            "street_id": 0,
            "community_id": 0,
            "edition_id": world.edition_b.id,
        },
    )
    assert response.status_code == 400
    assert _grants(session) == before


def test_revoke_through_the_page(client, login_as, world, session):
    login_as(world.organizer_a)
    grant_id = world.staff_a.grants[0].id
    assert client.post(f"/admin/roles/{grant_id}/revoke").status_code == 302
    assert session.get(RoleGrant, grant_id) is None


def test_roles_page_query_count_does_not_grow_with_grants(client, login_as, world, make, session, query_counter):
    login_as(world.organizer_a)
    with query_counter() as few:
        client.get("/admin/roles/")
    for i in range(30):
        make.user(f"judge_x{i}", roles=[(Role.JUDGE, world.edition_a)])
        make.user(f"staff_x{i}", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    login_as(world.organizer_a)
    with query_counter() as many:
        body = client.get("/admin/roles/").get_data(as_text=True)
    assert "judge_x29" in body
    assert len(few) == len(many)


@pytest.mark.parametrize(
    "who", ["organizer_b", "staff_a", "street_staff_a", "judge_a", "finance_a", "resident", "anonymous"]
)
@pytest.mark.parametrize("action", ["index", "grant", "revoke"])
def test_only_the_districts_organizer_may_use_the_roles_pages(client, login_as, world, session, who, action):
    if who != "anonymous":
        login_as(getattr(world, who))
    before = _grants(session)
    if action == "index":
        response = client.get("/admin/roles/")
    elif action == "grant":
        response = client.post(
            "/admin/roles/grant",
            data={
                "login": "resident",
                "role": "organizer",
                "district_id": world.district_a.id,
                "street_id": 0,
                "community_id": 0,
                "edition_id": 0,
            },
        )
    else:
        response = client.post(f"/admin/roles/{world.staff_a.grants[0].id}/revoke")
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif who == "organizer_b" and action == "index":
        assert response.status_code == 200 and "甲一社区" not in response.get_data(as_text=True)
    elif who == "organizer_b" and action == "grant":
        assert response.status_code == 400  # district A is not a choice for them
    else:
        assert response.status_code == 403
    assert _grants(session) == before


def test_revoke_without_csrf_is_refused(client, login_as, world, session):
    login_as(world.organizer_a)
    grant_id = world.staff_a.grants[0].id
    assert client.post(f"/admin/roles/{grant_id}/revoke", csrf=False).status_code == 400
    assert session.get(RoleGrant, grant_id) is not None
