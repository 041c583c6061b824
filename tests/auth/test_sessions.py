"""Sessions that end on the server: sign-out, password change, role revocation, idle and
absolute timeouts, remember-me cookies, and the one-time passwords of imported judges."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from grants.auth import service as auth_service
from grants.auth import sessions
from grants.auth.models import Role, RoleGrant
from grants.judging import panel
from tests.factories import PASSWORD

REMEMBER = "remember_token"


def _sign_in(client, login: str, password: str = PASSWORD, **extra):
    response = client.post("/login", data={"login": login, "password": password, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def _replay(app: Flask, cookie: str, name: str = "session"):
    """A fresh browser that carries only this stolen cookie."""
    thief = app.test_client()
    thief.set_cookie(name, cookie)
    return thief


def test_old_session_cookie_after_logout_gets_the_sign_in_page(app, client, make):
    make.user("zhang")
    _sign_in(client, "zhang")
    old = _session_cookie(client)
    assert _signed_in(_replay(app, old))
    client.post("/logout")
    response = _replay(app, old).get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "登录" in _replay(app, old).get("/account", follow_redirects=True).get_data(as_text=True)
    # Signing in again works, and the new session is a different one.
    _sign_in(client, "zhang")
    assert _signed_in(client) and not _signed_in(_replay(app, old))


def test_remember_me_cookie_after_logout_is_refused(app, client, make):
    make.user("zhang")
    _sign_in(client, "zhang", remember="y")
    token = client.get_cookie(REMEMBER).value
    assert _signed_in(_replay(app, token, REMEMBER))  # it does sign a fresh browser in …
    client.post("/logout")
    assert not _signed_in(_replay(app, token, REMEMBER))  # … but not after sign-out


def test_password_change_ends_the_users_other_sessions_and_remember_cookies(app, client, make):
    make.user("zhang")
    other = app.test_client()
    _sign_in(other, "zhang", remember="y")
    other_session, other_token = _session_cookie(other), other.get_cookie(REMEMBER).value
    _sign_in(client, "zhang")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "a-new-password", "confirm": "a-new-password"},
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(_replay(app, other_session))
    assert not _signed_in(_replay(app, other_token, REMEMBER))


def test_role_revocation_ends_the_holders_sessions(app, client, login_as, world, session):
    staff = app.test_client()
    _sign_in(staff, "staff_a")
    cookie = _session_cookie(staff)
    grant_id = session.scalar(select(RoleGrant.id).where(RoleGrant.user_id == world.staff_a.id))
    login_as(world.organizer_a)
    assert client.post(f"/admin/roles/{grant_id}/revoke").status_code == 302
    assert session.scalar(select(RoleGrant.id).where(RoleGrant.id == grant_id)) is None
    assert not _signed_in(staff)
    assert not _signed_in(_replay(app, cookie))
    _sign_in(staff, "staff_a")  # they may sign in again, as a resident
    assert _signed_in(staff)
    assert _signed_in(client)  # the organizer who revoked is still signed in


def test_revoking_ones_own_role_keeps_one_signed_in(session, world, make):
    grant = auth_service.grant_role(session, actor=None, user=world.organizer_a, role=Role.JUDGE, scope=world.edition_a)
    version = world.organizer_a.session_version
    auth_service.revoke_role(session, actor=world.organizer_a, grant=grant)
    assert world.organizer_a.session_version == version


def test_idle_session_ends_after_the_idle_timeout(app, client, make, clock):
    make.user("zhang")
    app.config["SESSION_IDLE_TIMEOUT"] = 2 * 3600
    _sign_in(client, "zhang")
    clock.advance(2 * 3600 - 60)
    assert _signed_in(client)  # a request within the limit …
    clock.advance(2 * 3600 - 60)
    assert _signed_in(client)  # … restarts the idle clock
    clock.advance(2 * 3600 + 1)
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "较长时间没有操作" in client.get("/login").get_data(as_text=True)


def test_idle_timeout_does_not_end_a_remembered_session(app, client, make, clock):
    make.user("zhang")
    _sign_in(client, "zhang", remember="y")
    clock.advance(app.config["SESSION_IDLE_TIMEOUT"] + 60)
    assert _signed_in(client)  # "keep me signed in" on this device


def test_absolute_timeout_ends_sessions_and_remember_cookies_however_active(app, client, make, clock):
    make.user("zhang")
    assert app.config["SESSION_ABSOLUTE_TIMEOUT"] == 14 * 24 * 3600
    _sign_in(client, "zhang", remember="y")
    token = client.get_cookie(REMEMBER).value
    for _ in range(14 * 24 - 1):
        clock.advance(3600)
    assert _signed_in(client)
    clock.advance(3601)
    assert not _signed_in(client)
    assert not _signed_in(_replay(app, token, REMEMBER))


def test_session_without_issue_time_starts_its_limits_on_first_use(client, make, login_as, clock):
    # Sessions issued before this change carry "id.version": they are accepted and given limits.
    user = make.user("zhang")
    login_as(user)
    assert _signed_in(client)
    with client.session_transaction() as sess:
        assert sessions.parse_session_id(sess["_user_id"]).issued is not None
    clock.advance(15 * 24 * 3600)
    assert not _signed_in(client)


def test_forged_or_future_issue_times_are_refused(client, make):
    user = make.user("zhang")
    for value in (f"{user.id}.{user.session_version}.{sessions.now() + 10**6}", f"{user.id}.1.x", "1.1.1.1"):
        with client.session_transaction() as sess:
            sess["_user_id"] = value
        assert not _signed_in(client)


def test_the_session_rules_do_not_read_the_session_of_anonymous_requests(app, client, monkeypatch):
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError("the session of an anonymous request was read")

    monkeypatch.setattr(sessions, "session", Untouchable())
    with app.test_request_context("/results/"):
        assert sessions.enforce() is None
    assert client.get("/healthz").status_code == 200


# --- one-time passwords of imported judges --------------------------------------------------------


def _import_judge(session, world) -> str:
    table = panel.read_table("登录名,姓名,社区\n13900007777,新评委,\n".encode(), "judges.csv")
    (item,) = panel.import_judges(session, actor=world.organizer_a, edition=world.edition_a, table=table)
    session.commit()
    return item.password


def test_imported_judge_must_change_the_one_time_password_before_anything_else(app, client, session, world):
    one_time = _import_judge(session, world)
    _sign_in(client, "13900007777", one_time)
    for path in ("/", "/account", "/review/queue", f"/admin/editions/{world.edition_a.id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password"), path
    page = client.get("/account/password").get_data(as_text=True)
    assert "一次性密码" in page
    assert client.post("/logout").status_code == 302  # signing out stays possible

    _sign_in(client, "13900007777", one_time)
    response = client.post(
        "/account/password",
        data={"current_password": one_time, "new_password": "my-own-secret-9", "confirm": "my-own-secret-9"},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.post("/login", data={"login": "13900007777", "password": one_time}).status_code == 200
    _sign_in(client, "13900007777", "my-own-secret-9")
    assert client.get("/").status_code == 200


def test_judge_import_through_the_cli_also_sets_the_flag(app, session, world, tmp_path):
    path = tmp_path / "judges.csv"
    path.write_text("登录名,姓名\ncli_judge,命令行评委\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-judges", "--edition", str(world.edition_a.id), str(path)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert auth_service.find_user_by_login(session, "cli_judge").must_change_password


def test_existing_accounts_added_as_judges_keep_their_password(session, world, make):
    make.user("13900008888", name="老用户")
    table = panel.read_table("登录名,姓名\n13900008888,老用户\n".encode(), "judges.csv")
    panel.import_judges(session, actor=world.organizer_a, edition=world.edition_a, table=table)
    assert not auth_service.find_user_by_login(session, "13900008888").must_change_password


def test_remembered_judge_with_a_new_browser_session_still_must_change_first(app, client, session, world):
    one_time = _import_judge(session, world)
    _sign_in(client, "13900007777", one_time, remember="y")
    browser_restarted = _replay(app, client.get_cookie(REMEMBER).value, REMEMBER)
    response = browser_restarted.get("/account")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")


def test_the_user_loader_reads_every_role_of_a_valid_session_and_refuses_a_revoked_one(app, session, world, make):
    """The loader reads the user and their grants as one row per grant: a holder of several roles
    gets them all, a user without any role still loads, and an older session version is refused
    whatever the number of rows."""
    holder = world.organizer_a
    auth_service.grant_role(session, actor=None, user=holder, role=Role.JUDGE, scope=world.edition_a)
    auth_service.grant_role(session, actor=None, user=holder, role=Role.JUDGE, scope=world.edition_b)
    resident = make.user("lisi")
    session.commit()
    district_a, edition_a, edition_b = world.district_a.id, world.edition_a.id, world.edition_b.id
    value = sessions.make_session_id(holder, sessions.now())
    stale = f"{holder.id}.{holder.session_version - 1}.{sessions.now()}"
    for_resident = sessions.make_session_id(resident, sessions.now())
    holder_id, resident_id = holder.id, resident.id
    session.expunge_all()
    with app.test_request_context("/"):
        loaded = sessions.load_user(value)
        assert loaded is not None and loaded.id == holder_id
        assert {(g.role, g.district_id, g.edition_id) for g in loaded.grants} == {
            (Role.ORGANIZER.value, district_a, None),
            (Role.JUDGE.value, None, edition_a),
            (Role.JUDGE.value, None, edition_b),
        }
        assert all(g.user is loaded for g in loaded.grants)
        plain = sessions.load_user(for_resident)
        assert plain is not None and plain.id == resident_id and plain.grants == []
        assert sessions.load_user(stale) is None
        auth_service.end_sessions(session, user=session.get(type(loaded), holder_id))
        session.commit()
    with app.test_request_context("/"):
        assert sessions.load_user(value) is None  # signed out everywhere: the version moved on
