"""Open data of the figures: /api/v1/districts/<id>/figures and /api/v1/groups — the same numbers as
the pages, public facts only, cacheable without a session, described by the OpenAPI document."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from grants.auth.models import Role, User
from grants.extensions import limiter
from grants.figures import queries
from grants.figures.scope import Scope
from grants.incubation.models import GroupMember
from grants.incubation.ratings import queries as rating_queries

MOBILE = re.compile(r"1[3-9]\d{9}")


def test_the_figures_answer_the_same_numbers_as_the_page(client, session, figures_district):
    made = figures_district
    base = f"/api/v1/districts/{made.district.id}/figures"
    for url, scope in (
        (base, Scope(made.district)),
        (f"{base}/years/2025", Scope(made.district, year=2025)),
        (f"{base}/editions/{made.editions[0].id}", Scope(made.district, edition=made.editions[0])),
    ):
        data = client.get(url).get_json()
        figures = queries.figures(session, scope)
        assert data["editions_held"] == figures.editions_held
        assert data["proposals_received"] == figures.proposals and data["projects_funded"] == figures.funded
        assert data["money"]["spent_fen"] == figures.money.spent_fen
        assert data["money"]["returned_yuan"] == f"{figures.money.returned_fen / 100:.2f}"
        assert data["activities_confirmed"] == figures.activities and data["residents_served"] == figures.served
        assert data["groups"]["by_stars"] == {str(k): v for k, v in figures.groups_by_stars.items()}
        assert sum(m["activities"] for m in data["activities_by_month"]) == figures.activities
        assert sum(r["activities_confirmed"] for r in data["by_community"]) == figures.activities
        assert data["summary"]["zh"].startswith(("甲区", "2025年", made.editions[0].name))
        assert "micro-grant" in data["summary"]["en"] or "resident proposals" in data["summary"]["en"]


@pytest.mark.parametrize("tail", ["/years/1999", "/years/2101", "/years/x", "/editions/0", "/editions/-3"])
def test_a_period_the_api_does_not_know_is_a_json_404(client, world, tail):
    response = client.get(f"/api/v1/districts/{world.district_a.id}/figures{tail}")
    assert response.status_code == 404 and set(response.get_json()) == {"error", "message"}


def test_an_unknown_district_or_another_districts_edition_is_a_404(client, world):
    assert client.get("/api/v1/districts/999999/figures").status_code == 404
    response = client.get(f"/api/v1/districts/{world.district_a.id}/figures/editions/{world.edition_b.id}")
    assert response.status_code == 404


def test_only_groups_a_final_star_list_named_are_open_data(client, session, figures_district):
    made = figures_district
    rated = set(session.scalars(rating_queries.rated_group_ids()))
    assert rated and rated != {g.id for g in made.groups}  # some groups were never rated: not listed
    data = client.get("/api/v1/groups", query_string={"district": made.district.id}).get_json()
    assert {g["id"] for g in data["groups"]} == rated and data["total"] == len(rated)
    stars = rating_queries.current_stars_of(session, list(rated))
    for group in data["groups"]:
        rating = stars.get(group["id"])
        assert group["current_stars"] == (
            None
            if rating is None
            else {"stars": rating.stars, "year": rating.year, "expires_on": rating.expires_on.isoformat()}
        )
        assert client.get(group["links"]["page"]).status_code == 200
    assert any(g["current_stars"] is None for g in data["groups"])  # rated once, expired since


def test_no_member_leader_or_phone_number_leaves_in_the_open_data(client, session, figures_district, make, world):
    made = figures_district
    leader = make.user("leader_x", name="赵领队", community=made.communities[0])
    made.groups[0].leader_id = leader.id
    session.commit()
    members = session.scalars(select(GroupMember.name)).all()
    people = session.scalars(select(User.display_name)).all()
    bodies = [
        client.get("/api/v1/groups", query_string={"district": made.district.id}).get_data(as_text=True),
        client.get(f"/api/v1/districts/{made.district.id}/figures").get_data(as_text=True),
    ]
    # People of the generated district have Chinese names (the world's have logins such as "resident",
    # a word the English sentence uses).
    names = [n for n in [*members, *people] if re.search(r"[\u4e00-\u9fff]", n)]
    assert "赵领队" in names and len(names) > 5
    for body in bodies:
        assert not MOBILE.search(body)
        for name in names:
            assert name not in body, name


def test_groups_are_paged_and_filtered(client, session, figures_district, monkeypatch):
    from grants.figures import opendata

    made = figures_district
    monkeypatch.setattr(opendata, "PER_PAGE", 2)
    first = client.get("/api/v1/groups", query_string={"district": made.district.id}).get_json()
    assert len(first["groups"]) == 2 and first["next_page"] == 2
    rest = client.get("/api/v1/groups", query_string={"district": made.district.id, "page": 2}).get_json()
    assert not {g["id"] for g in first["groups"]} & {g["id"] for g in rest["groups"]}
    kind = first["groups"][0]["kind"]
    only = client.get("/api/v1/groups", query_string={"kind": kind}).get_json()
    assert only["groups"] and {g["kind"] for g in only["groups"]} == {kind}
    community = first["groups"][0]["community"]
    one = next(c for c in made.communities if c.name == community)
    assert {
        g["community"] for g in client.get("/api/v1/groups", query_string={"community": one.id}).get_json()["groups"]
    } == {community}
    for bad in ({"kind": "party"}, {"page": "0"}, {"district": "x"}):
        assert client.get("/api/v1/groups", query_string=bad).status_code == 400


def test_anonymous_answers_are_cacheable_and_do_not_vary_on_cookies(client, figures_district):
    made = figures_district
    for url in (f"/api/v1/districts/{made.district.id}/figures", "/api/v1/groups"):
        response = client.get(url)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "public, max-age=60" and response.headers["ETag"]
        assert "Cookie" not in response.headers.get("Vary", "")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get_cookie("session") is None


@pytest.mark.parametrize("which", ["figures", "groups"])
def test_the_number_of_queries_does_not_grow(client, session, make, query_counter, which):
    from tests.figures import district as generator

    counts = []
    for seed, sizes in (
        (5, {"proposals": 3, "extra_groups": 2, "activities": 1}),
        (6, {"proposals": 40, "extra_groups": 14, "activities": 10}),
    ):
        new = make.district(f"开放区{seed}")
        generator.build(session, make, new, seed=seed, **sizes)
        url = f"/api/v1/districts/{new.id}/figures" if which == "figures" else f"/api/v1/groups?district={new.id}"
        limiter.reset()
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_answers_match_the_openapi_description(app, figures_district, world):
    import schemathesis

    made = figures_district
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    district = {"district_id": made.district.id}
    figures = schema["/districts/{district_id}/figures"]["GET"]
    edition = schema["/districts/{district_id}/figures/editions/{edition_id}"]["GET"]
    year = schema["/districts/{district_id}/figures/years/{year}"]["GET"]
    groups = schema["/groups"]["GET"]
    cases = [
        figures.Case(path_parameters=district),
        year.Case(path_parameters={**district, "year": 2025}),
        edition.Case(path_parameters={**district, "edition_id": made.editions[1].id}),
        edition.Case(path_parameters={**district, "edition_id": world.edition_b.id}),
        figures.Case(path_parameters={"district_id": 999_999}),
        groups.Case(query={"district": made.district.id}),
        groups.Case(query={"kind": "volunteer", "page": 1}),
        groups.Case(query={"page": 999}),
        groups.Case(query={"kind": "party"}),
    ]
    statuses = []
    for case in cases:
        limiter.reset()
        statuses.append(case.call_and_validate().status_code)
    assert statuses == [200, 200, 200, 404, 404, 200, 200, 200, 400]


def test_the_organizer_and_the_api_agree_for_a_street_too(client, login_as, session, figures_district, make):
    """The page of a street shows what the district's API says for that street's communities."""
    made = figures_district
    organizer = make.user("api_org", roles=[(Role.ORGANIZER, made.district)])
    data = client.get(f"/api/v1/districts/{made.district.id}/figures").get_json()
    street = made.streets[0]
    in_street = [r for r in data["by_community"] if r["street"] == street.name]
    figures = queries.figures(session, Scope(made.district, street=street))
    assert sum(r["activities_confirmed"] for r in in_street) == figures.activities
    login_as(organizer)
    assert client.get(f"/figures/streets/{street.id}").status_code == 200
