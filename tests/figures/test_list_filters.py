"""The filters the figures' links add to existing lists: received proposals of a street or a year,
grants of a street or a year, groups grown in an edition or active in a year (and by stars on a
community's list), a community's activities of a year. Each narrows the list and nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from grants.funding.models import Grant
from grants.incubation.models import Activity, Group
from grants.proposals.models import Proposal
from grants.proposals.states import RECEIVED_STATUSES


def _count(html: str, pattern: str) -> int:
    found = re.search(pattern, html)
    return int(found.group(1)) if found else 0


def test_received_proposals_of_a_street_and_a_year(client, login_as, session, world, generated):
    made = generated()
    edition = made.editions[1]
    login_as(world.organizer_a)
    url = f"/admin/editions/{edition.id}/proposals"
    street = made.streets[0]
    in_street = {c.id for c in made.communities if c.street_id == street.id}
    rows = session.query(Proposal).filter(Proposal.edition_id == edition.id).all()
    received = [p for p in rows if p.status in RECEIVED_STATUSES]
    assert len(received) < len([p for p in rows if p.version > 0])  # withdrawn ones exist and are left out
    html = client.get(url, query_string={"status": "received"}).get_data(as_text=True)
    assert _count(html, r"共 (\d+) 个项目") == len(received)
    html = client.get(url, query_string={"status": "received", "street": street.id}).get_data(as_text=True)
    assert _count(html, r"共 (\d+) 个项目") == sum(p.community_id in in_street for p in received)
    assert f"只列出{street.name}的申报" in html and 'name="street" value=' in html
    bounds = (datetime(2024, 12, 31, 16, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC))
    in_2025 = sum(bounds[0] <= p.submitted_at < bounds[1] for p in received)
    html = client.get(url, query_string={"status": "received", "year": 2025}).get_data(as_text=True)
    assert _count(html, r"共 (\d+) 个项目") == in_2025
    assert client.get(url, query_string={"year": "20x5"}).status_code == 400


def test_grants_of_a_street_and_a_year(client, login_as, session, world, generated):
    made = generated()
    edition = made.editions[0]
    login_as(world.organizer_a)
    url = f"/funding/editions/{edition.id}/grants"
    grants = session.query(Grant).filter(Grant.edition_id == edition.id).all()
    street = made.streets[1]
    in_street = {c.id for c in made.communities if c.street_id == street.id}
    html = client.get(url, query_string={"street": street.id}).get_data(as_text=True)
    assert _count(html, r"合计（(\d+)个项目）") == sum(g.proposal.community_id in in_street for g in grants)
    start = datetime(2023, 12, 31, 16, tzinfo=UTC)
    in_2024 = sum(start <= g.created_at < start + timedelta(days=366) for g in grants)
    html = client.get(url, query_string={"year": 2024}).get_data(as_text=True)
    assert _count(html, r"合计（(\d+)个项目）") == in_2024
    assert "只列出2024年确定资助的项目" in html


def test_groups_grown_in_an_edition_or_active_in_a_year(client, login_as, session, world, generated):
    made = generated()
    login_as(world.organizer_a)
    edition = made.editions[0]
    groups = session.query(Group).filter(Group.id.in_([g.id for g in made.groups])).all()
    grown = [g for g in groups if g.origin_grant_id and session.get(Grant, g.origin_grant_id).edition_id == edition.id]
    html = client.get(f"/groups/districts/{made.district.id}", query_string={"edition": edition.id}).get_data(
        as_text=True
    )
    assert _count(html, r"共 (\d+) 个<") == len(grown) and "只列出由所选届次的资助项目孵化的组织" in html
    start, end = datetime(2024, 12, 31, 16, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC)
    active = {
        a.group_id for a in session.query(Activity).filter(Activity.status == "confirmed") if start <= a.starts_at < end
    }
    html = client.get(f"/groups/districts/{made.district.id}", query_string={"year": 2025}).get_data(as_text=True)
    assert _count(html, r"共 (\d+) 个<") == len(active & {g.id for g in groups})
    community = made.communities[0]
    html = client.get(f"/groups/communities/{community.id}", query_string={"year": 2025}).get_data(as_text=True)
    assert _count(html, r"共 (\d+) 个<") == len(active & {g.id for g in groups if g.community_id == community.id})
    assert 'name="year" value="2025"' in html  # kept when the form is sent again


def test_a_communitys_activities_of_a_year(client, login_as, session, world, generated):
    made = generated(activities=8)
    community = made.communities[1]
    login_as(world.organizer_a)
    start, end = datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC)
    expected = [
        a
        for a in session.query(Activity)
        .join(Group, Group.id == Activity.group_id)
        .filter(Group.community_id == community.id)
        if a.status == "confirmed" and start <= a.starts_at < end
    ]
    html = client.get(
        f"/groups/communities/{community.id}/activities", query_string={"status": "confirmed", "year": 2026}
    ).get_data(as_text=True)
    assert len(re.findall(r'href="/groups/activities/\d+"', html)) == len(expected) > 0
    assert "只列出2026年开始的活动" in html
