"""A group's history on its page: where it came from (proposal, round results, award, grant and its
settlement, evaluations) and its figures by year — only confirmed activities count, years are
China's, money only for who may see the grant, and the page's queries do not grow with the record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.incubation import history, service
from grants.incubation.models import Activity, VolunteerHours
from grants.incubation.service import GroupData
from tests.incubation.history_fixtures import add_activity, add_evaluation, add_money, add_round_results, utc

TITLE = "樱花树下共建花园"


@pytest.fixture
def grown(session, world, make_grant, sign_grant, kept):
    """A group grown from a signed grant with round results, money moved and two evaluations."""

    def build():
        grant = make_grant(world.edition_a, approved_fen=120_000, community=world.community_a)
        grant.proposal.title = TITLE
        sign_grant(grant)
        group = service.create_group_from_grant(
            session, actor=world.staff_a, grant=grant, data=GroupData(name="花友会", kind="volunteer")
        )
        add_round_results(session, grant)
        add_money(session, grant, world.organizer_a, paid=72_000, spent=50_000, refunded=22_000)
        add_evaluation(session, grant, world.organizer_a, kind="midterm", total=55, passed=False, at=utc(2026, 9, 1))
        add_evaluation(session, grant, world.organizer_a, kind="midterm", total=78, passed=True, at=utc(2026, 9, 20))
        add_evaluation(session, grant, world.organizer_a, kind="final", total=91, passed=True, at=utc(2026, 11, 30))
        session.commit()
        return group, grant

    return kept("incubation.history.grown", build)


def test_only_confirmed_activities_count_by_china_year(session, world, grown):
    group, _grant = grown
    staff = world.staff_a
    add_activity(session, group, at=utc(2025, 6, 1, 2), served=30, halves=(3, 4), by=staff)
    # 2025-12-31 17:00 UTC is already 2026-01-01 01:00 in China: it counts for 2026.
    add_activity(session, group, at=utc(2025, 12, 31, 17), served=12, halves=(2,), by=staff)
    add_activity(session, group, at=utc(2026, 3, 1, 2), served=8, halves=(1,), by=staff)
    add_activity(session, group, at=utc(2026, 4, 1, 2), status="pending", served=500, halves=(16,))
    add_activity(session, group, at=utc(2026, 5, 1, 2), status="returned", served=700, halves=(16, 16))
    session.commit()

    years = history.yearly_figures(session, group.id)

    assert [(y.year, y.activities, y.served, y.halves, y.hours) for y in years] == [
        (2025, 1, 30, 7, "3.5"),
        (2026, 2, 20, 3, "1.5"),
    ]
    assert history.GroupHistory([], years).totals == history.Totals(3, 50, 10)
    # the unconfirmed rows exist, they just do not count
    assert session.scalar(select(func.count(Activity.id)).where(Activity.group_id == group.id)) == 5
    assert session.scalar(select(func.sum(VolunteerHours.halves))) == 10 + 16 + 32


def test_the_history_names_the_proposal_its_results_award_grant_settlement_and_evaluations(session, world, grown):
    group, grant = grown
    (line,) = history.group_history(session, group, world.organizer_a).applications

    assert (line.proposal_id, line.title, line.edition, line.is_origin, line.may_view) == (
        grant.proposal_id,
        TITLE,
        "甲区第一届",
        True,
        True,
    )
    assert [(r.rank, str(r.score)) for r in line.rounds] == [(3, "81.5000"), (2, "88.2500")]
    g = line.grant
    assert (g.id, g.tier, g.approved_fen, g.status, g.may_view) == (grant.id, "一等奖", 120_000, "signed", True)
    assert (g.figures.paid_fen, g.figures.accepted_expenses_fen, g.figures.refunded_fen) == (72_000, 50_000, 22_000)
    # the latest evaluation of each kind decides: the failed first mid-term is not shown
    assert [(e.kind, e.total_points, e.passed) for e in g.evaluations] == [("midterm", 78, True), ("final", 91, True)]


def test_the_group_page_shows_the_history(session, client, login_as, world, grown):
    group, grant = grown
    add_activity(session, group, at=utc(2026, 6, 1, 2), served=25, halves=(3,), by=world.staff_a)
    session.commit()
    login_as(world.staff_a)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    for text in (
        "历届记录",
        TITLE,
        "甲区第一届",
        "孵化来源",
        "88.25",
        "一等奖",
        "¥1,200.00",  # approved
        "¥720.00",  # paid
        "¥500.00",  # spent
        "¥220.00",  # returned
        "78分（合格线60分）",
        "91分（合格线60分）",
        "2026",
        "1.5",
        f'href="/proposals/{grant.proposal_id}"',
        f'href="/funding/grants/{grant.id}"',
    ):
        assert text in page, text


def test_street_staff_see_the_record_but_not_the_money_nor_links_they_may_not_open(
    session, client, login_as, world, grown
):
    group, grant = grown
    login_as(world.street_staff_a)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert TITLE in page and "一等奖" in page and "¥1,200.00" in page and "91分" in page
    assert "¥720.00" not in page and "¥220.00" not in page
    assert f'href="/funding/grants/{grant.id}"' not in page
    # street staff review their street's proposals, so the proposal link stays
    assert f'href="/proposals/{grant.proposal_id}"' in page


def test_the_leader_sees_the_money_of_the_grant_they_lead(client, login_as, world, grown):
    group, grant = grown
    login_as(group.leader)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "¥720.00" in page and f'href="/funding/grants/{grant.id}"' in page


def test_a_group_without_a_grant_or_activities_says_so(client, login_as, world, make_group):
    group = make_group()
    login_as(world.staff_a)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "还没有本组织的申报或资助记录" in page and "还没有已核实的活动" in page


def test_the_group_page_issues_the_same_queries_for_one_year_and_many(
    session, client, login_as, world, grown, query_counter
):
    group, grant = grown
    add_activity(session, group, at=utc(2026, 6, 1, 2), halves=(3,), by=world.staff_a)
    session.commit()
    login_as(world.staff_a)
    url = f"/groups/{group.id}"
    client.get(url)
    with query_counter() as few:
        assert client.get(url).status_code == 200
    for year in range(2021, 2027):
        for month in range(1, 13):
            add_activity(session, group, at=utc(year, month, 3, 2), halves=(2, 3), by=world.staff_a)
            add_activity(session, group, at=utc(year, month, 5, 2), status="pending", halves=(2,))
    add_evaluation(session, grant, world.organizer_a, kind="final", total=95, passed=True, at=utc(2026, 12, 1))
    session.commit()
    with query_counter() as many:
        page = client.get(url).get_data(as_text=True)
    assert "2021" in page and "2026" in page
    assert len(many) == len(few), (few, many)
