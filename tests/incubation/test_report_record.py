"""A grant's mid-term and final reports list the confirmed activities and volunteer hours of the group
grown from the grant, over the report's period: from the signing (a final report: from the mid-term
report) to the report's date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from grants.funding import reports
from grants.incubation import service
from grants.incubation.models import GroupMember
from grants.incubation.service import GroupData
from tests.funding.reporting import lead, start, submit


@pytest.fixture
def grown(session, world, make_grant, sign_grant, make_activity, kept):
    """A running grant signed on 1 June, its group, and activities before, in and after the period."""

    def build():
        grant = start(session, sign_grant(make_grant(world.edition_a, community=world.community_a)), world)
        grant.signed_at = datetime(2026, 6, 1, tzinfo=UTC)
        group = service.create_group_from_grant(
            session, actor=world.staff_a, grant=grant, data=GroupData(name="微花园志愿队", kind="volunteer")
        )
        session.commit()
        member = session.scalars(select(GroupMember).where(GroupMember.group_id == group.id)).first()
        make_activity(group, hours={member: 3}, on=date(2026, 5, 20), title="签约前的活动")
        make_activity(group, hours={member: 4}, on=date(2026, 7, 1), title="七月花园共建", served=40)
        make_activity(group, hours={member: 8}, on=date(2026, 7, 2), title="待核实的活动", status="pending")
        make_activity(group, hours={member: 5}, on=date(2026, 10, 1), title="国庆花展", served=60)
        return grant, group, member

    return kept("incubation.report_record.grown", build)


def _text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_midterm_report_lists_the_confirmed_activities_since_the_signing(session, client, login_as, world, grown):
    grant, _group, member = grown
    report = submit(session, grant, "midterm")
    login_as(world.organizer_a)
    body = _text(client.get(f"/funding/reports/{report.id}"))
    assert "七月花园共建" in body and "国庆花展" in body and "自协议签订起" in body
    assert "签约前的活动" not in body and "待核实的活动" not in body
    assert "经社区核实的活动2次，受益100人次，志愿服务时长合计4.5 小时" in body
    assert '<details class="record-activities" open>' in body  # ten or fewer: listed open
    assert f"{member.name}：4.5 小时" in body


def test_the_final_report_lists_what_happened_after_the_midterm_report(session, client, login_as, world, grown):
    grant, _group, _member = grown
    midterm = submit(session, grant, "midterm")
    midterm.submitted_at = datetime(2026, 9, 1, tzinfo=UTC)
    session.commit()
    period = reports.period_of(session, grant, "final")
    assert period.since == datetime(2026, 9, 1, tzinfo=UTC) and period.after_midterm
    login_as(lead(session, grant))
    form = _text(client.get(f"/funding/grants/{grant.id}/reports/new?kind=final"))
    assert "国庆花展" in form and "七月花园共建" not in form and "自中期报告起" in form
    final = submit(session, grant, "final")
    body = _text(client.get(f"/funding/reports/{final.id}"))
    assert "国庆花展" in body and "七月花园共建" not in body
    # the mid-term report still covers its own period
    assert "七月花园共建" in _text(client.get(f"/funding/reports/{midterm.id}"))


def test_a_returned_midterm_report_does_not_start_the_final_reports_period(session, world, grown):
    grant, _group, _member = grown
    midterm = submit(session, grant, "midterm")
    reports.return_report(session, actor=world.organizer_a, report=midterm, reason="请补充照片")
    session.commit()
    assert reports.period_of(session, grant, "final").since == grant.signed_at


def test_a_grant_without_a_group_says_so_on_its_report(session, client, login_as, world, make_grant, sign_grant):
    grant = start(session, sign_grant(make_grant(world.edition_a, community=world.community_a)), world)
    report = submit(session, grant, "midterm")
    login_as(world.organizer_a)
    assert "还没有孵化为三自组织" in _text(client.get(f"/funding/reports/{report.id}"))


def test_the_report_page_issues_the_same_number_of_queries_for_10_and_300_activities(
    session, client, login_as, world, grown, query_counter
):
    from tests.incubation.test_hours_views import _bulk_activities

    grant, group, member = grown
    report = submit(session, grant, "midterm")
    login_as(world.organizer_a)
    counts = []
    for n in (10, 290):  # 10, then 300 in the period
        _bulk_activities(session, world, group, [member], n, first=datetime(2026, 6, 2, tzinfo=UTC), minutes=True)
        with query_counter() as statements:
            page = _text(client.get(f"/funding/reports/{report.id}"))
        counts.append(len(statements))
    assert counts[0] == counts[1]
    # A long period stays folded under its sentence (the fixture's two in the period and 300 more).
    assert '<details class="record-activities">' in page and "逐次列出（302次）" in page
