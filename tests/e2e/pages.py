"""What the browser tests do on many pages: signing in through the form, as a person does."""

from __future__ import annotations


def sign_in(page, base: str, login: str, password: str) -> None:
    """Sign in on ``page`` through the sign-in form and wait until it has left it. A test that changes
    who is signed in on the same page clears the context's cookies first."""
    page.goto(base + "/login")
    page.get_by_label("手机号或用户名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
