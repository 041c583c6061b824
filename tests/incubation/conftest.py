"""Incubation fixtures: a group of community A with a leader and members."""

from __future__ import annotations

from datetime import date

import pytest

from grants.incubation import service
from grants.incubation.service import GroupData, MemberData
from tests.funding.conftest import make_grant, scan, sign_grant  # noqa: F401  (fixtures)


@pytest.fixture
def make_group(session, world, make):
    """make_group(community=…, leader=…, name=…): a group created by the community's staff, committed."""

    def _make(*, community=None, leader=None, name: str | None = None, actor=None, members: int = 1):
        community = community or world.community_a
        leader = leader or make.user(community=community)
        group = service.create_group(
            session,
            actor=actor or world.organizer_a,
            community=community,
            data=GroupData(
                name=name or f"{leader.login_name}的花友会",
                kind="volunteer",
                founded_on=date(2026, 5, 1),
                scope="楼道绿化和邻里互助",
                venue="社区活动室",
                supervisor=f"{community.name}居民委员会",
                leader_login=leader.login_name,
            ),
        )
        for i in range(members):
            service.add_member(
                session,
                actor=world.organizer_a,
                group=group,
                data=MemberData(name=f"成员{i}", mobile=f"1371234{i:04d}", role="member", joined_on=date(2026, 6, 1)),
            )
        session.commit()
        return group

    return _make


@pytest.fixture
def make_activity(session, world):
    """make_activity(group, hours={member: halves}, status=…, on=date): an activity row made directly
    (the logging and confirming service is tested on its own), committed."""
    from datetime import datetime, time, timedelta

    from grants.incubation.models import Activity, VolunteerHours
    from grants.timeutil import LOCAL_TZ

    def _make(
        group,
        *,
        hours=None,
        status: str = "confirmed",
        on: date = date(2026, 7, 1),
        title: str = "楼道清扫",
        served: int = 10,
        participants: int = 5,
        at: time = time(9, 0),
        confirmer=None,
    ):
        starts = datetime.combine(on, at, tzinfo=LOCAL_TZ)
        activity = Activity(
            group_id=group.id,
            title=title,
            kind="service",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place="三号楼",
            participants=participants,
            served=served,
            status=status,
            logged_by_id=group.leader_id,
            confirmed_by_id=(confirmer or world.staff_a).id if status == "confirmed" else None,
            confirmed_at=starts + timedelta(days=1) if status == "confirmed" else None,
            return_reason="照片不清楚" if status == "returned" else "",
        )
        session.add(activity)
        session.flush()
        for member, halves in (hours or {}).items():
            session.add(VolunteerHours(activity_id=activity.id, member_id=member.id, halves=halves))
        session.commit()
        return activity

    return _make


from tests.incubation.rating_fixtures import pipeline  # noqa: E402, F401  (fixture)
