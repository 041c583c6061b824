"""A group leader logs an activity from a phone (two photos, three volunteers), sees placeholders
until the job queue (a real consumer) has cleaned the photos, then the photos; community staff
confirm it on their phone; the group's figures change."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants.incubation.models import Activity, ActivityPhoto, VolunteerHours
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.incubation.activity_helpers import day, photo, run_photo_jobs, team_fixture  # noqa: F401
from tests.incubation.conftest import make_group  # noqa: F401 (the fixture team needs)

pytestmark = pytest.mark.e2e


def _phone(browser):
    return browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=1, is_mobile=True, has_touch=True
    )


def test_a_leader_logs_an_activity_on_a_phone_and_staff_confirm_it(
    app, live_server, browser, phone, world, session, team, artifacts_dir, tmp_path
):
    shots = []
    for i, name in enumerate(("合影.jpg", "现场.jpg")):
        path = tmp_path / name
        path.write_bytes(photo(1200 + i * 100, 900, gps=True))
        shots.append(str(path))

    page = phone
    sign_in(page, live_server, team.leader.username, PASSWORD)
    page.goto(f"{live_server}/groups/mine")
    page.get_by_role("link", name="记录活动").first.click()
    page.get_by_label("活动名称").fill("重阳节敬老茶话会")
    page.get_by_label("活动类型").select_option(label="文体")
    page.get_by_label("活动日期").fill(day(1))
    page.get_by_label("开始时间").fill("14:00")
    page.get_by_label("结束时间").fill("16:30")
    page.get_by_label("活动地点").fill("社区老年活动室")
    page.get_by_label("参与人数").fill("15")
    page.get_by_label("受益人次").fill("42")
    page.get_by_label("活动照片（最多9张）").set_input_files(shots)
    for row, (member, hours) in enumerate(zip(team.members, ("2", "1.5", "1"), strict=True), start=1):
        page.get_by_label(f"志愿者{row}", exact=True).select_option(label=member.name)
        page.locator(f"#vh{row}").fill(hours)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(artifacts_dir / "activity_form_phone.png"), full_page=True)
    page.get_by_role("button", name="提交活动记录").click()
    expect(page.get_by_text("活动已记录，等待社区核实。")).to_be_visible()
    expect(page.get_by_text("活动照片2正在处理")).to_be_visible()  # not served before it is cleaned
    page.screenshot(path=str(artifacts_dir / "activity_photos_pending_phone.png"), full_page=True)
    uploads = Path(app.config["UPLOAD_DIR"]) / "pending"
    run_photo_jobs(app, lambda: not any(uploads.iterdir()))
    page.reload()
    expect(page.get_by_role("img", name="活动照片2")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "activity_logged_phone.png"), full_page=True)

    staff_context = _phone(browser)
    staff = staff_context.new_page()
    sign_in(staff, live_server, world.staff_a.username, PASSWORD)
    staff.goto(f"{live_server}/groups/{team.group.id}")
    expect(staff.locator('[data-figure="activities"]')).to_have_text("0")
    staff.goto(f"{live_server}/")
    staff.get_by_role("link", name="甲一社区有1条组织活动待核实。").click()
    expect(staff.get_by_role("link", name="重阳节敬老茶话会")).to_be_visible()
    staff.screenshot(path=str(artifacts_dir / "activities_to_confirm_phone.png"), full_page=True)
    staff.get_by_role("button", name="核实", exact=True).click()
    expect(staff.get_by_text("活动已核实，计入组织的活动统计。")).to_be_visible()
    staff.goto(f"{live_server}/groups/{team.group.id}")
    expect(staff.locator('[data-figure="activities"]')).to_have_text("1")
    expect(staff.locator('[data-figure="served"]')).to_have_text("42")
    expect(staff.locator('[data-figure="hours"]')).to_have_text("4.5")
    staff.screenshot(path=str(artifacts_dir / "group_figures_after_confirmation_phone.png"), full_page=True)
    staff_context.close()

    session.rollback()  # a fresh read: the server committed in its own connection
    activity = session.scalars(select(Activity)).one()
    assert (activity.status, activity.served, activity.confirmed_by_id) == ("confirmed", 42, world.staff_a.id)
    assert len(session.scalars(select(ActivityPhoto)).all()) == 2
    assert sorted(session.scalars(select(VolunteerHours.halves))) == [2, 3, 4]
