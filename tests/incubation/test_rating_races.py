"""Concurrent requests: one score sheet per assessor and group, one recommendation per group and
campaign, one answer per objection — whatever the timing (UNIQUE in the database and the campaign's
row lock); never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.incubation.models import StarNomination, StarObjection, StarSheet
from tests.incubation.rating_fixtures import points_for
from tests.incubation.test_races import RACERS, _fire


def _form(session, campaign, total, **extra):
    points = points_for(session, campaign, total)
    return {f"c{cid}": str(halves / 2).removesuffix(".0") for cid, halves in points.items()} | extra


def test_concurrent_sheets_of_one_assessor_for_one_group_store_one(app, session, world, pipeline):
    pipeline.to_district(totals_a=(180, 170))  # the third assessor has not scored group A yet
    nomination = pipeline.nominations[pipeline.group_a.id]
    forms = [_form(session, pipeline.campaign, 100 + i) for i in range(RACERS)]
    session.commit()
    statuses = _fire(app, f"/ratings/nominations/{nomination.id}/assess", forms, pipeline.assessors[2])
    assert statuses[302] == 1 and set(statuses) <= {302, 400, 409}, statuses
    session.commit()  # end the read snapshot taken before the race
    sheets = session.scalars(
        select(StarSheet).where(StarSheet.nomination_id == nomination.id, StarSheet.slot == pipeline.assessors[2].id)
    ).all()
    assert len(sheets) == 1 and 100 <= sheets[0].total_halves < 100 + RACERS


def test_concurrent_recommendations_of_one_group_store_one(app, session, world, pipeline):
    pipeline.create()
    pipeline.move("recommending")
    forms = [_form(session, pipeline.campaign, 150, evidence=f"推荐理由{i}") for i in range(RACERS)]
    session.commit()
    url = f"/ratings/{pipeline.campaign.id}/groups/{pipeline.group_a.id}/recommend"
    statuses = _fire(app, url, forms, world.staff_a)
    assert statuses[302] == 1 and set(statuses) <= {302, 400, 409}, statuses
    session.commit()
    assert session.scalar(select(func.count(StarNomination.id))) == 1
    assert session.scalar(select(func.count(StarSheet.id)).where(StarSheet.stage == "self")) == 1


def test_concurrent_answers_to_one_objection_store_one(app, session, world, pipeline):
    pipeline.to_notice()
    nomination = pipeline.nominations[pipeline.group_a.id]
    objection = StarObjection(
        campaign_id=pipeline.campaign.id, nomination_id=nomination.id, author_id=world.resident.id, text="异议内容"
    )
    session.add(objection)
    session.commit()
    forms = [{"outcome": "dismissed", "reply": f"答复{i}", "stars": ""} for i in range(RACERS)]
    _fire(app, f"/ratings/objections/{objection.id}/answer", forms, world.organizer_a)
    session.commit()
    session.expire_all()
    assert objection.status == "dismissed" and objection.reply.startswith("答复")
    from grants.audit.models import AuditEntry

    answers = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "star_objection.dismiss"))
    assert answers == 1


def test_concurrent_stage_moves_move_the_campaign_once(app, session, world, pipeline):
    from grants.audit.models import AuditEntry

    pipeline.create()
    pipeline.move("recommending")
    pipeline.recommend(pipeline.group_a)
    forms = [{"target": "street_review"} for _ in range(RACERS)]
    _fire(app, f"/ratings/{pipeline.campaign.id}/stage", forms, world.organizer_a)
    session.commit()
    session.expire_all()
    assert pipeline.campaign.status == "street_review"
    moves = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "star_campaign.to_street"))
    assert moves == 1
