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


from tests.incubation.rating_fixtures import pipeline  # noqa: E402, F401  (fixture)
