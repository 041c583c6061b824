"""A resident registers, signs in, sees the home page in Chinese and signs out for good."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants.auth.models import User

pytestmark = pytest.mark.e2e


def test_resident_registers_signs_in_sees_chinese_home_and_signs_out(live_server, phone, make, session, artifacts_dir):
    make.community(name="桂花社区")
    session.commit()
    page = phone
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="注册", exact=True).first.click()

    # A first attempt with mismatched passwords shows the error summary and keeps the input.
    page.get_by_label("手机号或用户名").fill("13812345678")
    page.get_by_label("姓名或昵称").fill("张晓明")
    page.get_by_label("所在社区").select_option(index=1)
    page.get_by_label("密码", exact=True).fill("jiayou-2026")
    page.get_by_label("再次输入密码").fill("something-else")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_role("alert").filter(has_text="两次输入的密码不一致")).to_be_visible()
    page.screenshot(path=artifacts_dir / "register-error-phone.png", full_page=True)

    page.get_by_label("密码", exact=True).fill("jiayou-2026")
    page.get_by_label("再次输入密码").fill("jiayou-2026")
    page.get_by_role("button", name="注册").click()
    # The same words whether or not the number had an account: the sign-in page follows.
    expect(page.get_by_text("账号已经建好，请用刚才设置的密码登录")).to_be_visible()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.screenshot(path=artifacts_dir / "register-done-phone.png", full_page=True)

    page.get_by_label("手机号或用户名").fill("13812345678")
    page.get_by_label("密码").fill("jiayou-2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("欢迎回来，张晓明。")).to_be_visible()
    expect(page.get_by_role("heading", name="公益微创投平台", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="张晓明")).to_be_visible()
    page.screenshot(path=artifacts_dir / "home-after-login-phone.png", full_page=True)

    page.get_by_text("菜单", exact=True).click()  # on a phone 退出 is in the folded menu
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_text("您已退出登录。")).to_be_visible()
    page.go_back()
    page.reload()
    expect(page.get_by_role("link", name="张晓明")).to_be_hidden()

    session.commit()
    user = session.scalar(select(User).where(User.mobile == "13812345678"))
    assert user.display_name == "张晓明" and user.community_id is not None
