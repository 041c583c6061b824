"""An assessor scores a group on a phone from the home page's waiting item; the organizer's
campaign page and the public notice fit a phone too. Screenshots in the artifacts folder."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants.incubation.models import StarSheet
from grants.incubation.ratings import campaigns, decisions
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.incubation.conftest import make_group  # noqa: F401 (fixture)
from tests.incubation.rating_fixtures import pipeline, points_for  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e


def test_an_assessor_scores_a_group_on_a_phone(live_server, browser, phone, session, pipeline, artifacts_dir):  # noqa: F811
    pipeline.to_district(totals_a=(180, 170))  # the third assessor has still to score group A
    assessor = pipeline.assessors[2]
    nomination = pipeline.nominations[pipeline.group_a.id]
    page = phone
    sign_in(page, live_server, assessor.username, PASSWORD)
    page.get_by_role("link", name="等待您的区级审评评分").first.click()
    page.get_by_role("link", name="评分").first.click()
    expect(page.get_by_role("heading", name="区级审评评分")).to_be_visible()
    criteria = campaigns.criteria_of(session, pipeline.campaign.id)
    points = points_for(session, pipeline.campaign, 161)
    for criterion in criteria:
        page.get_by_label(criterion.name).fill(str(points[criterion.id] / 2).removesuffix(".0"))
    page.get_by_label("评语").fill("台账清楚，活动扎实。")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "star_rating_sheet_phone.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("区级审评评分已提交。")).to_be_visible()
    session.commit()  # end the read snapshot taken before the browser wrote
    sheet = session.scalars(
        select(StarSheet).where(StarSheet.nomination_id == nomination.id, StarSheet.slot == assessor.id)
    ).one()
    assert sheet.total_halves == 161

    organizer = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    desk = organizer.new_page()
    sign_in(desk, live_server, pipeline.world.organizer_a.username, PASSWORD)
    desk.goto(f"{live_server}/ratings/nominations/{nomination.id}")
    expect(desk.get_by_text("极差")).to_be_visible()
    assert desk.evaluate("document.documentElement.scrollWidth") <= 390
    desk.screenshot(path=str(artifacts_dir / "star_rating_nomination_phone.png"), full_page=True)
    desk.get_by_role("button", name="确定星级").click()
    expect(desk.get_by_text("星级已确定。")).to_be_visible()
    organizer.close()

    session.commit()  # a fresh transaction after the browser's writes
    decisions.decide(session, actor=pipeline.world.organizer_a, nomination=pipeline.nominations[pipeline.group_a2.id])
    session.commit()
    decisions.publish(session, actor=pipeline.world.organizer_a, campaign=pipeline.campaign)
    session.commit()
    page.goto(f"{live_server}/ratings/{pipeline.campaign.id}/notice")
    expect(page.get_by_role("cell", name="樱桃花友会")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "star_rating_notice_phone.png"), full_page=True)
