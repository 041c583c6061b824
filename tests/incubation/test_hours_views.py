"""The hours pages and the certificate: what they show (confirmed hours only, masked mobiles), issuing
from the member's page, the PDF's text, and a bounded number of queries whatever the number of rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from grants.incubation.models import GroupMember, VolunteerCertificate
from tests.proposals.test_pdf import _compact, _fonts, _pdf_text

MOBILE = "13712340000"  # 成员0, as make_group adds them


@pytest.fixture
def crew(session, world, make_group, make_activity, kept):
    def build():
        group = make_group(members=2)
        first, second = session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group.id, GroupMember.name.in_(("成员0", "成员1")))
            .order_by(GroupMember.name)
        ).all()
        make_activity(group, hours={first: 5, second: 2}, on=date(2026, 3, 8), title="妇女节义剪")
        make_activity(group, hours={first: 20}, on=date(2026, 3, 9), title="还没核实的活动", status="pending")
        make_activity(group, hours={first: 20}, on=date(2026, 3, 10), title="被退回的活动", status="returned")
        make_activity(group, hours={first: 4}, on=date(2025, 10, 1), title="国庆游园")
        return group, first, second

    return kept("incubation.hours_views.crew", build)


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(VolunteerCertificate.id)))


def test_the_group_page_lists_members_with_confirmed_hours_by_year_and_total(client, login_as, world, crew):
    group, _first, _second = crew
    login_as(world.street_staff_a)
    body = client.get(f"/groups/{group.id}/hours").get_data(as_text=True)
    for text in ("2025年", "2026年", "成员0", "成员1", "2.5 小时", "4.5 小时", "1 小时", "5.5 小时", "2 小时"):
        assert text in body, text
    assert "12.5 小时" not in body and "20 小时" not in body  # the pending and returned activities


def test_the_member_page_lists_confirmed_activities_with_a_masked_mobile_for_street_staff(
    client, login_as, world, crew
):
    group, first, _second = crew
    login_as(world.street_staff_a)
    body = client.get(f"/groups/{group.id}/members/{first.id}/hours").get_data(as_text=True)
    assert "妇女节义剪" in body and "国庆游园" in body and "2026-03-08" in body and "4.5 小时" in body
    assert "还没核实的活动" not in body and "被退回的活动" not in body
    assert MOBILE not in body and "137****0000" in body
    assert "开具志愿服务证明" not in body  # street staff may not issue


def test_the_leader_sees_the_full_mobile_and_no_issue_form(client, login_as, world, crew):
    group, first, _second = crew
    login_as(group.leader)
    body = client.get(f"/groups/{group.id}/members/{first.id}/hours").get_data(as_text=True)
    assert MOBILE in body and "开具志愿服务证明" not in body


def test_staff_issue_a_certificate_from_the_member_page_and_a_second_request_returns_it(
    session, client, login_as, world, crew
):
    group, first, _second = crew
    login_as(world.staff_a)
    url = f"/groups/{group.id}/members/{first.id}/certificates"
    response = client.post(url, data={"start": "2026-01-01", "end": "2026-11-30"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#certificates-heading")
    certificate = session.scalars(select(VolunteerCertificate)).one()
    assert certificate.halves == 5 and certificate.period_start == date(2026, 1, 1)
    page = client.get(f"/groups/{group.id}/members/{first.id}/hours").get_data(as_text=True)
    assert certificate.number in page and "志愿服务证明已开具" in page

    again = client.post(url, data={"start": "2026-01-01", "end": "2026-11-30"}, follow_redirects=True)
    assert again.status_code == 200 and "已经开具过" in again.get_data(as_text=True)
    assert _count(session) == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"start": "2026-04-01", "end": "2026-11-30"}, "没有已核实的志愿服务时长"),
        ({"start": "2026-13-01", "end": "2026-11-30"}, "年-月-日"),
        ({"start": "2026-11-30", "end": "2026-01-01"}, "开始日期不能晚于结束日期"),
    ],
)
def test_a_refused_certificate_rerenders_the_page_with_the_reason_and_stores_nothing(
    session, client, login_as, world, crew, form, message
):
    group, first, _second = crew
    login_as(world.staff_a)
    response = client.post(f"/groups/{group.id}/members/{first.id}/certificates", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _count(session) == 0


def _issue(session, world, group, member):
    from grants.incubation import certificates

    certificate, _new = certificates.issue_certificate(
        session, actor=world.staff_a, group=group, member=member, start=date(2026, 1, 1), end=date(2026, 11, 30)
    )
    session.commit()
    return certificate


def test_the_certificate_pdf_names_the_member_hours_number_and_community_but_no_mobile(
    session, client, login_as, world, crew, make_activity, tmp_path
):
    group, first, _second = crew
    certificate = _issue(session, world, group, first)
    later = make_activity(group, hours={first: 6}, on=date(2026, 6, 1), title="开具后才核实的活动")
    later.confirmed_at = certificate.issued_at + timedelta(minutes=5)
    session.commit()
    login_as(group.leader)  # the leader downloads what the community issued
    response = client.get(f"/groups/{group.id}/certificates/{certificate.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _compact(_pdf_text(response.data, tmp_path))
    for expected in (
        "志愿服务证明",
        "成员0",
        "2.5小时",
        certificate.number,
        "甲一社区居民委员会",
        "妇女节义剪",
        "2026年1月1日",
    ):
        assert expected in text, expected
    assert "国庆游园" not in text  # outside the period
    assert "开具后才核实的活动" not in text and "5.5小时" not in text  # the reprint says what was issued
    assert MOBILE not in text and "1371234" not in text
    fonts = _fonts(response.data, tmp_path)
    assert fonts and all(embedded == "yes" for _name, embedded in fonts)


def test_the_hours_pages_issue_the_same_number_of_queries_for_10_and_1000_activities(
    session, client, login_as, world, make_group, query_counter
):
    counts = {}
    for n in (10, 1000):
        group = make_group(name=f"组织{n}", members=3)
        members = session.scalars(select(GroupMember).where(GroupMember.group_id == group.id)).all()
        _bulk_activities(session, world, group, members, n)
        login_as(world.staff_a)
        with query_counter() as group_page:
            assert client.get(f"/groups/{group.id}/hours").status_code == 200
        with query_counter() as member_page:
            assert client.get(f"/groups/{group.id}/members/{members[0].id}/hours").status_code == 200
        counts[n] = (len(group_page), len(member_page))
    assert counts[10] == counts[1000]
    page = client.get(f"/groups/{group.id}/members/{members[0].id}/hours").get_data(as_text=True)
    assert page.count('class="card-title"') == 30 and "共1000次活动" in page and "第 1 / 34 页" in page
    assert page.index("2026-09-30") < page.index("2026-09-29")  # the newest first (5 January 2024 + 999 days)
    last = client.get(f"/groups/{group.id}/members/{members[0].id}/hours?page=34").get_data(as_text=True)
    assert last.count('class="card-title"') == 10 and "2024-01-05" in last and "开具志愿服务证明" in last


def _bulk_activities(session, world, group, members, n: int, *, first=None, minutes: bool = False) -> None:
    """n confirmed activities a day apart from 5 January 2024 (three years for 1,000), or a minute
    apart from ``first``, every member volunteering (inserted in bulk)."""
    from datetime import datetime

    from grants.incubation.models import Activity, VolunteerHours
    from grants.timeutil import LOCAL_TZ

    first = first or datetime(2024, 1, 5, 9, 0, tzinfo=LOCAL_TZ)
    step = timedelta(minutes=1) if minutes else timedelta(days=1)
    activities = []
    for i in range(n):
        starts = first + step * i
        activities.append(
            Activity(
                group_id=group.id,
                title=f"活动{i}",
                kind="service",
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                place="活动室",
                status="confirmed",
                confirmed_by_id=world.staff_a.id,
                confirmed_at=starts,
            )
        )
    session.add_all(activities)
    session.flush()
    session.add_all(
        VolunteerHours(activity_id=a.id, member_id=m.id, halves=1 + (a.id + m.id) % 4)
        for a in activities
        for m in members
    )
    session.commit()
