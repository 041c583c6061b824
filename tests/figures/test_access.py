"""Who may read the figures of which place: every route checks its own place (URL × who → status)."""

from __future__ import annotations

import pytest

from grants.auth.models import Role


@pytest.fixture
def places(figures_district, make, world):
    """The generated district's places, and staff of another street and community of it."""
    made = figures_district
    east, west = made.streets
    east_a, east_b, west_a, _west_b = made.communities
    return {
        "made": made,
        "urls": {
            "district": f"/figures/districts/{made.district.id}",
            "east": f"/figures/streets/{east.id}",
            "west": f"/figures/streets/{west.id}",
            "east_a": f"/figures/communities/{east_a.id}",
            "east_b": f"/figures/communities/{east_b.id}",
            "west_a": f"/figures/communities/{west_a.id}",
            "other_district": f"/figures/districts/{world.district_b.id}",
            "other_street": f"/figures/streets/{world.street_b.id}",
            "other_community": f"/figures/communities/{world.community_b.id}",
        },
        "users": {
            "organizer": world.organizer_a,
            "organizer_b": world.organizer_b,
            "east_staff": made.street_staff[east.id],
            "east_a_staff": made.community_staff[east_a.id],
            "resident": world.resident,
            "finance": world.finance_a,
            "judge": world.judge_a,
            "staff_b": world.staff_b,
            "both": make.user("two_hats", roles=[(Role.COMMUNITY_STAFF, west_a), (Role.STREET_STAFF, east)]),
        },
    }


OK = 200
NO = 403
# (user, place) → status; every place not listed for a user is refused (403).
ALLOWED = {
    "organizer": {"district", "east", "west", "east_a", "east_b", "west_a"},
    "organizer_b": {"other_district", "other_street", "other_community"},
    "east_staff": {"east", "east_a", "east_b"},
    "east_a_staff": {"east_a"},
    "resident": set(),
    "finance": set(),
    "judge": set(),
    "staff_b": {"other_community"},
    "both": {"east", "east_a", "east_b", "west_a"},
}
PLACES = ("district", "east", "west", "east_a", "east_b", "west_a", "other_district", "other_street", "other_community")


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_each_user_reads_exactly_the_places_they_oversee(client, login_as, places, who):
    login_as(places["users"][who])
    answers = {place: client.get(places["urls"][place]).status_code for place in PLACES}
    assert answers == {place: OK if place in ALLOWED[who] else NO for place in PLACES}


def test_another_streets_staff_are_refused_with_any_period(client, login_as, places):
    made = places["made"]
    login_as(places["users"]["east_staff"])
    west = places["urls"]["west"]
    for query in ({}, {"year": 2025}, {"edition": made.editions[0].id}):
        assert client.get(west, query_string=query).status_code == NO
        assert client.get(places["urls"]["west_a"], query_string=query).status_code == NO


def test_another_communitys_staff_are_refused(client, login_as, places):
    login_as(places["users"]["east_a_staff"])
    for place in ("east_b", "west_a", "east", "district"):
        assert client.get(places["urls"][place]).status_code == NO, place


def test_anonymous_visitors_are_sent_to_sign_in(client, places):
    for place in ("district", "east", "east_a"):
        response = client.get(places["urls"][place])
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_street_staff_see_no_link_they_could_not_open(client, login_as, places):
    """Street staff read their street's figures; the grants lists (organizer and finance) are not linked."""
    login_as(places["users"]["east_staff"])
    html = client.get(places["urls"]["east"]).get_data(as_text=True)
    assert "/funding/editions/" not in html and "/groups/districts/" not in html
    assert "/groups/streets/" in html and "/admin/editions/" in html


def test_the_chooser_offers_only_the_places_the_user_may_read(client, login_as, places):
    made = places["made"]
    login_as(places["users"]["east_staff"])
    html = client.get(places["urls"]["east"]).get_data(as_text=True)
    east, west = made.streets
    assert f'value="street-{east.id}"' in html and f'value="street-{west.id}"' not in html
    assert f'value="district-{made.district.id}"' not in html
    assert (
        f'value="community-{made.communities[0].id}"' in html
        and f'value="community-{made.communities[2].id}"' not in html
    )
