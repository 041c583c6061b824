"""The money path on a phone, with real clicks: the organizer signs the agreement (with its scan) and
requests the first tranche; being also in finance, they may not approve their own request; another
finance person approves it from the 拨款待办 queue; the requester then records the payment with its
voucher, and the grant page shows the money paid and the grant under way. Then the organizer
suspends the grant by hand with a reason, and the team's lead sees why and cannot record an expense.
Every page visited fits a 390 px screen."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from grants import timeutil
from grants.funding.models import Disbursement, Expense, Grant, LedgerEntry
from grants.money import format_fen
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.funding.conftest import make_grant, scan, sign_grant  # noqa: F401 (fixtures)
from tests.funding.disbursement_fixtures import organizer_finance  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

APPROVED = 1_000_000  # ¥10,000.00; the default plan pays 60 % on signing
FIRST = 600_000
VOUCHER = "记-2026-1203-07"
REASON = "财务抽查发现票据与活动记录不符，暂停拨付待核实"
PHONE_WIDTH = 390  # the conftest's phone: 390×844, touch, zh-CN


def _login(page, base, username):
    page.context.clear_cookies()
    sign_in(page, base, username, PASSWORD)


def _check(page, artifacts_dir, name):
    """Nothing wider than the phone; a full-page screenshot for the record."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{page.url} is {width}px wide on a {PHONE_WIDTH}px phone"
    page.screenshot(path=str(artifacts_dir / f"funding-{name}-phone.png"), full_page=True)


def _fact(page, term):
    """The <dd> of a fact on the grant page (资金概况, 资助协议), by its <dt>."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{term}$")).locator("xpath=following-sibling::dd[1]")


def _scan_photo(tmp_path):
    path = tmp_path / "资助协议扫描件.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), (245, 245, 240)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_sign_request_approve_pay_then_suspend_on_a_phone(
    live_server,
    phone,
    world,
    session,
    make_grant,  # noqa: F811 (fixtures)
    organizer_finance,  # noqa: F811
    artifacts_dir,
    tmp_path,
):
    grant = make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a)
    grant_url = f"{live_server}/funding/grants/{grant.id}"
    lead = grant.proposal.applicant.username
    title = grant.proposal.title
    page = phone

    # The organizer (who also holds district A's finance role) signs the agreement with its scan.
    _login(page, live_server, organizer_finance.username)
    page.goto(grant_url)
    expect(page.get_by_text("资助协议尚未签订。")).to_be_visible()
    _check(page, artifacts_dir, "grant-unsigned")
    page.get_by_role("link", name="登记协议签订").click()
    page.wait_for_url(f"**/funding/grants/{grant.id}/sign")
    page.get_by_label("签订日期").fill(timeutil.today().isoformat())
    expect(page.get_by_label("收款单位")).not_to_have_value("")  # suggested from the community
    page.get_by_label("开户银行").fill("农业银行城关支行")
    page.get_by_label("银行账号").fill("6228 4800 1234 5678")
    page.get_by_label("协议扫描件").set_input_files(str(_scan_photo(tmp_path)))
    _check(page, artifacts_dir, "sign-form")
    page.get_by_role("button", name="确认签订").click()
    expect(page.get_by_text("资助协议已登记签订，各期拨付金额已确定。")).to_be_visible()
    expect(page.get_by_role("link", name="签订的协议扫描件")).to_be_visible()
    expect(page.locator(".badge", has_text="已签协议").first).to_be_visible()

    # … requests the first tranche, and may not approve it themselves (four eyes).
    page.get_by_role("button", name="申请拨付本期").first.click()
    expect(page.get_by_text("拨款申请已提交，等待财务审批。")).to_be_visible()
    expect(page.get_by_text("这笔拨款是您申请的，须由另一位财务人员审批。")).to_be_visible()
    expect(page.get_by_role("button", name="审批通过")).to_have_count(0)
    _check(page, artifacts_dir, "requested")

    # Finance signs in, opens its menu: the queue shows the request; it approves it.
    _login(page, live_server, world.finance_a.username)
    page.get_by_text("菜单", exact=True).click()
    page.get_by_role("link", name="拨款待办").click()
    page.wait_for_url("**/funding/queue")
    approval = page.locator("section", has=page.get_by_role("heading", name="待审批"))
    expect(approval.get_by_text(f"共1笔，合计{format_fen(FIRST)}")).to_be_visible()
    _check(page, artifacts_dir, "queue")
    approval.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(rf"/funding/grants/{grant.id}(#.*)?$"))
    page.get_by_role("button", name="审批通过").click()
    expect(page.get_by_text("拨款已审批，等待登记拨付。")).to_be_visible()
    _check(page, artifacts_dir, "approved")

    # The requester, also in finance, records the transfer with its voucher number.
    _login(page, live_server, organizer_finance.username)
    page.goto(f"{live_server}/funding/queue")
    payment = page.locator("section", has=page.get_by_role("heading", name="待拨付"))
    expect(payment.get_by_text(f"共1笔，合计{format_fen(FIRST)}")).to_be_visible()
    payment.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(rf"/funding/grants/{grant.id}(#.*)?$"))
    expect(page.get_by_label("拨付日期")).to_have_value(timeutil.today().isoformat())
    page.get_by_label("凭证号").fill(VOUCHER)
    _check(page, artifacts_dir, "pay-form")
    page.get_by_role("button", name="登记拨付").click()
    expect(page.get_by_text("拨付已登记并记入资金台账。")).to_be_visible()
    expect(_fact(page, "已拨付")).to_have_text(format_fen(FIRST))
    expect(page.locator(".badge", has_text="实施中").first).to_be_visible()
    expect(page.get_by_text(VOUCHER)).to_be_visible()
    _check(page, artifacts_dir, "paid")

    # The organizer suspends the grant by hand, with a reason.
    page.locator("#reason-suspended").fill(REASON)
    page.get_by_role("button", name="停拨", exact=True).click()
    expect(page.get_by_text("状态已更新为“已停拨”。")).to_be_visible()
    expect(page.get_by_text(f"原因：{REASON}")).to_be_visible()

    # The team's lead sees the reason, and that no expense may be recorded now, and why.
    _login(page, live_server, lead)
    page.goto(grant_url)
    expect(page.get_by_text(f"原因：{REASON}")).to_be_visible()
    expect(page.locator(".badge", has_text="已停拨").first).to_be_visible()
    expect(page.get_by_role("link", name="记一笔支出")).to_have_count(0)
    expect(page.locator("#expense-refusal")).to_have_text("资助已停拨，恢复之前不能登记支出。")
    expect(_fact(page, "已拨付")).to_have_text(format_fen(FIRST))
    _check(page, artifacts_dir, "suspended-lead")
    page.goto(f"{grant_url}/expenses/new")
    expect(page.get_by_role("status").filter(has_text="资助已停拨，恢复之前不能登记支出。")).to_be_visible()
    _check(page, artifacts_dir, "expense-refused")

    session.rollback()  # a fresh read: the server committed in its own connections
    done = session.get(Grant, grant.id)
    assert done.status == "suspended" and done.status_reason == REASON
    disbursement = session.scalars(select(Disbursement).where(Disbursement.grant_id == grant.id)).one()
    assert (disbursement.status, disbursement.amount_fen, disbursement.voucher_ref) == ("paid", FIRST, VOUCHER)
    assert disbursement.requested_by_id == disbursement.paid_by_id == organizer_finance.id
    assert disbursement.approved_by_id == world.finance_a.id
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.grant_id == grant.id)).all()
    assert [(e.kind, e.amount_fen, e.ref) for e in entries] == [("disbursement", FIRST, VOUCHER)]
    assert session.scalar(select(Expense).where(Expense.grant_id == grant.id)) is None
