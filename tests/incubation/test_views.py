"""Group pages: forms, redirects, messages, a bounded list, and who sees a member's full mobile."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from grants.incubation import service
from grants.incubation.models import Group, GroupMember
from grants.incubation.service import GroupData


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count(model.id)))


GROUP_FORM = {
    "name": "樱桃合唱团",
    "kind": "recreation",
    "founded_on": "2026-03-01",
    "scope": "每周排练",
    "venue": "活动室",
    "supervisor": "甲一社区居委会",
    "leader_login": "",
}


def test_staff_create_a_group_from_the_form(session, client, login_as, world):
    login_as(world.staff_a)
    response = client.post(f"/groups/communities/{world.community_a.id}/new", data=GROUP_FORM)
    assert response.status_code == 302
    group = session.scalars(select(Group)).one()
    assert response.headers["Location"].endswith(f"/groups/{group.id}")
    assert (group.name, group.kind, group.founded_on) == ("樱桃合唱团", "recreation", date(2026, 3, 1))
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "樱桃合唱团" in page and "培育中" in page and "确认成立" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "请填写此项"),
        ({"kind": "club"}, "请选择组织类型"),
        ({"leader_login": "nobody-here"}, "没有找到这个手机号或用户名的用户"),
        ({"founded_on": "2099-01-01"}, "成立日期不能晚于今天"),
    ],
)
def test_bad_group_form_is_refused_with_a_message_and_creates_nothing(
    session, client, login_as, world, change, message
):
    login_as(world.staff_a)
    response = client.post(f"/groups/communities/{world.community_a.id}/new", data={**GROUP_FORM, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(session, Group) == 0


def test_a_duplicate_name_is_refused_with_a_message(session, client, login_as, world, make_group):
    make_group(name="樱桃合唱团")
    login_as(world.staff_a)
    response = client.post(f"/groups/communities/{world.community_a.id}/new", data=GROUP_FORM)
    assert response.status_code == 400 and "已有名为" in response.get_data(as_text=True)
    assert _count(session, Group) == 1


def test_a_grant_becomes_a_group_from_its_page(session, client, login_as, world, make_grant, sign_grant):
    grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
    login_as(world.staff_a)
    listing = client.get(f"/groups/communities/{world.community_a.id}").get_data(as_text=True)
    assert f"/groups/from-grant/{grant.id}" in listing
    assert client.get(f"/groups/from-grant/{grant.id}").status_code == 200
    response = client.post(f"/groups/from-grant/{grant.id}", data={**GROUP_FORM, "name": "花友会"})
    assert response.status_code == 302
    group = session.scalars(select(Group)).one()
    assert group.origin_grant_id == grant.id
    assert _count(session, GroupMember) >= 2
    again = client.post(f"/groups/from-grant/{grant.id}", data={**GROUP_FORM, "name": "另一个"})
    assert again.status_code == 400 and "已经建立了组织" in again.get_data(as_text=True)
    assert _count(session, Group) == 1
    assert f"/groups/from-grant/{grant.id}" not in client.get(f"/groups/communities/{world.community_a.id}").get_data(
        as_text=True
    )


def test_status_moves_and_filing_from_the_group_page(session, client, login_as, world, make_group):
    group = make_group()
    login_as(world.staff_a)
    url = f"/groups/{group.id}"
    assert client.post(f"{url}/status", data={"target": "established"}).status_code == 302
    response = client.post(f"{url}/filing", data={"filed_on": "2026-10-01", "filing_no": ""}, follow_redirects=True)
    assert "请填写备案日期和备案编号" in response.get_data(as_text=True)
    client.post(f"{url}/filing", data={"filed_on": "2026-10-01", "filing_no": "甲备-7"})
    session.expire_all()
    assert session.get(Group, group.id).status == "filed"
    refused = client.post(f"{url}/status", data={"target": "dormant", "reason": ""}, follow_redirects=True)
    assert "请填写原因" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Group, group.id).status == "filed"
    client.post(f"{url}/status", data={"target": "dormant", "reason": "场地装修"})
    page = client.get(url).get_data(as_text=True)
    assert "休眠" in page and "场地装修" in page and "甲备-7" in page


def test_the_leader_adds_and_edits_members(session, client, login_as, world, make_group):
    group = make_group(members=0)
    login_as(group.leader)
    url = f"/groups/{group.id}/members"
    data = {"name": "王芳", "mobile": "1391234", "role": "core", "joined_on": "2026-06-01", "left_on": ""}
    bad = client.post(f"{url}/new", data=data)
    assert bad.status_code == 400 and "11位手机号码" in bad.get_data(as_text=True)
    assert client.post(f"{url}/new", data={**data, "mobile": "13912345678"}).status_code == 302
    member = session.scalars(select(GroupMember).where(GroupMember.name == "王芳")).one()
    edit = client.post(f"{url}/{member.id}/edit", data={**data, "mobile": "13912345678", "left_on": "2026-07-01"})
    assert edit.status_code == 302
    session.expire_all()
    assert session.get(GroupMember, member.id).left_on == date(2026, 7, 1)
    assert "13912345678" in client.get(f"/groups/{group.id}").get_data(as_text=True)


def _fill(session, world, n):
    for i in range(n):
        service.create_group(
            session,
            actor=world.staff_a,
            community=world.community_a,
            data=GroupData(name=f"组织{i:04d}", kind="volunteer"),
        )
    session.commit()


def test_the_group_list_issues_the_same_number_of_queries_for_10_and_1000_groups(
    session, client, login_as, world, query_counter, make
):
    login_as(world.staff_a)
    url = f"/groups/communities/{world.community_a.id}"
    _fill(session, world, 10)
    client.get(url)
    with query_counter() as few:
        assert client.get(url).status_code == 200
    _fill_more = [make.user(f"lead{i}") for i in range(3)]  # leaders make the join do work
    for i, user in enumerate(_fill_more):
        g = session.scalars(select(Group).where(Group.name == f"组织{i:04d}")).one()
        g.leader_id = user.id
    session.commit()
    for start in range(10, 1000, 330):
        for i in range(start, min(start + 330, 1000)):
            session.add(Group(community_id=world.community_a.id, name=f"组织{i:04d}", kind="recreation"))
        session.commit()
    with query_counter() as many:
        response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count('class="card-title"') == 30 and "共 1000 个" in page
    assert len(many) == len(few), (few, many)
    filtered = client.get(url + "?kind=volunteer").get_data(as_text=True)
    assert filtered.count('class="card-title"') == 10 and 'class="pager"' not in filtered
    past_the_end = client.get(url + "?kind=recreation&page=34").get_data(as_text=True)  # 990: 33 full pages
    assert "第 33 / 33 页" in past_the_end and past_the_end.count('class="card-title"') == 30


def test_the_menu_links_to_the_groups(client, login_as, world, make_group):
    group = make_group()
    login_as(group.leader)
    page = client.get("/groups/").get_data(as_text=True)
    assert group.name in page
    assert 'href="/groups/"' in client.get("/").get_data(as_text=True)


def test_the_home_page_gives_each_led_group_its_way_to_log_an_activity(
    client, login_as, world, make_group, session, query_counter
):
    """A leader's home page lists the groups they lead, each with 记录活动 and its activities, in one
    query however many; a dissolved group, which logs no more, leaves the list; others see no such section."""
    group = make_group(name="桂花读书会")
    login_as(group.leader)
    client.get("/")
    with query_counter() as one:
        home = client.get("/").get_data(as_text=True)
    assert "我负责的组织" in home and "桂花读书会" in home
    assert f'href="/groups/{group.id}/activities/new"' in home and f'href="/groups/{group.id}/activities"' in home
    others = [make_group(leader=group.leader, name=f"第{i}个组织") for i in range(4)]
    with query_counter() as five:
        home = client.get("/").get_data(as_text=True)
    assert len(five) == len(one), (one, five)
    assert all(f'href="/groups/{g.id}/activities/new"' in home for g in others)
    service.change_status(session, actor=world.staff_a, group=group, target="dissolved", reason="成员搬离")
    session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "桂花读书会" not in home and home.count("/activities/new") == 4
    login_as(world.resident)
    assert "我负责的组织" not in client.get("/").get_data(as_text=True)
    login_as(world.staff_a)
    assert "我负责的组织" not in client.get("/").get_data(as_text=True)


def test_the_index_tells_residents_how_groups_arrive_and_spares_overseers_it(client, login_as, world, make_group):
    """A resident leading no group is told how one comes; staff see the communities they oversee,
    without a "my groups" section that is not theirs (unless they lead a group themselves)."""
    login_as(world.resident)
    page = client.get("/groups/").get_data(as_text=True)
    assert "您还没有负责的组织" in page and "我负责的社区" not in page
    login_as(world.staff_a)
    page = client.get("/groups/").get_data(as_text=True)
    assert "我负责的社区" in page and world.community_a.name in page
    assert "我负责的组织" not in page
    group = make_group(leader=world.staff_a)
    page = client.get("/groups/").get_data(as_text=True)
    assert "我负责的组织" in page and group.name in page and "我负责的社区" in page


def test_the_grant_page_offers_the_group_and_then_links_to_it(session, client, login_as, world, make_grant, sign_grant):
    grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
    unsigned = make_grant(world.edition_a, community=world.community_a)
    login_as(world.staff_a)
    assert f"/groups/from-grant/{grant.id}" in client.get(f"/funding/grants/{grant.id}").get_data(as_text=True)
    assert "/groups/from-grant/" not in client.get(f"/funding/grants/{unsigned.id}").get_data(as_text=True)
    client.post(f"/groups/from-grant/{grant.id}", data={**GROUP_FORM, "name": "花友会"})
    group = session.scalars(select(Group)).one()
    page = client.get(f"/funding/grants/{grant.id}").get_data(as_text=True)
    assert f'href="/groups/{group.id}"' in page and "/groups/from-grant/" not in page
    login_as(grant.proposal.applicant)  # the team's lead is the group's leader
    assert f'href="/groups/{group.id}"' in client.get(f"/funding/grants/{grant.id}").get_data(as_text=True)


def test_a_group_route_reads_the_group_and_its_place_as_a_query_does(session, world, make_group):
    """group_with_place: the group, community, street and district a query gives, linked, in one
    statement; no group for an id that is not one."""
    from sqlalchemy import event
    from sqlalchemy import inspect as sa_inspect

    from grants.db import db
    from grants.incubation import queries

    group = make_group()
    session.commit()
    chain = (group, group.community, group.community.street, group.community.street.district)
    expected = [{p.key: getattr(obj, p.key) for p in sa_inspect(type(obj)).column_attrs} for obj in chain]
    group_id = group.id
    session.expunge_all()
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        loaded = queries.group_with_place(session, group_id)
        got = (loaded, loaded.community, loaded.community.street, loaded.community.street.district)
        values = [{p.key: getattr(obj, p.key) for p in sa_inspect(type(obj)).column_attrs} for obj in got]
        assert queries.group_with_place(session, group_id + 1000) is None
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert values == expected
    assert [type(obj) for obj in got] == [type(obj) for obj in chain]
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert not session.dirty and not session.new
