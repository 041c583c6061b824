"""On a phone: the team's lead submits a mid-term report with a photo; the organizer scores it
below the pass mark and the grant is suspended (停拨), the page saying why and who decided."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from grants.funding.models import Grant
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.funding.conftest import make_grant, scan, sign_grant  # noqa: F401 (fixtures)
from tests.funding.reporting import lead, start

pytestmark = pytest.mark.e2e


def _login(page, base, login):
    page.context.clear_cookies()
    sign_in(page, base, login, PASSWORD)


def test_a_failed_midterm_reported_from_a_phone_suspends_the_grant(
    live_server,
    phone,
    world,
    session,
    make_grant,  # noqa: F811 (fixtures)
    sign_grant,  # noqa: F811
    artifacts_dir,
    tmp_path,
):
    grant = make_grant(world.edition_a, approved_fen=1_000_000, community=world.community_a)
    sign_grant(grant)
    start(session, grant, world)
    photo = tmp_path / "活动照片.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 160, 90)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    page = phone

    _login(page, live_server, lead(session, grant).username)
    page.goto(f"{live_server}/funding/grants/{grant.id}")
    page.get_by_role("link", name="提交中期报告").click()
    page.get_by_label("工作情况（做了什么、取得了什么效果）").fill("开展楼道清理和绿植种植两次，居民共同参与。")
    page.get_by_label("受益人次").fill("86")
    page.get_by_label("开展活动次数").fill("2")
    page.get_by_label("活动照片（最多6张）").set_input_files(str(photo))
    page.screenshot(path=artifacts_dir / "report-form-phone.png", full_page=True)
    page.get_by_role("button", name="提交报告").click()
    expect(page.get_by_text("中期报告已提交。")).to_be_visible()
    expect(page.get_by_role("link", name="活动照片.jpg")).to_be_visible()

    _login(page, live_server, world.organizer_a.username)
    page.goto(f"{live_server}/funding/grants/{grant.id}")
    page.get_by_role("link", name="中期报告").first.click()
    for label, points in (("项目执行", "12"), ("资金使用", "10"), ("居民参与", "15"), ("档案规范", "8")):
        page.get_by_label(label, exact=False).fill(points)
    page.get_by_label("评语（未通过时必填）").fill("活动记录不完整，进度滞后")
    page.screenshot(path=artifacts_dir / "report-evaluation-phone.png", full_page=True)
    page.get_by_role("button", name="提交评估").click()
    expect(page.get_by_text("评估已记录：未通过（45分）。")).to_be_visible()
    page.get_by_role("link", name="返回资助项目").click()
    expect(page.get_by_text("已停拨").first).to_be_visible()
    expect(page.get_by_text("活动记录不完整，进度滞后").first).to_be_visible()
    page.screenshot(path=artifacts_dir / "grant-suspended-phone.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the grant page is {width}px wide on a 390px phone"
    session.rollback()  # end the test's read transaction: see what the server committed
    assert session.get(Grant, grant.id).status == "suspended"
