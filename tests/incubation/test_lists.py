"""The groups of a street (its street staff, the organizer) and of the district (the organizer):
filters by kind, status and place, counts per kind and status, cards on phones, and a fixed
number of queries whatever the number of groups."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.incubation import listing
from grants.incubation.models import Group
from tests.incubation.history_fixtures import add_activity, utc


@pytest.fixture
def groups(session, world, make, make_group, kept):
    """Two groups in community A, one in A2 (same street), one in district B."""

    def build():
        a1 = make_group(name="甲一花友会")
        a2 = make_group(name="甲一议事会")
        a2.kind = "self_governing"
        b = make_group(community=world.community_a2, name="甲二合唱团")
        b.kind = "recreation"
        b.status = "established"  # test data: the state machine is tested elsewhere
        far = make_group(community=world.community_b, name="乙一志愿队", actor=world.organizer_b, members=0)
        add_activity(session, a1, at=utc(2026, 6, 1, 2), by=world.staff_a)
        add_activity(session, a1, at=utc(2026, 6, 2, 2), status="pending")
        session.commit()
        return a1, a2, b, far

    return kept("incubation.lists.groups", build)


def _names(page: str) -> list[str]:
    return [n for n in ("甲一花友会", "甲一议事会", "甲二合唱团", "乙一志愿队") if n in page]


def test_street_staff_see_their_streets_groups_with_counts(client, login_as, world, groups):
    login_as(world.street_staff_a)
    response = client.get(f"/groups/streets/{world.street_a.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _names(page) == ["甲一花友会", "甲一议事会", "甲二合唱团"]
    assert "组织数量（共3个）" in page
    assert "自治 1 · 自乐 1 · 志愿 1" in page and "培育中 2 · 已成立 1" in page
    assert 'class="cards-on-phone"' in page and 'data-label="已核实活动"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?kind=recreation", ["甲二合唱团"]),
        ("?status=cultivating", ["甲一花友会", "甲一议事会"]),
        ("?community={a2}", ["甲二合唱团"]),
        ("?kind=volunteer&status=established", []),
        ("?kind=nonsense&status=x&community=abc", ["甲一花友会", "甲一议事会", "甲二合唱团"]),
        ("?community={b}", ["甲一花友会", "甲一议事会", "甲二合唱团"]),  # not of this street: ignored
        ("?edition={many}&year={many}", ["甲一花友会", "甲一议事会", "甲二合唱团"]),  # past int()'s digit limit
    ],
)
def test_the_street_list_filters(client, login_as, world, groups, query, expected):
    login_as(world.organizer_a)
    url = f"/groups/streets/{world.street_a.id}" + query.format(
        a2=world.community_a2.id, b=world.community_b.id, many="1" * 5000
    )
    response = client.get(url)
    assert response.status_code == 200
    assert _names(response.get_data(as_text=True)) == expected


def test_the_organizer_sees_the_districts_groups_and_filters_by_street(session, client, login_as, make, world, groups):
    other_street = make.street(world.district_a, "甲东街道")
    make.community(other_street, "甲东社区")
    login_as(world.organizer_a)
    url = f"/groups/districts/{world.district_a.id}"
    page = client.get(url).get_data(as_text=True)
    assert _names(page) == ["甲一花友会", "甲一议事会", "甲二合唱团"] and "组织数量（共3个）" in page
    assert _names(client.get(f"{url}?street={other_street.id}").get_data(as_text=True)) == []
    assert _names(client.get(f"{url}?street={world.street_a.id}&kind=volunteer").get_data(as_text=True)) == [
        "甲一花友会"
    ]


def test_only_confirmed_activities_are_counted_in_the_rows(session, world, groups):
    shown = listing.group_page(session, listing.street_scope(world.street_a.id), listing.GroupFilters(), 1)
    rows = {r.name: r for r in shown.rows}
    assert rows["甲一花友会"].activities == 1 and rows["甲一议事会"].activities == 0


def test_the_index_links_to_the_street_and_district_lists(client, login_as, world, groups):
    def main(page: str) -> str:
        return page[page.index("<main") :]

    login_as(world.organizer_a)
    assert f'href="/groups/districts/{world.district_a.id}"' in main(client.get("/groups/").get_data(as_text=True))
    login_as(world.street_staff_a)
    page = client.get("/groups/").get_data(as_text=True)
    assert "<title>三自组织 · " in page
    assert f'href="/groups/streets/{world.street_a.id}"' in main(page) and "/groups/districts/" not in page


def _who(world, make, groups):
    return {
        "community staff": world.staff_a,
        "a group's leader": groups[0].leader,
        "another street's staff": make.user("street_b", roles=[(Role.STREET_STAFF, world.street_b)]),
        "another district's organizer": world.organizer_b,
        "street staff (district list)": world.street_staff_a,
        "a judge": world.judge_a,
        "finance": world.finance_a,
        "a resident": world.resident,
    }


def test_nobody_else_opens_a_street_or_district_list(client, login_as, make, world, groups):
    for who, user in _who(world, make, groups).items():
        login_as(user)
        district = client.get(f"/groups/districts/{world.district_a.id}")
        assert district.status_code == 404, who
        if who != "street staff (district list)":
            street = client.get(f"/groups/streets/{world.street_a.id}")
            assert street.status_code == 404, who
            assert "甲一花友会" not in street.get_data(as_text=True)


def test_anonymous_users_are_sent_to_the_login_page(client, world, groups):
    for url in (f"/groups/streets/{world.street_a.id}", f"/groups/districts/{world.district_a.id}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_unknown_street_or_district_is_not_found(client, login_as, world):
    login_as(world.organizer_a)
    assert client.get("/groups/streets/999999").status_code == 404
    assert client.get("/groups/districts/999999").status_code == 404


def _fill(session, world, start: int, stop: int) -> None:
    communities = (world.community_a, world.community_a2)
    for i in range(start, stop):
        session.add(
            Group(community_id=communities[i % 2].id, name=f"组织{i:04d}", kind=("volunteer", "recreation")[i % 2])
        )
        if i % 300 == 299:
            session.commit()
    session.commit()


@pytest.mark.parametrize("which", ["street", "district"])
def test_the_lists_issue_the_same_queries_for_10_and_1000_groups(
    session, client, login_as, world, make, query_counter, which
):
    login_as(world.organizer_a)
    url = f"/groups/streets/{world.street_a.id}" if which == "street" else f"/groups/districts/{world.district_a.id}"
    _fill(session, world, 0, 10)
    client.get(url)
    with query_counter() as few:
        assert client.get(url).status_code == 200
    leader = make.user("lead_many")
    session.execute(Group.__table__.update().where(Group.name == "组织0001").values(leader_id=leader.id))
    _fill(session, world, 10, 1000)
    assert session.scalar(select(func.count(Group.id))) == 1000
    with query_counter() as many:
        response = client.get(url)
    page = response.get_data(as_text=True)
    assert page.count('class="card-title"') == listing.PER_PAGE and "共 1000 个" in page and "第 1 / 34 页" in page
    assert len(many) == len(few), (few, many)
    with query_counter() as last:
        page = client.get(f"{url}?kind=volunteer&page=17").get_data(as_text=True)
    assert page.count('class="card-title"') == 500 - 16 * listing.PER_PAGE and "第 17 / 17 页" in page
    assert f'href="{url}?kind=volunteer&amp;page=16" rel="prev"' in page
    assert len(last) == len(few), (few, last)


def test_the_community_list_counts_its_groups_per_kind_and_status(client, login_as, world, groups):
    login_as(world.staff_a)
    page = client.get(f"/groups/communities/{world.community_a.id}").get_data(as_text=True)
    assert "组织数量（共2个） | 自治 1 · 自乐 0 · 志愿 1 | 培育中 2 · 已成立 0" in page


def _final_stars(session, world, year: int, final_on, stars_by_group):
    """A final campaign of district A with these decided stars (rows made directly: the rating
    pipeline is tested in test_rating_service.py)."""
    from grants.incubation.models import StarCampaign, StarNomination

    campaign = StarCampaign(
        district_id=world.district_a.id, year=year, title=f"{year}年度", status="final", final_on=final_on
    )
    session.add(campaign)
    session.flush()
    for group, stars in stars_by_group.items():
        session.add(StarNomination(campaign_id=campaign.id, group_id=group.id, decided_stars=stars))
    session.commit()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?stars=5", ["甲一花友会"]),
        ("?stars=4", []),  # 甲二合唱团's four stars of 2022 have expired
        ("?stars=3", ["甲一议事会"]),
        ("?stars=0", ["甲二合唱团"]),
        ("?stars=7", ["甲一花友会", "甲一议事会", "甲二合唱团"]),  # unknown: ignored
    ],
)
def test_the_lists_filter_and_count_by_current_stars(session, client, login_as, world, groups, query, expected):
    from datetime import date

    from grants import timeutil

    a1, a2, b, _far = groups
    today = timeutil.today()
    _final_stars(session, world, 2022, date(today.year - 4, 11, 1), {b: 4, a1: 3})
    _final_stars(session, world, today.year - 1, today.replace(year=today.year - 1), {a1: 5, a2: 3})
    login_as(world.street_staff_a)
    page = client.get(f"/groups/streets/{world.street_a.id}{query}").get_data(as_text=True)
    assert _names(page) == expected
    assert "五星 1 · 四星 0 · 三星 1 · 无星级 1" in page


def test_the_group_page_lists_its_stars_by_year_current_and_expired(session, client, login_as, world, groups):
    from datetime import date

    from grants import timeutil

    a1, _a2, b, _far = groups
    today = timeutil.today()
    old = date(today.year - 4, 11, 1)
    recent = today.replace(year=today.year - 1)
    _final_stars(session, world, old.year, old, {a1: 3})
    _final_stars(session, world, recent.year, recent, {a1: 5})
    login_as(world.staff_a)
    page = client.get(f"/groups/{a1.id}").get_data(as_text=True)
    assert f"{recent.year}年度：五星，{recent}确定" in page
    assert f"{old.year}年度：三星，{old}确定" in page and f"已于{old.replace(year=old.year + 3)}到期" in page
    assert "星级评定记录" not in client.get(f"/groups/{b.id}").get_data(as_text=True)
