"""Small factories that build valid objects through the services, with overridable defaults."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from grants.auth import service as auth_service
from grants.auth.models import Role
from grants.editions import service as edition_service
from grants.org import service as org_service
from grants.timeutil import now

PASSWORD = "correct-horse-1"
_seq = itertools.count(1)


@dataclass
class World:
    """Two districts (A and B), each with a street, two communities, an edition and role holders."""

    district_a: object
    street_a: object
    community_a: object
    community_a2: object
    edition_a: object
    organizer_a: object
    staff_a: object
    street_staff_a: object
    judge_a: object
    finance_a: object
    district_b: object
    street_b: object
    community_b: object
    edition_b: object
    organizer_b: object
    staff_b: object
    resident: object


class Factories:
    def __init__(self, session):
        self.session = session

    def district(self, name: str | None = None):
        return org_service.create_district(self.session, actor=None, name=name or f"区{next(_seq)}")

    def street(self, district=None, name: str | None = None):
        return org_service.create_street(
            self.session, actor=None, district=district or self.district(), name=name or f"街道{next(_seq)}"
        )

    def community(self, street=None, name: str | None = None):
        return org_service.create_community(
            self.session, actor=None, street=street or self.street(), name=name or f"社区{next(_seq)}"
        )

    def user(
        self,
        login: str | None = None,
        *,
        name: str | None = None,
        password: str = PASSWORD,
        community=None,
        roles: list[tuple[Role, object]] = (),
    ):
        login = login or f"user{next(_seq)}"
        user = auth_service.register_user(
            self.session, login=login, display_name=name or login, password=password, community=community
        )
        for role, scope in roles:
            auth_service.grant_role(self.session, actor=None, user=user, role=role, scope=scope)
        self.session.commit()
        return user

    def edition(self, district=None, *, number: int | None = None, **overrides):
        start = now() - timedelta(days=1)
        data = edition_service.EditionData(
            number=number or next(_seq),
            name=overrides.pop("name", "测试大赛"),
            cap_fen=overrides.pop("cap_fen", 500_000),
            pool_fen=overrides.pop("pool_fen", 10_000_000),
            submission_opens_at=overrides.pop("submission_opens_at", start),
            submission_closes_at=overrides.pop("submission_closes_at", start + timedelta(days=14)),
            categories=overrides.pop("categories", ["环境卫生", "文化建设"]),
            **overrides,
        )
        edition = edition_service.create_edition(
            self.session, actor=None, district=district or self.district(), data=data
        )
        self.session.commit()
        return edition

    def world(self) -> World:
        district_a = self.district("甲区")
        street_a = self.street(district_a, "甲街道")
        community_a = self.community(street_a, "甲一社区")
        community_a2 = self.community(street_a, "甲二社区")
        edition_a = self.edition(district_a, number=1, name="甲区第一届")
        district_b = self.district("乙区")
        street_b = self.street(district_b, "乙街道")
        community_b = self.community(street_b, "乙一社区")
        edition_b = self.edition(district_b, number=1, name="乙区第一届")
        return World(
            district_a=district_a,
            street_a=street_a,
            community_a=community_a,
            community_a2=community_a2,
            edition_a=edition_a,
            organizer_a=self.user("org_a", roles=[(Role.ORGANIZER, district_a)]),
            staff_a=self.user("staff_a", community=community_a, roles=[(Role.COMMUNITY_STAFF, community_a)]),
            street_staff_a=self.user("street_a", roles=[(Role.STREET_STAFF, street_a)]),
            judge_a=self.user("judge_a", roles=[(Role.JUDGE, edition_a)]),
            finance_a=self.user("finance_a", roles=[(Role.FINANCE, district_a)]),
            district_b=district_b,
            street_b=street_b,
            community_b=community_b,
            edition_b=edition_b,
            organizer_b=self.user("org_b", roles=[(Role.ORGANIZER, district_b)]),
            staff_b=self.user("staff_b", community=community_b, roles=[(Role.COMMUNITY_STAFF, community_b)]),
            resident=self.user("resident", community=community_a),
        )
