"""Star rating through the services: recommend → street score → panel → decide → publish → final;
stars follow the cut-offs exactly, no stage is skipped, every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from grants import timeutil
from grants.audit.models import AuditEntry
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.incubation import service as group_service
from grants.incubation.models import (
    StarAssessor,
    StarCampaign,
    StarCriterion,
    StarNomination,
    StarObjection,
    StarSheet,
    StarSheetLine,
)
from grants.incubation.ratings import campaigns, decisions, queries, scoring, sheets
from grants.incubation.ratings.campaigns import CampaignData
from tests.incubation.rating_fixtures import points_for


def snapshot(session):
    """Every row of star rating and the audit log, to prove a refusal changed nothing."""
    session.expire_all()
    counts = tuple(
        session.scalar(select(func.count(model.id)))
        for model in (
            StarCampaign,
            StarCriterion,
            StarAssessor,
            StarNomination,
            StarSheet,
            StarSheetLine,
            StarObjection,
            AuditEntry,
        )
    )
    campaigns_ = tuple(
        session.execute(
            select(
                StarCampaign.status,
                StarCampaign.cut_three,
                StarCampaign.cut_five,
                StarCampaign.final_on,
                StarCampaign.notice_closes_at,
            ).order_by(StarCampaign.id)
        )
    )
    nominations = tuple(
        session.execute(select(StarNomination.decided_stars, StarNomination.proposed_stars).order_by(StarNomination.id))
    )
    objections = tuple(session.execute(select(StarObjection.status, StarObjection.reply).order_by(StarObjection.id)))
    return counts, campaigns_, nominations, objections


def refused(session, error, call):
    """``call`` raises ``error`` and leaves every row as it was."""
    before = snapshot(session)
    with pytest.raises(error) as err:
        call()
    session.rollback()
    assert snapshot(session) == before
    return err.value


def test_the_whole_pipeline_ends_with_final_stars_by_the_cut_offs(session, world, pipeline):
    pipeline.to_final()
    a, a2 = pipeline.nominations[pipeline.group_a.id], pipeline.nominations[pipeline.group_a2.id]
    session.expire_all()
    # mean of 90, 85, 80 points = 85 → 四星; mean of 70, 70.5, 69.5 = exactly 70 → 三星
    assert (a.proposed_stars, a.decided_stars) == (4, 4)
    assert (a2.proposed_stars, a2.decided_stars) == (3, 3)
    assert pipeline.campaign.status == "final" and pipeline.campaign.final_on == timeutil.today()
    rating = queries.current_stars(session, pipeline.group_a)
    assert (rating.stars, rating.year) == (4, 2026)
    actions = list(
        session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("star_%")).order_by(AuditEntry.id))
    )
    assert actions[0] == "star_campaign.create" and actions[-1] == "star_campaign.finalize"
    for action in (
        "star_campaign.open",
        "star_nomination.recommend",
        "star_campaign.to_street",
        "star_sheet.street",
        "star_assessor.add",
        "star_campaign.to_district",
        "star_sheet.district",
        "star_nomination.decide",
        "star_campaign.publish",
    ):
        assert action in actions


def test_the_default_indicator_system_totals_100_points_with_cut_offs_70_80_90(session, pipeline):
    campaign = pipeline.create()
    criteria = campaigns.criteria_of(session, campaign.id)
    assert sum(c.max_halves for c in criteria) == 200
    assert {c.indicator for c in criteria} == {"党建引领", "组织活力", "社区影响力", "规范管理"}
    assert (campaign.cut_three, campaign.cut_four, campaign.cut_five) == (140, 160, 180)


@pytest.mark.parametrize(
    ("totals", "stars"),
    [
        ((160, 159), 3),  # mean 79.75 points: just under four stars
        ((160, 160), 4),  # exactly 80
        ((180, 179, 180), 4),  # 89.83…
        ((180, 180, 180), 5),
        ((139, 140), 0),  # 69.75: below three stars
        ((140,), 3),
    ],
)
def test_proposed_stars_follow_the_cut_offs_exactly(session, pipeline, totals, stars):
    pipeline.to_district(totals_a=totals)
    nomination = decisions.decide(
        session, actor=pipeline.world.organizer_a, nomination=pipeline.nominations[pipeline.group_a.id]
    )
    assert (nomination.proposed_stars, nomination.decided_stars) == (stars, stars)


@pytest.mark.parametrize("target", ["street_review", "district_review", "notice", "final"])
def test_a_draft_cannot_skip_to_a_later_stage(session, pipeline, target):
    pipeline.create()
    error = refused(
        session,
        InvalidTransition,
        lambda: campaigns.move_stage(
            session, actor=pipeline.world.organizer_a, campaign=pipeline.campaign, target=target
        ),
    )
    assert "草稿" in str(error) or "Draft" in str(error)


def test_the_recommending_stage_cannot_skip_to_the_district_review_or_be_published(session, pipeline):
    pipeline.create()
    pipeline.move("recommending")
    pipeline.recommend(pipeline.group_a)
    org = pipeline.world.organizer_a
    refused(
        session,
        InvalidTransition,
        lambda: campaigns.move_stage(session, actor=org, campaign=pipeline.campaign, target="district_review"),
    )
    refused(session, InvalidTransition, lambda: decisions.publish(session, actor=org, campaign=pipeline.campaign))
    refused(session, InvalidTransition, lambda: decisions.finalize(session, actor=org, campaign=pipeline.campaign))


def test_publishing_and_finalizing_are_steps_not_moves_by_hand(session, pipeline):
    pipeline.to_district()
    for nomination in pipeline.nominations.values():
        decisions.decide(session, actor=pipeline.world.organizer_a, nomination=nomination)
    session.commit()
    error = refused(
        session,
        InvalidTransition,
        lambda: campaigns.move_stage(
            session, actor=pipeline.world.organizer_a, campaign=pipeline.campaign, target="notice"
        ),
    )
    assert "发布公示" in str(error)


def test_each_stage_move_says_why_it_cannot_happen_yet(session, pipeline, world):
    pipeline.create()
    pipeline.move("recommending")
    org = world.organizer_a
    error = refused(
        session,
        DomainError,
        lambda: campaigns.move_stage(session, actor=org, campaign=pipeline.campaign, target="street_review"),
    )
    assert "还没有社区推荐" in str(error)
    pipeline.recommend(pipeline.group_a)
    pipeline.move("street_review")
    error = refused(
        session,
        DomainError,
        lambda: campaigns.move_stage(session, actor=org, campaign=pipeline.campaign, target="district_review"),
    )
    assert "街道初评" in str(error)
    pipeline.street(pipeline.nominations[pipeline.group_a.id])
    error = refused(
        session,
        DomainError,
        lambda: campaigns.move_stage(session, actor=org, campaign=pipeline.campaign, target="district_review"),
    )
    assert "评审专家" in str(error)


def test_only_the_organizer_of_the_district_moves_stages(session, pipeline, world):
    pipeline.create()
    for outsider in (world.organizer_b, world.staff_a, world.street_staff_a, world.resident):
        refused(
            session,
            NotAllowed,
            lambda outsider=outsider: campaigns.move_stage(
                session, actor=outsider, campaign=pipeline.campaign, target="recommending"
            ),
        )


def test_indicators_and_cut_offs_are_edited_in_draft_and_locked_once_open(session, pipeline, world):
    campaign = pipeline.create()
    data = CampaignData(
        title="改名", year=2026, cut_three="6", cut_four="8", cut_five="9.5", indicators="党建引领 | 支部联系 | 10"
    )
    campaigns.update_campaign(session, actor=world.organizer_a, campaign=campaign, data=data)
    session.commit()
    assert [(c.indicator, c.name, c.max_halves) for c in campaigns.criteria_of(session, campaign.id)] == [
        ("党建引领", "支部联系", 20)
    ]
    assert (campaign.cut_three, campaign.cut_four, campaign.cut_five) == (12, 16, 19)
    pipeline.move("recommending")
    refused(
        session,
        InvalidTransition,
        lambda: campaigns.update_campaign(session, actor=world.organizer_a, campaign=campaign, data=data),
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": " "}, "title"),
        ({"year": 1999}, "year"),
        ({"notice_days": 0}, "notice_days"),
        ({"cut_three": "70.3"}, "cut_three"),
        ({"cut_four": "60"}, "cut_four"),
        ({"cut_five": "101"}, "cut_five"),
        ({"indicators": "党建引领 | 支部联系"}, "indicators"),
        ({"indicators": "党建引领 | 支部联系 | -1"}, "indicators"),
        ({"indicators": "a | b | 5\na | b | 5"}, "indicators"),
        ({"indicators": "  "}, "indicators"),
    ],
)
def test_bad_campaign_input_is_refused_with_the_field_and_changes_nothing(session, pipeline, world, changes, field):
    campaign = pipeline.create()
    data = CampaignData(**{"title": "改名", "year": 2026, "indicators": None, **changes})
    error = refused(
        session,
        DomainError,
        lambda: campaigns.update_campaign(session, actor=world.organizer_a, campaign=campaign, data=data),
    )
    assert error.field == field


def test_a_second_campaign_of_the_same_year_is_refused(session, pipeline, world):
    pipeline.create()
    refused(
        session,
        Conflict,
        lambda: campaigns.create_campaign(
            session,
            actor=world.organizer_a,
            district_id=world.district_a.id,
            data=CampaignData(title="重复", year=2026),
        ),
    )


def test_only_the_groups_community_staff_recommend_it_once_and_only_while_recommending(session, pipeline, world):
    pipeline.create()
    points = points_for(session, pipeline.campaign, 150)

    def recommend(actor, group=pipeline.group_a, evidence="活动丰富"):
        return lambda: sheets.recommend(
            session, actor=actor, campaign=pipeline.campaign, group=group, points=points, evidence=evidence
        )

    refused(session, InvalidTransition, recommend(world.staff_a))  # still a draft
    pipeline.move("recommending")
    for outsider in (
        pipeline.staff_a2,
        world.street_staff_a,
        world.staff_b,
        world.organizer_b,
        pipeline.group_a.leader,
    ):
        refused(session, NotAllowed, recommend(outsider))
    refused(session, DomainError, recommend(world.staff_a, evidence=" "))
    pipeline.recommend(pipeline.group_a)
    refused(session, Conflict, recommend(world.staff_a))


def test_a_group_still_being_set_up_is_not_recommended(session, pipeline, world, make_group):
    young = make_group(community=world.community_a, name="新成立的组织")
    pipeline.create()
    pipeline.move("recommending")
    error = refused(
        session,
        DomainError,
        lambda: sheets.recommend(
            session,
            actor=world.staff_a,
            campaign=pipeline.campaign,
            group=young,
            points=points_for(session, pipeline.campaign, 150),
            evidence="活动丰富",
        ),
    )
    assert "已成立" in str(error)


def test_points_above_a_maximum_or_missing_are_refused(session, pipeline, world):
    pipeline.create()
    pipeline.move("recommending")
    criteria = campaigns.criteria_of(session, pipeline.campaign.id)
    too_many = {c.id: c.max_halves for c in criteria} | {criteria[0].id: criteria[0].max_halves + 1}
    missing = {c.id: 1 for c in criteria[1:]}
    for points in (too_many, missing):
        error = refused(
            session,
            DomainError,
            lambda points=points: sheets.recommend(
                session,
                actor=world.staff_a,
                campaign=pipeline.campaign,
                group=pipeline.group_a,
                points=points,
                evidence="活动丰富",
            ),
        )
        assert error.field == f"c{criteria[0].id}"


def test_street_staff_of_the_groups_street_score_once_at_the_street_stage(session, pipeline, world, make):
    from grants.auth.models import Role

    pipeline.create()
    pipeline.move("recommending")
    nomination = pipeline.recommend(pipeline.group_a)
    points = points_for(session, pipeline.campaign, 150)

    def score(actor):
        return lambda: sheets.score_street(session, actor=actor, nomination=nomination, points=points)

    refused(session, InvalidTransition, score(world.street_staff_a))  # still recommending
    pipeline.move("street_review")
    other_street = make.street(world.district_a, "另一街道")
    for outsider in (
        make.user("street_other", roles=[(Role.STREET_STAFF, other_street)]),
        world.staff_a,
        world.organizer_a,
    ):
        refused(session, NotAllowed, score(outsider))
    pipeline.street(nomination)
    refused(session, Conflict, score(world.street_staff_a))


def test_an_assessor_cannot_score_a_group_of_their_own_community(session, pipeline, world):
    pipeline.to_district()
    nomination = pipeline.nominations[pipeline.group_a.id]
    points = points_for(session, pipeline.campaign, 150)
    error = refused(
        session,
        NotAllowed,
        lambda: sheets.score_district(session, actor=pipeline.local_assessor, nomination=nomination, points=points),
    )
    assert "所在社区" in str(error)
    # …but may score a group of another community
    other = pipeline.nominations[pipeline.group_a2.id]
    sheets.score_district(session, actor=pipeline.local_assessor, nomination=other, points=points)
    session.commit()


def test_staff_or_the_leader_named_to_the_panel_cannot_score_their_own_group(session, pipeline, world):
    pipeline.create()
    pipeline.move("recommending")
    pipeline.recommend(pipeline.group_a)
    pipeline.move("street_review")
    pipeline.street(pipeline.nominations[pipeline.group_a.id])
    for user in (world.staff_a, world.street_staff_a, pipeline.group_a.leader, pipeline.assessors[0]):
        campaigns.add_assessor(session, actor=world.organizer_a, campaign=pipeline.campaign, login=user.login_name)
    session.commit()
    pipeline.move("district_review")
    nomination = pipeline.nominations[pipeline.group_a.id]
    points = points_for(session, pipeline.campaign, 150)
    for conflicted in (world.staff_a, world.street_staff_a, pipeline.group_a.leader):
        refused(
            session,
            NotAllowed,
            lambda user=conflicted: sheets.score_district(session, actor=user, nomination=nomination, points=points),
        )


def test_one_sheet_per_assessor_and_group_and_only_the_panel_scores(session, pipeline, world):
    pipeline.to_district()
    nomination = pipeline.nominations[pipeline.group_a.id]
    points = points_for(session, pipeline.campaign, 150)
    refused(
        session,
        Conflict,
        lambda: sheets.score_district(session, actor=pipeline.assessors[0], nomination=nomination, points=points),
    )
    for outsider in (world.organizer_a, world.resident, world.judge_a):
        refused(
            session,
            NotAllowed,
            lambda user=outsider: sheets.score_district(session, actor=user, nomination=nomination, points=points),
        )


def test_a_decision_other_than_the_proposed_stars_needs_a_note(session, pipeline, world):
    pipeline.to_district()
    nomination = pipeline.nominations[pipeline.group_a.id]
    error = refused(
        session,
        DomainError,
        lambda: decisions.decide(session, actor=world.organizer_a, nomination=nomination, stars=5),
    )
    assert error.field == "note"
    refused(
        session, DomainError, lambda: decisions.decide(session, actor=world.organizer_a, nomination=nomination, stars=2)
    )
    refused(session, NotAllowed, lambda: decisions.decide(session, actor=world.staff_a, nomination=nomination))
    decisions.decide(session, actor=world.organizer_a, nomination=nomination, stars=5, note="实地考察表现突出")
    session.commit()
    assert (nomination.proposed_stars, nomination.decided_stars) == (4, 5)


def test_the_list_is_published_only_when_every_group_is_decided(session, pipeline, world):
    pipeline.to_district()
    decisions.decide(session, actor=world.organizer_a, nomination=pipeline.nominations[pipeline.group_a.id])
    session.commit()
    error = refused(
        session, DomainError, lambda: decisions.publish(session, actor=world.organizer_a, campaign=pipeline.campaign)
    )
    assert "1" in str(error)


def test_publishing_opens_a_window_of_working_days(session, pipeline):
    pipeline.to_notice()
    campaign = pipeline.campaign
    assert campaign.status == "notice" and campaign.notice_opens_at <= timeutil.now() < campaign.notice_closes_at
    assert campaign.notice_closes_at - campaign.notice_opens_at >= timedelta(days=5)


def test_objections_are_filed_during_the_window_and_answered_by_the_organizer(session, pipeline, world):
    pipeline.to_notice()
    nomination = pipeline.nominations[pipeline.group_a2.id]
    refused(
        session,
        DomainError,
        lambda: decisions.file_objection(session, actor=world.resident, nomination=nomination, text="太短"),
    )
    objection = decisions.file_objection(
        session, actor=world.resident, nomination=nomination, text="该组织今年活动很少，台账不全，不应评为三星。"
    )
    session.commit()
    refused(
        session,
        DomainError,
        lambda: decisions.finalize(session, actor=world.organizer_a, campaign=pipeline.campaign),
    )  # window open
    pipeline.close_window()
    error = refused(
        session, DomainError, lambda: decisions.finalize(session, actor=world.organizer_a, campaign=pipeline.campaign)
    )
    assert "异议" in str(error)
    refused(
        session,
        DomainError,
        lambda: decisions.file_objection(
            session, actor=world.resident, nomination=nomination, text="窗口关闭后再提出的异议内容。"
        ),
    )
    refused(
        session,
        NotAllowed,
        lambda: decisions.answer_objection(session, actor=world.staff_a, objection=objection, upheld=True, reply="x"),
    )
    refused(
        session,
        DomainError,
        lambda: decisions.answer_objection(
            session, actor=world.organizer_a, objection=objection, upheld=False, reply="不成立", stars=0
        ),
    )
    decisions.answer_objection(
        session, actor=world.organizer_a, objection=objection, upheld=True, reply="经核实，台账不全。", stars=0
    )
    session.commit()
    refused(
        session,
        InvalidTransition,
        lambda: decisions.answer_objection(
            session, actor=world.organizer_a, objection=objection, upheld=False, reply="再答复一次"
        ),
    )
    decisions.finalize(session, actor=world.organizer_a, campaign=pipeline.campaign)
    session.commit()
    assert objection.status == "upheld" and nomination.decided_stars == 0
    assert queries.current_stars(session, pipeline.group_a2) is None
    assert queries.current_stars(session, pipeline.group_a).stars == 4


def test_stars_expire_three_years_after_they_became_final(session, pipeline):
    pipeline.to_final()
    final_on = pipeline.campaign.final_on
    last_day = scoring.expires_on(final_on) - timedelta(days=1)
    assert queries.current_stars(session, pipeline.group_a, on=last_day).stars == 4
    assert queries.current_stars(session, pipeline.group_a, on=scoring.expires_on(final_on)) is None
    assert queries.current_stars(session, pipeline.group_a, on=final_on - timedelta(days=1)) is None


def test_a_rating_is_not_current_until_the_campaign_is_final(session, pipeline):
    pipeline.to_notice()
    assert queries.current_stars(session, pipeline.group_a) is None


def test_assessors_are_named_until_publication_and_one_who_scored_stays(session, pipeline, world):
    pipeline.to_district()
    assessor = session.scalars(select(StarAssessor).where(StarAssessor.user_id == pipeline.assessors[0].id)).one()
    refused(
        session,
        DomainError,
        lambda: campaigns.remove_assessor(session, actor=world.organizer_a, assessor=assessor),
    )
    refused(
        session,
        Conflict,
        lambda: campaigns.add_assessor(
            session, actor=world.organizer_a, campaign=pipeline.campaign, login=pipeline.assessors[0].login_name
        ),
    )
    refused(
        session,
        DomainError,
        lambda: campaigns.add_assessor(session, actor=world.organizer_a, campaign=pipeline.campaign, login="nobody"),
    )
    local = session.scalars(select(StarAssessor).where(StarAssessor.user_id == pipeline.local_assessor.id)).one()
    campaigns.remove_assessor(session, actor=world.organizer_a, assessor=local)
    session.commit()
    assert pipeline.local_assessor.id not in campaigns.assessor_ids(session, pipeline.campaign.id)


def test_a_dissolved_group_keeps_its_final_rating_in_the_record(session, pipeline, world):
    pipeline.to_final()
    group_service.change_status(
        session, actor=world.organizer_a, group=pipeline.group_a, target="dissolved", reason="成员搬离"
    )
    session.commit()
    assert [r.stars for r in queries.final_ratings(session, [pipeline.group_a.id])[pipeline.group_a.id]] == [4]
