"""Volunteer hours: only confirmed activities count, years are Beijing's calendar years, members who
left keep their hours; certificates are issued once per member and period by the community."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.errors import DomainError, NotAllowed
from grants.incubation import certificates, hours
from grants.incubation.hourmath import calendar_year, format_hours, hours_number, years_between
from grants.incubation.models import GroupMember, VolunteerCertificate

# --- pure --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("halves", "text"), [(0, "0"), (1, "0.5"), (2, "1"), (3, "1.5"), (24, "12"), (25, "12.5"), (-3, "-1.5")]
)
def test_half_hours_are_shown_as_hours_to_the_half(halves, text):
    assert hours_number(halves) == text


def test_hours_carry_the_unit_they_are_given():
    assert format_hours(25) == "12.5 小时"
    assert format_hours(4, "h") == "2 h"


def test_a_certificates_default_period_is_the_calendar_year_so_far():
    assert calendar_year(date(2026, 7, 9)) == (date(2026, 1, 1), date(2026, 12, 31))
    assert certificates.default_period(date(2026, 12, 3)) == (date(2026, 1, 1), date(2026, 12, 3))
    assert years_between(date(2024, 5, 1), date(2026, 1, 1)) == [2024, 2025, 2026]
    assert years_between(date(2026, 5, 1), date(2025, 1, 1)) == []


# --- read rules ------------------------------------------------------------------------------


@pytest.fixture
def crew(session, make_group, kept):
    """A group with its leader and two members (成员0, 成员1)."""

    def build():
        group = make_group(members=2)
        first, second = session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group.id, GroupMember.name.in_(("成员0", "成员1")))
            .order_by(GroupMember.name)
        ).all()
        return group, first, second

    return kept("incubation.hours.crew", build)


def test_only_confirmed_activities_count_pending_and_returned_count_nowhere(session, crew, make_activity):
    group, first, second = crew
    make_activity(group, hours={first: 4, second: 3}, status="confirmed", title="已核实的活动")
    make_activity(group, hours={first: 8}, status="pending", title="待核实的活动")
    make_activity(group, hours={first: 6, second: 2}, status="returned", title="已退回的活动")

    table = hours.group_hours(session, group)
    by_member = {row.member.id: row for row in table.rows}
    assert (by_member[first.id].total, by_member[second.id].total) == (4, 3)
    assert table.years == [2026] and table.by_year == {2026: 7} and table.total == 7
    assert hours.member_hours(session, first)[1].total == 4
    assert [line.title for line in hours.member_activities(session, first.id)] == ["已核实的活动"]
    record = hours.grant_record(session, -1, None, certificates.timeutil.now())
    assert record.group is None and record.activities == []


def test_hours_are_split_by_beijing_calendar_year(session, crew, make_activity):
    group, first, second = crew
    # 23:30 on 31 December in Beijing is still 2025; 00:30 on 1 January is 2026 (UTC: both 31 Dec).
    make_activity(group, hours={first: 2}, on=date(2025, 12, 31), at=time(23, 0))
    make_activity(group, hours={first: 5, second: 1}, on=date(2026, 1, 1), at=time(0, 30))
    make_activity(group, hours={first: 3}, on=date(2024, 6, 1))

    table = hours.group_hours(session, group)
    assert table.years == [2024, 2025, 2026]
    row = next(r for r in table.rows if r.member.id == first.id)
    assert row.by_year == {2024: 3, 2025: 2, 2026: 5} and row.total == 10
    assert table.by_year == {2024: 3, 2025: 2, 2026: 6} and table.total == 11
    years, mine = hours.member_hours(session, second)
    assert years == [2026] and mine.by_year == {2026: 1} and mine.total == 1


def test_a_member_who_left_keeps_the_hours_served_and_is_listed_after_the_others(session, crew, make_activity):
    group, first, second = crew
    make_activity(group, hours={first: 4, second: 6}, on=date(2026, 6, 10))
    first.left_on = date(2026, 8, 1)
    session.commit()

    table = hours.group_hours(session, group)
    assert [(r.member.id, r.total) for r in table.rows][-1] == (first.id, 4)
    assert table.total == 10


def test_members_without_hours_are_listed_with_none(session, crew):
    group, first, second = crew
    table = hours.group_hours(session, group)
    assert table.years == [] and table.total == 0
    assert len(table.rows) == 3 and {
        r.member.id: r.total for r in table.rows if r.member.id in (first.id, second.id)
    } == {
        first.id: 0,
        second.id: 0,
    }


def test_another_groups_hours_are_not_counted(session, world, crew, make_group, make_activity):
    group, first, _second = crew
    other = make_group(community=world.community_a2, name="别的组织")
    other_member = session.scalars(
        select(GroupMember).where(GroupMember.group_id == other.id, GroupMember.name == "成员0")
    ).one()
    make_activity(other, hours={other_member: 9})
    make_activity(group, hours={first: 1})
    assert hours.group_hours(session, group).total == 1


# --- certificates ----------------------------------------------------------------------------


def _certificates(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(VolunteerCertificate.id)))


def _audits(session) -> int:
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "volunteer_certificate.issue"))


def test_staff_issue_a_numbered_certificate_of_the_confirmed_hours_with_an_audit_entry(
    session, world, crew, make_activity
):
    group, first, second = crew
    make_activity(group, hours={first: 4}, on=date(2026, 3, 1), title="春季义诊")
    make_activity(group, hours={first: 5}, on=date(2026, 9, 1), title="秋季义诊")
    make_activity(group, hours={first: 7}, on=date(2026, 9, 2), status="pending")
    make_activity(group, hours={first: 2}, on=date(2025, 9, 1), title="去年的活动")

    certificate, new = certificates.issue_certificate(
        session, actor=world.staff_a, group=group, member=first, start=date(2026, 1, 1), end=date(2026, 11, 30)
    )
    session.commit()
    year = certificates.timeutil.today().year
    assert new and certificate.number == f"ZY-{year}-{world.community_a.id:03d}-{certificate.id:06d}"
    assert (certificate.halves, certificate.activities) == (9, 2)
    assert (certificate.community_id, certificate.issued_by_id) == (world.community_a.id, world.staff_a.id)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "volunteer_certificate.issue")).one()
    assert (
        entry.object_id == certificate.id and entry.after["halves"] == 9 and entry.after["number"] == certificate.number
    )

    # the next member's certificate has its own number
    make_activity(group, hours={second: 1}, on=date(2026, 4, 1))
    other, _ = certificates.issue_certificate(
        session, actor=world.organizer_a, group=group, member=second, start=date(2026, 1, 1), end=date(2026, 11, 30)
    )
    assert other.number == f"ZY-{year}-{world.community_a.id:03d}-{other.id:06d}" != certificate.number


def test_issuing_the_same_member_and_period_again_returns_the_issued_certificate(session, world, crew, make_activity):
    group, first, _second = crew
    make_activity(group, hours={first: 4}, on=date(2026, 3, 1))
    period = {"start": date(2026, 1, 1), "end": date(2026, 6, 30)}
    issued, _ = certificates.issue_certificate(session, actor=world.staff_a, group=group, member=first, **period)
    session.commit()
    make_activity(group, hours={first: 6}, on=date(2026, 5, 1))  # confirmed later: the issued one stands

    again, new = certificates.issue_certificate(session, actor=world.organizer_a, group=group, member=first, **period)
    session.commit()
    assert not new and again.id == issued.id and again.halves == 4
    assert _certificates(session) == 1 and _audits(session) == 1


def test_a_member_without_confirmed_hours_in_the_period_is_refused_and_nothing_is_stored(
    session, world, crew, make_activity
):
    group, first, _second = crew
    make_activity(group, hours={first: 8}, on=date(2026, 3, 1), status="pending")
    make_activity(group, hours={first: 8}, on=date(2026, 3, 2), status="returned")
    make_activity(group, hours={first: 8}, on=date(2025, 3, 2))  # confirmed, but before the period
    with pytest.raises(DomainError, match="没有已核实的志愿服务时长"):
        certificates.issue_certificate(
            session, actor=world.staff_a, group=group, member=first, start=date(2026, 1, 1), end=date(2026, 11, 30)
        )
    session.rollback()
    assert _certificates(session) == 0 and _audits(session) == 0


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2026, 6, 1), date(2026, 5, 1), "开始日期不能晚于结束日期"),
        (date(2026, 1, 1), date(2099, 1, 1), "不能晚于今天"),
        (date(1990, 1, 1), date(2026, 1, 1), "不能早于"),
        (None, date(2026, 1, 1), "年-月-日"),
    ],
)
def test_a_wrong_period_is_refused_and_nothing_is_stored(session, world, crew, make_activity, start, end, message):
    group, first, _second = crew
    make_activity(group, hours={first: 4}, on=date(2026, 3, 1))
    with pytest.raises(DomainError, match=message):
        certificates.issue_certificate(session, actor=world.staff_a, group=group, member=first, start=start, end=end)
    session.rollback()
    assert _certificates(session) == 0


def test_only_the_groups_community_staff_or_the_organizer_issue_certificates(session, world, make, crew, make_activity):
    group, first, _second = crew
    make_activity(group, hours={first: 4}, on=date(2026, 3, 1))
    outsiders = [
        group.leader,
        world.street_staff_a,
        make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
        world.organizer_b,
        world.resident,
    ]
    for actor in outsiders:
        with pytest.raises(NotAllowed):
            certificates.issue_certificate(
                session, actor=actor, group=group, member=first, start=date(2026, 1, 1), end=date(2026, 6, 30)
            )
        session.rollback()
    assert _certificates(session) == 0 and _audits(session) == 0


def test_a_member_of_another_group_is_refused(session, world, crew, make_group, make_activity):
    group, _first, _second = crew
    other = make_group(name="别的组织")
    stranger = session.scalars(
        select(GroupMember).where(GroupMember.group_id == other.id, GroupMember.name == "成员0")
    ).one()
    make_activity(other, hours={stranger: 4}, on=date(2026, 3, 1))
    with pytest.raises(DomainError, match="不属于这个组织"):
        certificates.issue_certificate(
            session, actor=world.staff_a, group=group, member=stranger, start=date(2026, 1, 1), end=date(2026, 6, 30)
        )
    session.rollback()
    assert _certificates(session) == 0
