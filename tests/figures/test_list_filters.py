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


def test_received_proposals_of_a_street_and_a_year(client, login_as, session, world, figures_district):
    made = figures_district
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


def test_grants_of_a_street_and_a_year(client, login_as, session, world, figures_district):
    made = figures_district
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


def test_groups_grown_in_an_edition_or_active_in_a_year(client, login_as, session, world, figures_district):
    made = figures_district
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


def test_grants_whose_money_moved_in_a_year_show_that_years_money(client, login_as, session, world, figures_district):
    """Counted here from the rows themselves: a payment sent back and paid again the next year, a
    correction a year after the entry it reverses, expenses on New Year's Eve and Day."""
    from grants.funding.models import Expense, LedgerEntry
    from grants.money import format_fen

    made = figures_district
    edition = made.editions[0]
    login_as(world.organizer_a)
    start, end = datetime(2024, 12, 31, 16, tzinfo=UTC), datetime(2025, 12, 31, 16, tzinfo=UTC)
    grant_ids = {g.id for g in session.query(Grant).filter(Grant.edition_id == edition.id)}
    entries = [e for e in session.query(LedgerEntry) if e.grant_id in grant_ids and start <= e.at < end]
    kind_of = {e.id: e.kind for e in session.query(LedgerEntry)}
    paid = refunded = 0
    for entry in entries:
        kind = kind_of[entry.reverses_id] if entry.reverses_id else entry.kind
        if kind == "refund":
            refunded -= entry.amount_fen
        else:
            paid += entry.amount_fen
    spent = [
        x
        for x in session.query(Expense)
        if x.grant_id in grant_ids and x.status == "accepted" and x.spent_on.year == 2025
    ]
    moved = {e.grant_id for e in entries} | {x.grant_id for x in spent}
    html = client.get(f"/funding/editions/{edition.id}/grants", query_string={"moved": 2025}).get_data(as_text=True)
    footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
    totals = dict(re.findall(r'data-label="([^"]+)">(-?¥[\d,.]+)<', footer))
    assert totals["已拨付"] == format_fen(paid) and totals["已认可支出"] == format_fen(sum(x.amount_fen for x in spent))
    assert totals["结余退回"] == format_fen(refunded) and "结余" not in totals
    assert 0 < _count(html, r"合计（(\d+)个项目）") <= len(moved) < len(grant_ids) + 1
    assert "只列出2025年有资金往来的项目" in html and 'name="moved" value="2025"' in html
    # Malformed, it narrows nothing (as the list's other filters).
    html = client.get(f"/funding/editions/{edition.id}/grants", query_string={"moved": "20x5"}).get_data(as_text=True)
    assert _count(html, r"合计（(\d+)个项目）") == len(grant_ids) and "有资金往来" not in html
