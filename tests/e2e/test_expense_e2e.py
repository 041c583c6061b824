"""The team's lead records an expense with a receipt photo on a phone; community staff accept it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants.funding.models import Expense
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.funding.conftest import make_grant, scan, sign_grant  # noqa: F401 (fixtures)
from tests.funding.test_expenses import APPROVED, photo

pytestmark = pytest.mark.e2e


def test_the_lead_records_an_expense_with_a_receipt_photo_from_a_phone(
    live_server,
    browser,
    phone,
    world,
    session,
    make_grant,  # noqa: F811 (the imported fixture)
    sign_grant,  # noqa: F811
    artifacts_dir,
    tmp_path,
):
    grant = sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))
    lead = grant.proposal.applicant.username
    receipt = tmp_path / "发票.jpg"
    receipt.write_bytes(photo())

    page = phone
    sign_in(page, live_server, lead, PASSWORD)
    page.goto(f"{live_server}/funding/grants/{grant.id}")
    page.get_by_role("link", name="记一笔支出").click()
    page.get_by_label("支出日期").fill("2026-11-25")
    page.get_by_label("预算科目").select_option(index=1)
    page.get_by_label("收款方").fill("花鸟市场")
    page.get_by_label("金额（元）").fill("300")
    page.get_by_label("用途").fill("花盆")
    page.get_by_label("发票号码").fill("2611 0000 0001")
    page.get_by_label("票据照片或PDF").set_input_files(str(receipt))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    page.screenshot(path=str(artifacts_dir / "expense_form_phone.png"), full_page=True)
    page.get_by_role("button", name="提交支出").click()
    expect(page.get_by_text("支出已登记，等待审核。")).to_be_visible()
    expect(page.get_by_text("261100000001")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "expense_recorded_phone.png"), full_page=True)

    staff = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    review = staff.new_page()
    sign_in(review, live_server, world.staff_a.username, PASSWORD)
    review.goto(f"{live_server}/funding/grants/{grant.id}")
    review.get_by_role("button", name="认可", exact=True).click()
    expect(review.get_by_text("已认可这笔支出。")).to_be_visible()
    staff.close()
    session.rollback()  # a fresh read: the server committed in its own connection
    assert session.scalars(select(Expense)).one().status == "accepted"
