"""The public pages of star rating: the notice and a rated group's page show the group, its stars
and confirmed figures — never a member's name or mobile (crawl) — and the lists' query counts do
not grow with their length."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from grants import timeutil
from grants.incubation.models import Activity, GroupMember, StarNomination, StarSheet
from grants.incubation.ratings import campaigns, decisions


def _activity(session, group, *, status, served):
    start = timeutil.now() - timedelta(days=3)
    session.add(
        Activity(
            group_id=group.id,
            title="楼道清扫",
            kind="service",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="三号楼",
            served=served,
            participants=5,
            status=status,
            confirmed_by_id=group.leader_id if status == "confirmed" else None,
        )
    )


def _crawl(client, start: str) -> dict[str, str]:
    """Every /ratings/ page reachable by links from ``start``."""
    seen, todo = {}, [start]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        seen[url] = response.get_data(as_text=True)
        todo += [u for u in re.findall(r'href="(/ratings/[^"#?]*)"', seen[url]) if u not in seen]
    return seen


def _private_words(session, pipeline, world) -> set[str]:
    members = session.scalars(
        select(GroupMember).where(GroupMember.group_id.in_([pipeline.group_a.id, pipeline.group_a2.id]))
    ).all()
    words = {m.name for m in members} | {m.mobile for m in members if m.mobile}
    for group in (pipeline.group_a, pipeline.group_a2):
        words |= {group.leader.display_name, group.leader.login_name}
    return words | {world.resident.display_name}  # the objection's author


def test_public_pages_never_show_a_members_name_or_mobile(session, client, login_as, world, pipeline):
    pipeline.to_notice()
    decisions.file_objection(
        session,
        actor=world.resident,
        nomination=pipeline.nominations[pipeline.group_a.id],
        text="该组织的活动台账有缺漏，请核实。",
    )
    session.commit()
    decisions.answer_objection(
        session,
        actor=world.organizer_a,
        objection=session.scalars(select(decisions.StarObjection)).one(),
        upheld=False,
        reply="经核实，台账齐全。",
    )
    session.commit()
    pipeline.close_window()
    decisions.finalize(session, actor=world.organizer_a, campaign=pipeline.campaign)
    session.commit()
    private = _private_words(session, pipeline, world)
    assert "成员0" in private and "13712340000" in private
    for viewer in (None, world.resident):
        if viewer:
            login_as(viewer)
        pages = _crawl(client, f"/ratings/{pipeline.campaign.id}/notice")
        assert f"/ratings/groups/{pipeline.group_a.id}" in pages and len(pages) == 3
        for url, html in pages.items():
            # a signed-in visitor sees their own name in the menu; no one else's
            leaks = [word for word in private if word in html and (viewer is None or word != viewer.display_name)]
            assert not leaks, (url, leaks)
        assert "经核实，台账齐全。" in pages[f"/ratings/{pipeline.campaign.id}/notice"]


def test_the_public_group_page_counts_only_confirmed_activities(session, client, world, pipeline):
    pipeline.to_final()
    _activity(session, pipeline.group_a, status="confirmed", served=30)
    _activity(session, pipeline.group_a, status="confirmed", served=12)
    _activity(session, pipeline.group_a, status="pending", served=100)
    _activity(session, pipeline.group_a, status="returned", served=100)
    session.commit()
    html = client.get(f"/ratings/groups/{pipeline.group_a.id}").get_data(as_text=True)
    assert "2次" in html and "42人次" in html
    assert "樱桃花友会" in html and "甲一社区" in html and "志愿" in html and "四星（2026年度）" in html


def test_a_group_below_three_stars_has_no_public_page(session, client, pipeline):
    pipeline.to_final(totals_a2=(100, 100, 100))
    assert client.get(f"/ratings/groups/{pipeline.group_a2.id}").status_code == 404
    assert client.get(f"/ratings/groups/{pipeline.group_a.id}").status_code == 200


def _more_nominations(session, pipeline, world, n: int, stars: int | None = None):
    from grants.incubation.models import Group

    for i in range(n):
        group = Group(community_id=world.community_a2.id, name=f"组织{i:03d}", kind="recreation", status="established")
        session.add(group)
        session.flush()
        nomination = StarNomination(
            campaign_id=pipeline.campaign.id, group_id=group.id, evidence="x", decided_stars=stars
        )
        session.add(nomination)
        session.flush()
        session.add(
            StarSheet(nomination_id=nomination.id, stage="self", slot=0, scorer_id=world.staff_a.id, total_halves=150)
        )
        for assessor in pipeline.assessors:
            session.add(
                StarSheet(
                    nomination_id=nomination.id,
                    stage="district",
                    slot=assessor.id,
                    scorer_id=assessor.id,
                    total_halves=160,
                )
            )
    session.commit()


def test_the_campaign_page_issues_the_same_number_of_queries_for_2_and_62_groups(
    session, client, login_as, world, pipeline, query_counter
):
    pipeline.to_district()
    url = f"/ratings/{pipeline.campaign.id}"
    for viewer in (world.organizer_a, pipeline.assessors[0]):
        login_as(viewer)
        client.get(url)
        with query_counter() as few:
            assert client.get(url).status_code == 200
        if viewer is world.organizer_a:
            _more_nominations(session, pipeline, world, 60)
        with query_counter() as many:
            html = client.get(url).get_data(as_text=True)
        assert "组织059" in html
        assert len(many) == len(few), (viewer.login_name, len(few), len(many))


def test_the_campaign_page_names_the_assessors_communities_in_the_same_number_of_queries_for_4_and_9(
    session, client, login_as, make, world, pipeline, query_counter
):
    """The district panel is listed with the community each assessor lives in, read with the list:
    five more assessors from five other communities cost the page no query."""
    pipeline.to_district()
    url = f"/ratings/{pipeline.campaign.id}"
    login_as(world.organizer_a)
    client.get(url)
    with query_counter() as few:
        assert client.get(url).status_code == 200
    for i in range(5):
        community = make.community(make.street(world.district_a), name=f"专家所在社区{i}")
        user = make.user(f"panel{i}", name=f"新专家{i}", community=community)
        campaigns.add_assessor(session, actor=world.organizer_a, campaign=pipeline.campaign, login=user.login_name)
    session.commit()
    with query_counter() as many:
        html = client.get(url).get_data(as_text=True)
    assert all(f"新专家{i}" in html and f"专家所在社区{i}" in html for i in range(5))
    assert world.community_a.name in html  # the local assessor's
    assert len(many) == len(few), (len(few), len(many))


def test_the_public_notice_issues_the_same_number_of_queries_for_2_and_62_groups(
    session, client, world, pipeline, query_counter
):
    pipeline.to_notice()
    url = f"/ratings/{pipeline.campaign.id}/notice"
    client.get(url)
    with query_counter() as few:
        assert client.get(url).status_code == 200
    _more_nominations(session, pipeline, world, 60, stars=3)
    with query_counter() as many:
        html = client.get(url).get_data(as_text=True)
    assert "组织059" in html
    assert len(many) == len(few), (len(few), len(many))


def _campaign_card(html: str) -> str:
    start = html.index("三自组织星级评定")
    return html[start : html.index("</ul>", start)]


def test_the_public_results_page_leads_to_the_star_notice_from_its_publication_on(session, client, world, pipeline):
    """Anonymous visitors find the list of proposed stars on the public results page while it is
    on notice (with its deadline), then as final; never before it is published."""
    pipeline.to_district()
    assert "三自组织星级评定" not in client.get("/results/").get_data(as_text=True)
    notice = f'href="/ratings/{pipeline.campaign.id}/notice"'

    for nomination in pipeline.nominations.values():
        decisions.decide(session, actor=world.organizer_a, nomination=nomination)
    session.commit()
    decisions.publish(session, actor=world.organizer_a, campaign=pipeline.campaign)
    session.commit()
    response = client.get("/results/")
    card = _campaign_card(response.get_data(as_text=True))
    assert pipeline.campaign.title in card and notice in card and "公示中" in card
    assert f"公示期至{timeutil.format_deadline(pipeline.campaign.notice_closes_at)}" in card
    assert "Set-Cookie" not in response.headers  # still a public page, the same for everyone

    pipeline.close_window()
    card = _campaign_card(client.get("/results/").get_data(as_text=True))
    assert "公示期已结束" in card and notice in card
    decisions.finalize(session, actor=world.organizer_a, campaign=pipeline.campaign)
    session.commit()
    card = _campaign_card(client.get("/results/").get_data(as_text=True))
    assert "结果已确定" in card and notice in card
    english = client.get("/results/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Star rating of resident groups" in english and f"{pipeline.campaign.title}: published list" in english
