"""The journey page issues a fixed number of SQL queries: the same for a group with 5 confirmed
activities as with 500, in every version; the public version reads no private table."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from grants import timeutil
from tests.journey.conftest import add_activities

PRIVATE_TABLES = ("team_members", "round_results", "eligibility_decisions", "group_members")


def _count(client, query_counter, url: str) -> list[str]:
    with query_counter() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize("viewer", ["anonymous", "organizer", "applicant"])
def test_500_activities_cost_no_more_queries_than_5(client, session, login_as, query_counter, world, story, viewer):
    if viewer == "organizer":
        login_as(world.organizer_a)
    elif viewer == "applicant":
        login_as(story.applicant)
    url = story.url()
    client.get(url)  # warm: the first request of a test loads the templates
    small = _count(client, query_counter, url)
    start = datetime.combine(timeutil.today() - timedelta(days=700), datetime.min.time(), tzinfo=UTC)
    add_activities(session, story.group, 495, start=start, confirmer=world.staff_a)
    session.commit()
    big = _count(client, query_counter, url)
    body = client.get(url).get_data(as_text=True)
    assert "500次" in body  # the page counts all of them…
    assert len(big) == len(small), "\n".join(big)  # …with the same queries
    assert len(small) <= 18  # 14 for the public version; the private ones add the viewer, people and rounds


def test_the_public_version_never_reads_the_private_tables(client, query_counter, story):
    client.get(story.url())
    statements = _count(client, query_counter, story.url())
    for table in PRIVATE_TABLES:
        assert not [s for s in statements if re.search(rf"\b{table}\b", s)], table
