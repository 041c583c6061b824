"""A resident fills in a proposal on a phone: team of three, two budget lines, a photo, then submits."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from grants.editions.states import edition_machine
from grants.proposals.models import Proposal
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_resident_submits_a_proposal_from_a_phone(live_server, phone, world, session, artifacts_dir, tmp_path):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    photo = tmp_path / "现场照片.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 160, 90)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    page = phone
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, "resident", PASSWORD)
    page.get_by_role("link", name="我要申报").click()
    page.get_by_role("button", name="开始填写申报书").click()
    expect(page.get_by_text("草稿已创建")).to_be_visible()  # waits for the page the form leads to

    page.get_by_label("项目名称").fill("楼道微花园")
    page.get_by_label("服务领域").select_option(label="环境卫生")
    page.get_by_label("实施社区").select_option(label="甲街道 · 甲一社区")
    page.get_by_label("项目开始日期").fill("2026-04-01")
    page.get_by_label("项目结束日期").fill("2026-09-30")
    for label, text in [
        ("项目简介", "把闲置楼道改造成居民共建的微花园。"),
        ("需求分析", "楼道堆物多，邻里交流少。"),
        ("总目标", "营造整洁友好的楼道环境。"),
        ("分目标", "清理堆物；种植绿植；每月共建。"),
        ("风险预计与防控", "雨季养护难：安排轮值。"),
        ("可持续发展计划", "成立楼道花友会。"),
        ("受益对象", "本楼道居民"),
    ]:
        page.get_by_label(label, exact=True).fill(text)
    page.get_by_label("直接受益人数").fill("60")
    page.get_by_label("申报人手机号").fill("13812345678")
    page.get_by_label("第1行：时间").fill("2026年4月")
    page.get_by_label("第1行：活动内容").fill("楼道清理日")
    page.get_by_label("第1行：地点").fill("3号楼")
    page.get_by_label("第1行：预计参与人数").fill("20")
    for row, (name, mobile) in enumerate([("李桂英", "13912340001"), ("王建华", "13912340002")], start=1):
        page.get_by_label(f"第{row}行：姓名").fill(name)
        page.get_by_label(f"第{row}行：手机号").fill(mobile)
        page.get_by_label(f"第{row}行：团队分工").fill("志愿者")
    for row, (category, item, price, qty) in enumerate(
        [("活动物资", "花盆和土", "50", "20"), ("宣传", "宣传海报", "20.5", "10")], start=1
    ):
        page.get_by_label(f"第{row}行：支出类别").select_option(label=category)
        page.get_by_label(f"第{row}行：支出项目").fill(item)
        page.get_by_label(f"第{row}行：单价（元）").fill(price)
        page.get_by_label(f"第{row}行：数量").fill(qty)
    assert page.locator("[data-budget-total]").inner_text() == "¥1,205.00"  # computed live by the page
    page.screenshot(path=artifacts_dir / "proposal-form-phone.png", full_page=True)
    page.get_by_label("我承诺").check()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存。")).to_be_visible()  # waits for the page the form leads to

    page.get_by_label("上传照片或PDF").set_input_files(str(photo))
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("附件已上传。")).to_be_visible()  # waits for the page the form leads to
    expect(page.get_by_role("link", name="现场照片.jpg")).to_be_visible()

    page.get_by_role("button", name="提交申报").click()
    expect(page.get_by_text("申报书已提交")).to_be_visible()  # waits for the page the form leads to
    expect(page.get_by_text("等待资格审查", exact=True).first).to_be_visible()  # its stage, not only its status
    assert page.get_by_role("link", name="继续填写").count() == 0
    page.screenshot(path=artifacts_dir / "proposal-submitted-phone.png", full_page=True)

    session.commit()
    proposal = session.scalar(select(Proposal))
    assert proposal.status == "submitted" and proposal.requested_fen == 120_500
    assert len(proposal.team) == 2 and len(proposal.budget_lines) == 2 and len(proposal.attachments) == 1
