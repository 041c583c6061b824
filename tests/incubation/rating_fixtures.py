"""Star-rating fixtures: a district A campaign with two established groups (communities A and A2),
three assessors without a conflict and one who lives in community A, and helpers that drive the
pipeline stage by stage through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from grants import timeutil
from grants.incubation import service as group_service
from grants.incubation.ratings import campaigns, decisions, sheets
from grants.incubation.ratings.campaigns import CampaignData, criteria_of


def points_for(session, campaign, total: int) -> dict[int, int]:
    """Half points per criterion that add up to ``total`` (filled in order, each up to its max)."""
    points, left = {}, total
    for criterion in criteria_of(session, campaign.id):
        points[criterion.id] = min(left, criterion.max_halves)
        left -= points[criterion.id]
    assert left == 0, "total above the maximum"
    return points


@dataclass
class Pipeline:
    session: object
    world: object
    group_a: object
    group_a2: object
    assessors: list
    local_assessor: object  # lives in community A
    campaign: object = None
    nominations: dict = field(default_factory=dict)

    def create(self, **overrides):
        data = CampaignData(title="2026年度三自组织星级评定", year=2026, **overrides)
        self.campaign = campaigns.create_campaign(
            self.session, actor=self.world.organizer_a, district_id=self.world.district_a.id, data=data
        )
        self.session.commit()
        return self.campaign

    def move(self, target: str):
        campaigns.move_stage(self.session, actor=self.world.organizer_a, campaign=self.campaign, target=target)
        self.session.commit()

    def recommend(self, group, total: int = 150):
        staff = self.world.staff_a if group is self.group_a else self.staff_a2
        nomination = sheets.recommend(
            self.session,
            actor=staff,
            campaign=self.campaign,
            group=group,
            points=points_for(self.session, self.campaign, total),
            evidence="组织活动丰富，台账齐全。",
        )
        self.session.commit()
        self.nominations[group.id] = nomination
        return nomination

    def street(self, nomination, total: int = 150):
        sheets.score_street(
            self.session,
            actor=self.world.street_staff_a,
            nomination=nomination,
            points=points_for(self.session, self.campaign, total),
        )
        self.session.commit()

    def assess(self, nomination, totals):
        for assessor, total in zip(self.assessors, totals, strict=False):
            sheets.score_district(
                self.session,
                actor=assessor,
                nomination=nomination,
                points=points_for(self.session, self.campaign, total),
            )
        self.session.commit()

    def to_district(self, totals_a=(180, 170, 160), totals_a2=(140, 141, 139)):
        """Campaign opened, both groups recommended and street-scored, the panel named, at 区级审评."""
        self.create()
        self.move("recommending")
        self.recommend(self.group_a)
        self.recommend(self.group_a2)
        self.move("street_review")
        for nomination in self.nominations.values():
            self.street(nomination)
        for user in [*self.assessors, self.local_assessor]:
            campaigns.add_assessor(
                self.session, actor=self.world.organizer_a, campaign=self.campaign, login=user.login_name
            )
        self.session.commit()
        self.move("district_review")
        self.assess(self.nominations[self.group_a.id], totals_a)
        self.assess(self.nominations[self.group_a2.id], totals_a2)

    def to_notice(self, **kw):
        self.to_district(**kw)
        for nomination in self.nominations.values():
            decisions.decide(self.session, actor=self.world.organizer_a, nomination=nomination)
        self.session.commit()
        decisions.publish(self.session, actor=self.world.organizer_a, campaign=self.campaign)
        self.session.commit()

    def close_window(self):
        """The notice window ended yesterday."""
        self.campaign.notice_opens_at = timeutil.now() - timedelta(days=10)
        self.campaign.notice_closes_at = timeutil.now() - timedelta(days=1)
        self.session.commit()

    def to_final(self, **kw):
        self.to_notice(**kw)
        self.close_window()
        decisions.finalize(self.session, actor=self.world.organizer_a, campaign=self.campaign)
        self.session.commit()


def _established(session, world, group):
    group_service.change_status(session, actor=world.organizer_a, group=group, target="established", reason=None)
    session.commit()
    return group


@pytest.fixture
def pipeline(session, world, make, make_group, kept):
    from grants.auth.models import Role

    def build():
        group_a = _established(session, world, make_group(community=world.community_a, name="樱桃花友会"))
        group_a2 = _established(session, world, make_group(community=world.community_a2, name="甲二合唱团"))
        staff_a2 = make.user(
            "staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)]
        )
        assessors = [make.user(f"assessor{i}", name=f"专家{i}") for i in range(1, 4)]
        local = make.user("assessor_local", name="本社区专家", community=world.community_a)
        return Pipeline(session, world, group_a, group_a2, assessors, local), staff_a2

    p, staff_a2 = kept("incubation.pipeline", build)
    p.staff_a2 = staff_a2
    return p
