"""Every group and member route × who: outsiders get 404 (anonymous the login page), people who see
a group but may not act get 403, nothing changes; and nobody else ever sees a member's full mobile."""

from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.incubation.models import Group, GroupMember

MOBILE = "13712340000"  # the first member make_group adds


@pytest.fixture
def setup(session, world, make, make_group, make_grant, sign_grant, kept):
    def build():
        group = make_group(members=1)
        grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
        member = session.scalars(select(GroupMember).where(GroupMember.mobile == MOBILE)).one()
        other_group = make_group(community=world.community_a2, name="别的组织", actor=world.organizer_a)
        people = {
            "another group's leader": other_group.leader,
            "another community's staff": make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
            "another district's organizer": world.organizer_b,
            "another district's staff": world.staff_b,
            "a judge": world.judge_a,
            "finance": world.finance_a,
            "a resident": world.resident,
            "a member without an account role": make.user("member_user", community=world.community_a),
        }
        return group, member, grant, people

    return kept("incubation.access.setup", build)


def _routes(group, member, grant, community_id):
    """Every route of the blueprint, with the ids of this test's objects (a new route fails the test)."""
    community = group.community
    args = {
        "group_id": group.id,
        "member_id": member.id,
        "grant_id": grant.id,
        "community_id": community_id,
        "street_id": community.street_id,
        "district_id": community.street.district_id,
    }
    from flask import current_app

    routes = []
    with current_app.test_request_context():
        for rule in _rules():
            values = {name: args[name] for name in rule.arguments}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url_for(rule.endpoint, **values), rule.endpoint))
    return routes


def _rules():
    from flask import current_app

    # The group, member and list routes; activities and hours have their own tables
    # (tests/incubation/test_activities_access.py, test_hours_access.py).
    modules = {"grants.incubation.views.groups", "grants.incubation.views.lists", "grants.incubation.views.history"}
    return [
        rule
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.startswith("incubation.") and current_app.view_functions[rule.endpoint].__module__ in modules
    ]


POST_DATA = {
    "name": "改名",
    "kind": "volunteer",
    "target": "established",
    "reason": "x",
    "filed_on": "2026-10-01",
    "filing_no": "1",
    "mobile": "13900000000",
    "role": "member",
    "joined_on": "2026-06-01",
}


def _snapshot(session):
    session.expire_all()
    return (
        session.scalar(select(func.count(Group.id))),
        session.scalar(select(func.count(GroupMember.id))),
        tuple(session.execute(select(Group.name, Group.status).order_by(Group.id))),
        tuple(session.execute(select(GroupMember.name, GroupMember.left_on).order_by(GroupMember.id))),
    )


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data=POST_DATA)


def test_the_route_table_covers_every_route(app, setup, world):
    group, member, grant, _people = setup
    endpoints = {endpoint for _m, _u, endpoint in _routes(group, member, grant, world.community_a.id)}
    assert endpoints == {rule.endpoint for rule in _rules()}
    assert len(endpoints) == 12


@pytest.mark.parametrize(
    "who",
    [
        "another group's leader",
        "another community's staff",
        "another district's organizer",
        "another district's staff",
        "a judge",
        "finance",
        "a resident",
        "a member without an account role",
    ],
)
def test_outsiders_are_refused_on_every_route_and_nothing_changes(session, client, login_as, world, setup, who):
    group, member, grant, people = setup
    before = _snapshot(session)
    login_as(people[who])
    for method, url, endpoint in _routes(group, member, grant, world.community_a.id):
        if endpoint == "incubation.index":
            continue  # everyone's own page, tested below
        response = _call(client, method, url)
        assert response.status_code in (403, 404), (who, method, url, response.status_code)
    assert _snapshot(session) == before


def test_anonymous_users_are_sent_to_the_login_page(session, client, world, setup):
    group, member, grant, _people = setup
    before = _snapshot(session)
    for method, url, _endpoint in _routes(group, member, grant, world.community_a.id):
        response = _call(client, method, url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (method, url)
    assert _snapshot(session) == before


def test_street_staff_see_but_may_not_change(session, client, login_as, world, setup):
    group, member, grant, _people = setup
    before = _snapshot(session)
    login_as(world.street_staff_a)
    for method, url, endpoint in _routes(group, member, grant, world.community_a.id):
        response = _call(client, method, url)
        if endpoint in (
            "incubation.index",
            "incubation.community_groups",
            "incubation.group",
            "incubation.street_groups",
        ):
            expected = (200,)
        elif endpoint in ("incubation.from_grant", "incubation.district_groups"):
            expected = (404,)  # street staff see neither grants (grants.funding.policy) nor the district's list
        else:
            expected = (403,)
        assert response.status_code in expected, (method, url, response.status_code)
    assert _snapshot(session) == before


def test_the_leader_sees_the_group_but_may_not_manage_it(session, client, login_as, world, setup):
    group, member, grant, _people = setup
    login_as(group.leader)
    assert client.get(f"/groups/{group.id}").status_code == 200
    assert client.get(f"/groups/communities/{world.community_a.id}").status_code == 404
    assert client.get(f"/groups/{group.id}/edit").status_code == 403
    assert client.post(f"/groups/{group.id}/status", data={"target": "established"}).status_code == 403
    assert client.post(f"/groups/{group.id}/filing", data=POST_DATA).status_code == 403
    assert client.get(f"/groups/from-grant/{grant.id}").status_code == 404
    assert client.get(f"/groups/{group.id}/members/{member.id}/edit").status_code == 200


def test_a_member_of_another_group_is_not_found_through_this_group(session, client, login_as, world, setup):
    group, member, _grant, _people = setup
    other = session.scalars(select(Group).where(Group.name == "别的组织")).one()
    login_as(world.staff_a)  # staff of community A see group A, not the other group (community A2)
    assert client.get(f"/groups/{group.id}/members/{member.id}/edit").status_code == 200
    login_as(world.organizer_a)
    assert client.get(f"/groups/{other.id}/members/{member.id}/edit").status_code == 404


@pytest.mark.parametrize("who", ["leader", "staff", "organizer"])
def test_the_leader_staff_and_organizer_see_the_full_mobile(client, login_as, world, setup, who):
    group, _member, _grant, _people = setup
    login_as({"leader": group.leader, "staff": world.staff_a, "organizer": world.organizer_a}[who])
    assert MOBILE in client.get(f"/groups/{group.id}").get_data(as_text=True)


def test_nobody_else_ever_sees_a_members_full_mobile(session, client, login_as, world, setup):
    group, member, grant, people = setup
    viewers = [*people.values(), world.street_staff_a]
    for viewer in viewers:
        login_as(viewer)
        for method, url, _endpoint in _routes(group, member, grant, world.community_a.id):
            if method == "GET":
                body = client.get(url).get_data(as_text=True)
                assert MOBILE not in body, (viewer.login_name, url)
    login_as(world.street_staff_a)
    assert "137****0000" in client.get(f"/groups/{group.id}").get_data(as_text=True)
    # nor does the audit log keep it
    from grants.audit.models import AuditEntry

    entries = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "GroupMember")).all()
    assert entries and all(MOBILE not in f"{e.before}{e.after}" for e in entries)


def test_every_incubation_route_is_in_one_access_table(app):
    """Groups, members and lists here; activities and hours in their own tables: none is left out."""
    from flask import current_app

    from tests.incubation.test_hours_access import ENDPOINTS as HOURS

    tables = {
        "grants.incubation.views.groups",
        "grants.incubation.views.lists",
        "grants.incubation.views.history",
        "grants.incubation.views.activities",
    }
    left_out = {
        rule.endpoint
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.startswith("incubation.")
        and current_app.view_functions[rule.endpoint].__module__ not in tables
        and rule.endpoint not in HOURS
    }
    assert left_out == set()
