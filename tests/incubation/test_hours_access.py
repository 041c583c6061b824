"""Every hours and certificate route × who: the group's leader, its community's staff, the organizer
and its street's staff see the hours; only staff and the organizer issue; the leader downloads too;
everyone else gets 404 (anonymous the login page), and nothing changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.incubation import certificates
from grants.incubation.models import GroupMember, VolunteerCertificate

ENDPOINTS = {
    "incubation.group_hours",
    "incubation.member_hours",
    "incubation.issue_certificate",
    "incubation.certificate_pdf",
}


@pytest.fixture
def setup(session, world, make, make_group, make_activity, kept):
    def build():
        group = make_group(members=1)
        member = session.scalars(
            select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.name == "成员0")
        ).one()
        make_activity(group, hours={member: 4}, on=date(2026, 3, 1))
        certificate, _ = certificates.issue_certificate(
            session, actor=world.staff_a, group=group, member=member, start=date(2026, 1, 1), end=date(2026, 6, 30)
        )
        other_group = make_group(community=world.community_a2, name="别的组织")
        session.commit()
        people = {
            "the group's leader": group.leader,
            "its community's staff": world.staff_a,
            "the organizer": world.organizer_a,
            "its street's staff": world.street_staff_a,
            "another group's leader": other_group.leader,
            "another community's staff": make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
            "another district's organizer": world.organizer_b,
            "another district's staff": world.staff_b,
            "a judge": world.judge_a,
            "finance": world.finance_a,
            "a resident": world.resident,
        }
        return group, member, certificate, other_group, people

    return kept("incubation.hours_access.setup", build)


def _routes(group, member, certificate) -> list[tuple[str, str, str]]:
    from flask import current_app, url_for

    args = {"group_id": group.id, "member_id": member.id, "certificate_id": certificate.id}
    routes = []
    with current_app.test_request_context():
        for rule in current_app.url_map.iter_rules():
            if rule.endpoint in ENDPOINTS:
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    routes.append(
                        (method, url_for(rule.endpoint, **{n: args[n] for n in rule.arguments}), rule.endpoint)
                    )
    return routes


# route → status for those who may see the group (issuing with the default period, which has hours)
SEEING = {
    "the group's leader": {"group_hours": 200, "member_hours": 200, "issue_certificate": 403, "certificate_pdf": 200},
    "its community's staff": {
        "group_hours": 200,
        "member_hours": 200,
        "issue_certificate": 302,
        "certificate_pdf": 200,
    },
    "the organizer": {"group_hours": 200, "member_hours": 200, "issue_certificate": 302, "certificate_pdf": 200},
    "its street's staff": {"group_hours": 200, "member_hours": 200, "issue_certificate": 403, "certificate_pdf": 403},
}
OUTSIDERS = [
    "another group's leader",
    "another community's staff",
    "another district's organizer",
    "another district's staff",
    "a judge",
    "finance",
    "a resident",
]


def _snapshot(session):
    session.expire_all()
    return tuple(
        session.execute(select(VolunteerCertificate.id, VolunteerCertificate.halves).order_by(VolunteerCertificate.id))
    )


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={"start": "2026-01-01", "end": "2026-06-30"})


def test_the_table_covers_every_hours_route(app, setup):
    group, member, certificate, _other, _people = setup
    assert {endpoint for _m, _u, endpoint in _routes(group, member, certificate)} == ENDPOINTS


@pytest.mark.parametrize("who", sorted(SEEING))
def test_who_sees_the_group_gets_what_their_role_allows(session, client, login_as, setup, who):
    group, member, certificate, _other, people = setup
    before = _snapshot(session)
    login_as(people[who])
    for method, url, endpoint in _routes(group, member, certificate):
        response = _call(client, method, url)
        assert response.status_code == SEEING[who][endpoint.split(".")[1]], (who, method, url, response.status_code)
    assert _snapshot(session) == before  # the period's certificate exists: issuing again returns it


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_every_hours_route_and_nothing_changes(session, client, login_as, setup, who):
    group, member, certificate, _other, people = setup
    before = _snapshot(session)
    login_as(people[who])
    for method, url, _endpoint in _routes(group, member, certificate):
        response = _call(client, method, url)
        assert response.status_code == 404, (who, method, url, response.status_code)
    assert _snapshot(session) == before


def test_anonymous_users_are_sent_to_the_login_page(session, client, setup):
    group, member, certificate, _other, _people = setup
    before = _snapshot(session)
    for method, url, _endpoint in _routes(group, member, certificate):
        response = _call(client, method, url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (method, url)
    assert _snapshot(session) == before


def test_a_member_or_certificate_of_another_group_is_not_found_through_this_group(
    session, client, login_as, world, setup
):
    _group, member, certificate, other, _people = setup
    login_as(world.organizer_a)  # sees both groups
    assert client.get(f"/groups/{other.id}/members/{member.id}/hours").status_code == 404
    assert client.get(f"/groups/{other.id}/certificates/{certificate.id}.pdf").status_code == 404
    response = client.post(f"/groups/{other.id}/members/{member.id}/certificates", data={"start": "2026-01-01"})
    assert response.status_code == 404
    assert session.scalar(select(func.count(VolunteerCertificate.id))) == 1
