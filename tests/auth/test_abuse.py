"""Account abuse: failed sign-ins lock only the (account, address) pair that failed, with a
doubling wait; a coarse per-address limit across accounts; registration is rate-limited, tells
nobody which names are taken and reports every field's problem at once; counts shared by workers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants import create_app
from grants.audit.models import SecurityEvent
from grants.auth import throttle
from grants.auth.models import User
from tests.conftest import CSRFClient
from tests.factories import PASSWORD

HOME, AWAY = "10.0.0.1", "10.0.0.2"


def _post_login(client, login: str, password: str, address: str):
    return client.post("/login", data={"login": login, "password": password}, environ_base={"REMOTE_ADDR": address})


def _events(session, kind: str) -> list[SecurityEvent]:
    session.expire_all()
    return list(session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)))


@pytest.fixture
def generous_address_limit(app):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"


def test_backoff_doubles_after_the_free_failures_up_to_the_maximum():
    waits = [throttle.backoff_seconds(n, free=5, base=30, maximum=3600) for n in range(1, 14)]
    assert waits == [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600]
    assert throttle.backoff_seconds(10**6, free=5, base=30, maximum=3600) == 3600


def test_failures_of_a_pair_lock_that_pair_and_a_success_forgets_them(app):
    with app.test_request_context():
        assert [throttle.record_failure("zhang", HOME) for _ in range(8)] == [0, 0, 0, 0, 0, 30, 60, 120]
        assert 115 <= throttle.wait_seconds("zhang", HOME) <= 120
        assert throttle.wait_seconds("zhang", AWAY) == 0
        assert throttle.wait_seconds("li", HOME) == 0
        throttle.record_success("zhang", HOME)
        assert throttle.wait_seconds("zhang", HOME) == 0
        assert throttle.record_failure("zhang", HOME) == 0


def test_guessing_does_not_lock_the_organizer_out_from_another_address(app, world, session, generous_address_limit):
    attacker, owner = app.test_client(), app.test_client()
    codes = [_post_login(attacker, "org_a", "wrong-password", HOME).status_code for _ in range(12)]
    assert codes[:6] == [200] * 6 and set(codes[6:]) == {429}
    # The right password from the address that failed waits too …
    response = _post_login(attacker, "org_a", PASSWORD, HOME)
    assert response.status_code == 429
    assert "后再试" in response.get_data(as_text=True)
    # … while the owner, from an address that has not failed, gets in.
    assert _post_login(owner, "org_a", PASSWORD, AWAY).status_code == 302
    assert owner.get("/admin/audit/").status_code == 200


def test_the_wait_is_told_after_the_failure_that_starts_it(app, make, generous_address_limit):
    make.user("zhang")
    client = app.test_client()
    for _ in range(5):
        assert "后再试" not in _post_login(client, "zhang", "wrong", HOME).get_data(as_text=True)
    body = _post_login(client, "zhang", "wrong", HOME).get_data(as_text=True)
    assert "密码不正确" in body and "30 秒后再试" in body


def test_unknown_accounts_are_counted_alike(app, generous_address_limit):
    client = app.test_client()
    codes = [_post_login(client, "nobody_here", "wrong", HOME).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]


def test_coarse_per_address_limit_across_accounts(app, make):
    for name in ("a_one", "a_two", "a_three"):
        make.user(name)
    app.config["LOGIN_RATE_LIMIT"] = "4 per minute"
    client = app.test_client()
    codes = [_post_login(client, name, "wrong", HOME).status_code for name in ("a_one", "a_two", "a_three", "x_y")]
    assert codes == [200] * 4
    assert _post_login(client, "a_one", PASSWORD, HOME).status_code == 429
    assert _post_login(app.test_client(), "a_one", PASSWORD, AWAY).status_code == 302


def test_failed_and_locked_sign_ins_are_in_the_security_log(app, make, session, generous_address_limit):
    make.user("zhang")
    client = app.test_client()
    for _ in range(7):
        _post_login(client, "zhang", "wrong", HOME)
    failed, locked = _events(session, "login_failed"), _events(session, "login_locked")
    assert len(failed) == 6 and len(locked) == 1
    assert {(e.login, e.address, e.method, e.path) for e in failed + locked} == {("zhang", HOME, "POST", "/login")}


def test_a_security_log_that_cannot_be_written_does_not_break_sign_in(app, make, session, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from grants.audit import security

    class Broken:
        def __init__(self, *args, **kwargs):
            raise OperationalError("INSERT", {}, Exception("disk full"))

    make.user("zhang")
    monkeypatch.setattr(security, "Session", Broken)
    client = app.test_client()
    assert _post_login(client, "zhang", "wrong", HOME).status_code == 200
    assert _post_login(client, "zhang", PASSWORD, HOME).status_code == 302


# --- registration -------------------------------------------------------------------------------


def _register(client, login: str, address: str = HOME, **overrides):
    data = {"login": login, "display_name": "某人", "community_id": 0, "password": "long-enough-pw"}
    data.update(overrides)
    data.setdefault("confirm", data["password"])
    return client.post("/register", data=data, environ_base={"REMOTE_ADDR": address})


def test_registration_reports_every_fields_problem_at_once(client, session):
    response = _register(client, "12", display_name=" ", password="short", confirm="other")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "11位手机号" in body and "请填写" in body and "至少需要 8 个字符" in body and "不一致" in body
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_registration_with_a_taken_number_is_logged_and_answered_like_a_new_one(client, session, make):
    make.user("13900001111")
    taken, fresh = _register(client, "13900001111"), _register(client, "13900002222")
    assert (taken.status_code, taken.headers["Location"]) == (fresh.status_code, fresh.headers["Location"])
    (event,) = _events(session, "register_taken")
    assert event.login == "13900001111" and event.address == HOME


def test_registration_is_rate_limited_per_address(app, session):
    app.config["REGISTER_RATE_LIMIT"] = "2 per minute"
    client = app.test_client()
    assert _register(client, "first_one").status_code == 302
    assert _register(client, "second_one").status_code == 302
    response = _register(client, "third_one")
    assert response.status_code == 429 and "操作太频繁" in response.get_data(as_text=True)
    assert _register(app.test_client(), "third_one", address=AWAY).status_code == 302


# --- several workers share the counts: through Redis, or the file without it -----------------------


def _workers(app, store, **config) -> list:
    config = {**app.config, "RATELIMIT_STORAGE_URI": store.url, "RATELIMIT_KEY_PREFIX": store.prefix, **config}
    workers = [create_app(config), create_app(config)]
    for worker in workers:
        worker.test_client_class = CSRFClient
    return workers


def test_pair_lock_is_shared_by_workers(app, make, shared_store):
    make.user("zhang")
    workers = _workers(app, shared_store, LOGIN_RATE_LIMIT="1000 per minute")
    codes = [_post_login(workers[i % 2].test_client(), "zhang", "wrong", HOME).status_code for i in range(7)]
    assert codes == [200] * 6 + [429]
    assert _post_login(workers[1].test_client(), "zhang", PASSWORD, HOME).status_code == 429
    assert _post_login(workers[0].test_client(), "zhang", PASSWORD, AWAY).status_code == 302
    # The success from the other address left the failed pair locked; no stored key names the account.
    keys = shared_store.keys()
    assert keys and not any("zhang" in k for k in keys)


def test_registration_limit_is_shared_by_workers(app, shared_store):
    workers = _workers(app, shared_store, REGISTER_RATE_LIMIT="3 per minute")
    codes = [_register(workers[i % 2].test_client(), f"reg_user{i}").status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]


def test_behind_a_proxy_the_forwarded_client_address_is_counted(app, make):
    make.user("zhang")
    proxied = create_app({**app.config, "PROXY_COUNT": 1, "LOGIN_RATE_LIMIT": "1000 per minute"})
    proxied.test_client_class = CSRFClient
    client = proxied.test_client()

    def attempt(password: str, forwarded: str) -> int:
        return client.post(
            "/login", data={"login": "zhang", "password": password}, headers={"X-Forwarded-For": forwarded}
        ).status_code

    assert [attempt("wrong", "203.0.113.7") for _ in range(7)] == [200] * 6 + [429]
    assert attempt(PASSWORD, "198.51.100.9") == 302  # same proxy, another client
