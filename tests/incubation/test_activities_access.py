"""A generated route × role table for the activity routes (grants/incubation/views/activities.py):
with the ids of group A's real activity and photo, everyone without business with group A gets
403/404 (anonymous the login page) on every GET and POST, and nothing changes; the people of the
group get through where their role allows and are refused (403) where it does not."""

from __future__ import annotations

import pytest
from flask import current_app

from grants.auth.models import Role
from grants.incubation import activities
from tests.incubation.activity_helpers import log, photo, snapshot, team_fixture  # noqa: F401

MARKER = "樱桃树下读书会"  # group A's activity: no refused page may show it

ARGUMENTS = {
    "group_id": lambda o: o["group"].id,
    "activity_id": lambda o: o["activity"].id,
    "photo_id": lambda o: o["photo"].id,
    "community_id": lambda o: o["group"].community_id,
}

POST_DATA = {
    "title": "改名",
    "kind": "service",
    "day": "2026-12-01",
    "starts": "09:00",
    "ends": "10:00",
    "place": "x",
    "reason": "不对",
}


@pytest.fixture
def objects(session, team, kept):
    def build():
        activity = log(session, team, title=MARKER, photos=[photo()])
        return {"group": team.group, "activity": activity, "photo": activities.photos_of(session, activity.id)[0]}

    return kept("incubation.activities_access.objects", build)


@pytest.fixture
def people(session, world, make, make_group, kept):
    def build():
        return {
            "another group's leader (same community)": make_group(name="别的组织").leader,
            "another group's leader (another community)": make_group(
                community=world.community_a2, name="二社区的组织"
            ).leader,
            "another community's staff": make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
            "another district's staff": world.staff_b,
            "another district's organizer": world.organizer_b,
            "a judge": world.judge_a,
            "finance": world.finance_a,
            "a resident": world.resident,
        }

    return kept("incubation.activities_access.people", build)


def activity_routes(objects) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route of views/activities.py, with group A's ids."""
    found = []
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if current_app.view_functions[rule.endpoint].__module__ != "grants.incubation.views.activities":
            continue
        values = {}
        for argument in rule.arguments:
            if argument not in ARGUMENTS:
                pytest.fail(f"{rule.endpoint}: teach ARGUMENTS in {__name__} the argument <{argument}>", pytrace=False)
            values[argument] = ARGUMENTS[argument](objects)
        url = rule.build(values, append_unknown=False)[1]
        found.extend((rule.endpoint, method, url) for method in ("GET", "POST") if method in rule.methods)
    return found


def call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data=POST_DATA)


def test_the_table_covers_every_activity_route(app, objects):
    endpoints = {endpoint for endpoint, _m, _u in activity_routes(objects)}
    assert endpoints == {
        "incubation.my_groups",
        "incubation.log_activity",
        "incubation.edit_activity",
        "incubation.group_activities",
        "incubation.community_activities",
        "incubation.activity",
        "incubation.confirm_activity",
        "incubation.return_activity",
        "incubation.activity_photo",
    }


@pytest.mark.parametrize(
    "who",
    [
        "another group's leader (same community)",
        "another group's leader (another community)",
        "another community's staff",
        "another district's staff",
        "another district's organizer",
        "a judge",
        "finance",
        "a resident",
    ],
)
def test_nobody_outside_the_group_gets_through_and_nothing_changes(session, client, login_as, objects, people, who):
    before = snapshot(session)
    login_as(people[who])
    let_through = []
    for endpoint, method, url in activity_routes(objects):
        response = call(client, method, url)
        if endpoint == "incubation.my_groups" and response.status_code == 200:
            if MARKER not in response.get_data(as_text=True):
                continue  # everyone's own page, never group A's activities
        elif response.status_code in (403, 404):
            continue
        let_through.append(f"{method} {url} → {response.status_code}")
    assert not let_through, f"{who} was not refused:\n" + "\n".join(let_through)
    assert snapshot(session) == before


def test_anonymous_is_sent_to_the_login_page(session, client, objects):
    before = snapshot(session)
    for _endpoint, method, url in activity_routes(objects):
        response = call(client, method, url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
    assert snapshot(session) == before


# Who among the people of group A may do what: GET → expected status; POSTs of reviewers are not
# sent here (they would change the activity), the refusals are.
OWN_PEOPLE = {
    "leader": {
        ("GET", "incubation.log_activity"): 200,
        ("GET", "incubation.activity"): 200,
        ("GET", "incubation.activity_photo"): 200,
        ("GET", "incubation.group_activities"): 200,
        ("GET", "incubation.community_activities"): 404,
        ("GET", "incubation.edit_activity"): 302,  # waiting, not returned: back to the activity
        ("POST", "incubation.confirm_activity"): 403,
        ("POST", "incubation.return_activity"): 403,
    },
    "staff": {
        ("GET", "incubation.log_activity"): 403,
        ("POST", "incubation.log_activity"): 403,
        ("GET", "incubation.edit_activity"): 403,
        ("POST", "incubation.edit_activity"): 403,
        ("GET", "incubation.activity"): 200,
        ("GET", "incubation.activity_photo"): 200,
        ("GET", "incubation.group_activities"): 200,
        ("GET", "incubation.community_activities"): 200,
    },
    "street staff": {
        ("GET", "incubation.activity"): 200,
        ("GET", "incubation.activity_photo"): 200,
        ("GET", "incubation.community_activities"): 200,
        ("GET", "incubation.log_activity"): 403,
        ("POST", "incubation.confirm_activity"): 403,
        ("POST", "incubation.return_activity"): 403,
    },
}


@pytest.mark.parametrize("who", sorted(OWN_PEOPLE))
def test_the_people_of_the_group_get_what_their_role_allows(session, client, login_as, world, team, objects, who):
    login_as({"leader": team.leader, "staff": world.staff_a, "street staff": world.street_staff_a}[who])
    before = snapshot(session)
    routes = {(method, endpoint): url for endpoint, method, url in activity_routes(objects)}
    for (method, endpoint), expected in OWN_PEOPLE[who].items():
        response = call(client, method, routes[(method, endpoint)])
        assert response.status_code == expected, (who, method, endpoint, response.status_code)
    assert snapshot(session) == before


def test_a_photo_is_not_found_through_another_activity(session, client, login_as, world, team, objects):
    other = log(session, team, title="另一次", photos=[photo()])
    login_as(world.staff_a)
    assert client.get(f"/groups/activities/{other.id}/photos/{objects['photo'].id}").status_code == 404
    assert client.get(f"/groups/activities/{objects['activity'].id}/photos/{objects['photo'].id}").status_code == 200
