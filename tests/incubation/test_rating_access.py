"""Every star-rating route × who, generated: outsiders get 404 (they do not learn the campaign or the
group exists), people who see it but may not act get 403, anonymous users the login page; nothing
changes for anyone but the organizer."""

from __future__ import annotations

import pytest
from flask import current_app, url_for
from sqlalchemy import select

from grants.auth.models import Role
from grants.incubation.models import StarAssessor, StarObjection
from tests.incubation.test_rating_service import snapshot
from tests.incubation.test_rating_views import evidence_attachment

OK = "ok"  # 200, or a redirect / re-rendered form after the service answered
LOGIN = "login"

ORGANIZER_ONLY = {
    "ratings.edit_campaign",
    "ratings.move_stage",
    "ratings.add_assessor",
    "ratings.remove_assessor",
    "ratings.publish",
    "ratings.finalize",
    "ratings.decide",
    "ratings.answer_objection",
}
NOT_PUBLIC_YET = {"ratings.notice", "ratings.public_group", "ratings.file_objection"}
POST_DATA = {
    "target": "notice",
    "login": "nobody",
    "title": "x",
    "stars": "",
    "note": "",
    "text": "一条足够长的异议内容，用于测试。",
    "outcome": "dismissed",
    "reply": "答复",
    "evidence": "活动丰富",
}


def expected(who: str, endpoint: str, method: str):
    if endpoint in NOT_PUBLIC_YET:
        return LOGIN if who == "anonymous" and method == "POST" else 404
    if who == "anonymous":
        return LOGIN
    if endpoint == "ratings.index":
        return OK
    if endpoint == "ratings.new_campaign":
        return OK if who in ("organizer", "another district's organizer") else 403
    if who == "organizer":
        return OK
    if who in ("another district's organizer", "another group's leader", "a resident", "a judge", "finance"):
        return 404
    # staff of the district and the panel see the campaign
    if endpoint == "ratings.campaign":
        return OK
    sees_group = who in ("the group's community staff", "the group's street staff", "an assessor")
    if endpoint in ORGANIZER_ONLY:
        return 404 if endpoint == "ratings.decide" and not sees_group else 403
    if endpoint == "ratings.recommend":
        return {"the group's community staff": OK, "the group's street staff": 403}.get(who, 404)
    if not sees_group:
        return 404
    if method == "GET":
        return OK
    allowed = {"ratings.street_sheet": "the group's street staff", "ratings.assess": "an assessor"}
    return OK if allowed.get(endpoint) == who else 403


WHO = [
    "organizer",
    "another district's organizer",
    "the group's community staff",
    "another community's staff",
    "the group's street staff",
    "another street's staff",
    "an assessor",
    "another group's leader",
    "a resident",
    "a judge",
    "finance",
    "anonymous",
]


@pytest.fixture
def setup(session, world, make, pipeline, kept):
    def build():
        pipeline.to_district()
        nomination = pipeline.nominations[pipeline.group_a.id]
        objection = StarObjection(
            campaign_id=pipeline.campaign.id, nomination_id=nomination.id, author_id=world.resident.id, text="异议内容"
        )
        session.add(objection)
        nomination.attachment_id = evidence_attachment(session, world.staff_a).id
        session.commit()
        other_street = make.street(world.district_a, "另一街道")
        people = {
            "organizer": world.organizer_a,
            "another district's organizer": world.organizer_b,
            "the group's community staff": world.staff_a,
            "another community's staff": pipeline.staff_a2,
            "the group's street staff": world.street_staff_a,
            "another street's staff": make.user("street_other", roles=[(Role.STREET_STAFF, other_street)]),
            "an assessor": pipeline.assessors[0],
            "another group's leader": pipeline.group_a2.leader,
            "a resident": world.resident,
            "a judge": world.judge_a,
            "finance": world.finance_a,
        }
        assessor = session.scalars(select(StarAssessor).where(StarAssessor.user_id == pipeline.local_assessor.id)).one()
        args = {
            "campaign_id": pipeline.campaign.id,
            "assessor_id": assessor.id,
            "group_id": pipeline.group_a.id,
            "nomination_id": nomination.id,
            "star_objection_id": objection.id,
        }
        return people, args

    return kept("incubation.rating_access.setup", build)


def _rules():
    return [rule for rule in current_app.url_map.iter_rules() if rule.endpoint.startswith("ratings.")]


def _routes(args):
    routes = []
    with current_app.test_request_context():
        for rule in _rules():
            values = {name: args[name] for name in rule.arguments}
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, url_for(rule.endpoint, **values), rule.endpoint))
    return routes


def _matches(expect, response) -> bool:
    if expect == OK:
        return response.status_code in (200, 302, 400) and not response.headers.get("Location", "").startswith("/login")
    if expect == LOGIN:
        return response.status_code == 302 and response.headers["Location"].startswith("/login")
    return response.status_code == expect


def test_the_table_covers_every_rating_route(app, setup):
    _people, args = setup
    assert {endpoint for _m, _u, endpoint in _routes(args)} == {rule.endpoint for rule in _rules()}
    assert len(_routes(args)) == 24


@pytest.mark.parametrize("who", WHO)
def test_every_route_answers_as_the_table_says_and_nothing_changes(session, client, login_as, setup, who):
    people, args = setup
    if who != "anonymous":
        login_as(people[who])
    before = snapshot(session)
    wrong = []
    for method, url, endpoint in _routes(args):
        if who == "organizer" and method == "POST":
            continue  # the organizer's moves are tested in test_rating_views.py
        response = client.get(url) if method == "GET" else client.post(url, data=POST_DATA)
        expect = expected(who, endpoint, method)
        if not _matches(expect, response):
            wrong.append((method, url, expect, response.status_code))
    assert not wrong, wrong
    assert snapshot(session) == before
