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

    def proposal_data(self, edition, *, lines=None, team_size: int | None = None, **overrides):
        """Complete proposal input: every required field, a team of the edition's minimum, two budget lines."""
        from datetime import date

        from grants.proposals import budget
        from grants.proposals import service as proposal_service

        categories = proposal_service.ensure_budget_categories(self.session, edition)
        members = (team_size or edition.min_team_size) - 1
        data = proposal_service.ProposalData(
            title="楼道微花园",
            category_id=edition.categories[0].id,
            community_id=overrides.pop("community_id", None),
            period_start=date(2026, 4, 1),
            period_end=date(2026, 9, 30),
            summary="把闲置楼道改造成居民共建的微花园。",
            need_analysis="楼道堆物多，邻里交流少。",
            overall_objective="营造整洁友好的楼道环境。",
            specific_objectives="清理堆物；种植绿植；每月一次共建活动。",
            beneficiaries="本楼道居民",
            direct_beneficiaries=60,
            indirect_beneficiaries=300,
            risks="雨季植物养护难：安排轮值。",
            sustainability="成立楼道花友会，长期养护。",
            prior_experience="2025年组织过两次楼道清洁。",
            self_funds_fen=20_000,
            commitment=True,
            applicant_mobile=overrides.pop("applicant_mobile", "13800000000"),
            team=[
                proposal_service.TeamMemberData(name=f"队员{i}", mobile=f"1390000{i:04d}", role="志愿者")
                for i in range(1, members + 1)
            ],
            activities=[
                proposal_service.ActivityData(
                    when="2026年4月", activity="楼道清理", place="3号楼", expected_participants=20
                )
            ],
            budget_lines=lines
            if lines is not None
            else [
                budget.Line(1, categories[0].id, "花盆和土", 5_000, 20),
                budget.Line(2, categories[1].id, "宣传海报", 2_000, 10),
            ],
        )
        for name, value in overrides.items():
            setattr(data, name, value)
        return data

    def proposal(self, edition, applicant=None, *, submit: bool = False, **overrides):
        """A saved draft (submitted when ``submit``) by ``applicant`` (a new resident by default)."""
        from grants.proposals import service as proposal_service

        applicant = applicant or self.user(community=overrides.pop("community", None))
        if edition.status == "draft":
            from grants.editions.states import edition_machine

            edition_machine.transition(self.session, edition, "open", actor=None)
        proposal = proposal_service.start_proposal(self.session, actor=applicant, edition=edition)
        community_id = overrides.pop("community_id", applicant.community_id)
        data = self.proposal_data(edition, community_id=community_id, **overrides)
        proposal_service.save_draft(self.session, actor=applicant, proposal=proposal, data=data)
        if submit:
            proposal_service.submit_proposal(self.session, actor=applicant, proposal=proposal)
        self.session.commit()
        return proposal

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
