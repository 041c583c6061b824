"""Registration, login, logout, password change, remember-me."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth import service
from grants.auth.models import User
from grants.errors import Conflict, DomainError
from tests.factories import PASSWORD


def _users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_register_with_mobile_creates_the_account_and_records_audit(client, session, make):
    community = make.community(name="桂花社区")
    response = client.post(
        "/register",
        data={
            "login": "13812345678",
            "display_name": "张晓明",
            "community_id": community.id,
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.mobile == "13812345678"))
    assert user.username is None and user.display_name == "张晓明" and user.community_id == community.id
    assert user.password_hash.startswith("$argon2id$")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.register")).object_id == user.id
    # Not signed in by registering (a taken number must get the same answer); the password works.
    assert response.headers["Location"].endswith("/login")
    client.post("/login", data={"login": "13812345678", "password": "long-enough-pw"})
    assert "张晓明" in client.get("/account").get_data(as_text=True)


def test_register_with_user_name(client, session):
    response = client.post(
        "/register",
        data={
            "login": "li.hua",
            "display_name": "李华",
            "community_id": 0,
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 302
    assert session.scalar(select(User).where(User.username == "li.hua")).mobile is None


@pytest.mark.parametrize(
    ("login", "password", "confirm", "message"),
    [
        ("12345", "long-enough-pw", "long-enough-pw", "11位手机号"),
        ("23812345678", "long-enough-pw", "long-enough-pw", "11位手机号"),
        ("ab", "long-enough-pw", "long-enough-pw", "11位手机号"),
        ("good_name", "short", "short", "至少需要 8 个字符"),
        ("good_name", "12345678", "12345678", "太常见"),
        ("good_name", "good_name", "good_name", "不能与登录名相同"),
        ("good_name", "aaaaaaaaaa", "aaaaaaaaaa", "太常见"),
        ("good_name", "long-enough-pw", "different-pw", "两次输入的密码不一致"),
        ("good_name", "x" * 129, "x" * 129, "不能超过"),
    ],
)
def test_register_rejects_bad_input_with_a_clear_message_and_creates_nothing(
    client, session, login, password, confirm, message
):
    before = _users(session)
    response = client.post(
        "/register",
        data={
            "login": login,
            "display_name": "某人",
            "community_id": 0,
            "password": password,
            "confirm": confirm,
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _users(session) == before


def test_register_unknown_community_is_refused(client, session):
    response = client.post(
        "/register",
        data={
            "login": "good_name",
            "display_name": "某人",
            "community_id": 999,
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 400
    assert _users(session) == 0


def test_register_with_a_taken_number_changes_nothing_and_answers_like_a_new_one(client, session, make):
    make.user("13900001111", name="原来的人")
    before = _users(session)
    form = {"display_name": "另一个人", "community_id": 0, "password": "long-enough-pw", "confirm": "long-enough-pw"}
    taken = client.post("/register", data={**form, "login": "13900001111"})
    assert _users(session) == before
    assert session.scalar(select(User).where(User.mobile == "13900001111")).display_name == "原来的人"
    fresh = app_client_register(client, {**form, "login": "13900002222"})
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    taken_page = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert "13900001111" in taken_page and "以前没有注册过" in taken_page
    assert "已经注册过了" not in taken_page


def app_client_register(client, data):
    return client.post("/register", data=data)


def test_service_refuses_duplicate_and_bad_names(session, make):
    make.user("taken")
    with pytest.raises(Conflict):
        service.register_user(session, login="taken", display_name="x", password=PASSWORD)
    with pytest.raises(DomainError):
        service.register_user(session, login="ok_name", display_name="  ", password=PASSWORD)


def test_login_with_username_and_mobile_then_logout(client, make, session):
    make.user("13800001111", name="手机用户")
    make.user("zhang", name="用户名用户")
    for login in ("13800001111", "zhang"):
        response = client.post("/login", data={"login": login, "password": PASSWORD})
        assert response.status_code == 302
        assert client.get("/account").status_code == 200
        client.post("/logout")
        assert client.get("/account").status_code == 302
    assert session.scalar(select(User).where(User.username == "zhang")).last_login_at is not None


def test_login_with_wrong_password_or_unknown_user_says_so_without_telling_which(client, make):
    make.user("zhang")
    for login, password in (("zhang", "wrong-password"), ("nobody", PASSWORD)):
        response = client.post("/login", data={"login": login, "password": password})
        assert response.status_code == 200
        assert "手机号/用户名或密码不正确" in response.get_data(as_text=True)
        assert client.get("/account").status_code == 302


def test_inactive_user_cannot_log_in(client, make, session):
    user = make.user("zhang")
    user.active = False
    session.commit()
    response = client.post("/login", data={"login": "zhang", "password": PASSWORD})
    assert "密码不正确" in response.get_data(as_text=True)


def test_login_redirects_only_to_local_next(client, make):
    make.user("zhang")
    response = client.post("/login?next=/account", data={"login": "zhang", "password": PASSWORD})
    assert response.headers["Location"].endswith("/account")
    client.post("/logout")
    response = client.post("/login?next=https://evil.example/x", data={"login": "zhang", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_remember_me_sets_a_long_lived_http_only_cookie(client, make):
    make.user("zhang")
    response = client.post("/login", data={"login": "zhang", "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "Expires=" in cookie and "SameSite=Lax" in cookie


def test_password_change_requires_current_password_and_signs_out_other_sessions(app, client, make, session):
    user = make.user("zhang")
    other_device = app.test_client()
    other_device.post("/login", data={"login": "zhang", "password": PASSWORD})
    assert other_device.get("/account").status_code == 200
    client.post("/login", data={"login": "zhang", "password": PASSWORD})

    response = client.post(
        "/account/password",
        data={"current_password": "wrong-one", "new_password": "a-new-password", "confirm": "a-new-password"},
    )
    assert response.status_code == 400 and "当前密码不正确" in response.get_data(as_text=True)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a-new-password", "confirm": "a-new-password"},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this device stays signed in
    assert other_device.get("/account").status_code == 302  # the other one is signed out
    session.refresh(user)
    assert service.authenticate(session, login="zhang", password="a-new-password") is not None
    assert service.authenticate(session, login="zhang", password=PASSWORD) is None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_change")) is not None


def test_tampered_session_user_id_is_ignored(client, make):
    user = make.user("zhang")
    for bogus in ("abc", f"{user.id}", f"{user.id}.99", "999.1"):
        with client.session_transaction() as sess:
            sess["_user_id"] = bogus
        assert client.get("/account").status_code == 302


def test_signed_in_user_visiting_login_or_register_goes_home(client, make, login_as):
    login_as(make.user("zhang"))
    assert client.get("/login").status_code == 302
    assert client.get("/register").status_code == 302
