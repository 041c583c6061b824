"""Every agreement route × who: outsiders get 404 (anonymous the login page), people who see the
grant but may not act get 403, and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.funding import agreement
from grants.funding.models import AccountChange, Grant


@pytest.fixture
def setup(session, world, make, make_grant, sign_grant, kept):
    def build():
        grant = sign_grant(make_grant(world.edition_a, approved_fen=380_001, community=world.community_a))
        unsigned = make_grant(world.edition_a, approved_fen=200_000, community=world.community_a)
        other = make_grant(world.edition_a, approved_fen=100_000, community=world.community_a2)
        change = agreement.request_account_change(
            session,
            actor=world.organizer_a,
            grant=grant,
            receiving_unit="新单位",
            account_name="新单位",
            account_bank="新银行",
            account_no="1234567890",
            reason="更换",
        )
        session.commit()
        scan = agreement.agreement_scan(session, grant)
        folder = Path(current_app.config["UPLOAD_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / scan.stored_name).write_bytes(b"\x89PNG scan")  # the fixture's row, with its file
        people = {
            "another team": other.proposal.applicant,
            "another community's staff": make.user(
                "staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)]
            ),
            "another district's organizer": world.organizer_b,
            "another district's staff": world.staff_b,
            "a judge": world.judge_a,
            "a resident": world.resident,
        }
        return grant, unsigned, other, change, people

    return kept("funding.agreement_access.setup", build)


def _routes(grant, unsigned, change):
    g, u = grant.id, unsigned.id
    return [
        ("GET", f"/funding/grants/{g}/agreement.pdf", None),
        ("GET", f"/funding/grants/{u}/agreement.pdf", None),
        ("GET", f"/funding/grants/{u}/sign", None),
        ("POST", f"/funding/grants/{u}/sign", {"signed_on": "2026-11-20"}),
        ("GET", f"/funding/grants/{g}/agreement-scan", None),
        ("GET", f"/funding/grants/{g}/account-change", None),
        ("POST", f"/funding/grants/{g}/account-change", {"reason": "x"}),
        ("GET", f"/funding/grants/{g}/account-changes/{change.id}", None),
        ("POST", f"/funding/grants/{g}/account-changes/{change.id}", {"outcome": "approve"}),
    ]


def _call(client, method, url, data):
    return client.get(url) if method == "GET" else client.post(url, data=data or {})


def _unchanged(session, grant, unsigned, change):
    session.expire_all()
    assert session.get(Grant, unsigned.id).status == "approved"
    assert session.get(Grant, grant.id).account_no == "6228480012345678"
    assert session.get(AccountChange, change.id).status == "requested"
    assert session.scalar(select(func.count(AccountChange.id))) == 1


@pytest.mark.parametrize(
    "who",
    [
        "another team",
        "another community's staff",
        "another district's organizer",
        "another district's staff",
        "a judge",
        "a resident",
    ],
)
def test_outsiders_get_404_on_every_agreement_route(client, login_as, session, setup, who):
    grant, unsigned, _other, change, people = setup
    login_as(people[who])
    for method, url, data in _routes(grant, unsigned, change):
        assert _call(client, method, url, data).status_code == 404, (method, url)
    _unchanged(session, grant, unsigned, change)


def test_anonymous_is_sent_to_the_login_page_on_every_agreement_route(client, session, setup):
    grant, unsigned, _other, change, _people = setup
    for method, url, data in _routes(grant, unsigned, change):
        answer = _call(client, method, url, data)
        assert answer.status_code in (302, 401) and "login" in answer.headers.get("Location", "login"), url
    _unchanged(session, grant, unsigned, change)


def test_viewers_who_may_not_act_get_403_and_read_what_they_may(client, login_as, session, setup, world):
    grant, unsigned, _other, change, _people = setup
    g, u = grant.id, unsigned.id
    team = grant.proposal.applicant
    for person in (world.finance_a, world.staff_a, team):
        login_as(person)
        assert client.get(f"/funding/grants/{g}/agreement.pdf").status_code == 200
        assert client.get(f"/funding/grants/{g}/agreement-scan").status_code == 200
        assert client.get(f"/funding/grants/{g}/account-changes/{change.id}").status_code == 200
        assert client.post(f"/funding/grants/{g}/account-change", data={"reason": "x"}).status_code == 403
    for person in (world.finance_a, world.staff_a, unsigned.proposal.applicant):
        login_as(person)
        assert client.get(f"/funding/grants/{u}/sign").status_code == 403
        assert client.post(f"/funding/grants/{u}/sign", data={"signed_on": "2026-11-20"}).status_code == 403
    for person in (world.staff_a, team, world.organizer_a):
        login_as(person)
        answer = client.post(f"/funding/grants/{g}/account-changes/{change.id}", data={"outcome": "approve"})
        assert answer.status_code == 403
    _unchanged(session, grant, unsigned, change)


def test_a_change_is_reached_only_through_its_own_grant(client, login_as, session, setup, world):
    grant, unsigned, _other, change, _people = setup
    login_as(world.finance_a)
    url = f"/funding/grants/{unsigned.id}/account-changes/{change.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"outcome": "approve"}).status_code == 404
    _unchanged(session, grant, unsigned, change)
