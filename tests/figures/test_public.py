"""The district's public figures page: the same numbers as the organizer's, aggregates only (no
person, no phone number, no list behind a number), cacheable by anyone."""

from __future__ import annotations

import re

from sqlalchemy import select

from grants.auth.models import User
from grants.figures import queries
from grants.figures.scope import Scope
from grants.incubation.models import GroupMember
from grants.money import format_fen

MOBILE = re.compile(r"1[3-9]\d{9}")


def _url(made) -> str:
    return f"/results/districts/{made.district.id}/figures"


def test_anyone_reads_the_districts_figures(client, session, figures_district):
    made = figures_district
    html = client.get(_url(made)).get_data(as_text=True)
    figures = queries.figures(session, Scope(made.district))
    assert f'data-figure="funded"><a href="#by-edition">{figures.funded}<' in html
    assert f'data-figure="spent"><a href="#by-edition">{format_fen(figures.money.spent_fen)}<' in html
    assert "已先后开展了三届社区公益微创投大赛" in html and 'id="chart-money"' in html
    for year in (2024, 2025, 2026):
        page = client.get(_url(made), query_string={"year": year}).get_data(as_text=True)
        assert f"{year}年，甲区收到居民项目申报" in page


def test_the_public_page_names_no_person_and_links_to_no_list(client, session, figures_district):
    made = figures_district
    html = client.get(_url(made)).get_data(as_text=True)
    members = session.scalars(select(GroupMember.name)).all()
    people = session.scalars(select(User.display_name)).all()
    assert members and people
    for name in [*members, *people]:
        assert name not in html, name
    assert not MOBILE.search(html)
    for private in ("/admin/", "/funding/", "/groups/", "/proposals/", "/figures/"):
        assert private not in html, private


def test_anonymous_answers_are_cacheable_without_a_session(client, figures_district):
    made = figures_district
    response = client.get(_url(made))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60" and response.headers["ETag"]
    assert client.get(_url(made), headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_the_public_chooser_leads_to_a_period(client, figures_district):
    made = figures_district
    edition = made.editions[2]
    response = client.get(_url(made), query_string={"period": f"edition-{edition.id}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{_url(made)}?edition={edition.id}")
    assert client.get(_url(made), query_string={"period": "nonsense"}).status_code == 400
    assert client.get(_url(made), query_string={"edition": 999_999}).status_code == 404


def test_the_results_index_links_each_districts_figures(client, figures_district):
    made = figures_district  # its editions' final lists are public: the index names the district
    html = client.get("/results/").get_data(as_text=True)
    assert f"/results/districts/{made.district.id}/figures" in html
