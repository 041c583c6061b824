"""Login attempts are rate-limited, per address and per account, in memory, in Redis or in the instance's file."""

from __future__ import annotations

from grants import create_app
from tests.conftest import CSRFClient
from tests.factories import PASSWORD


def _bad_logins(client, n: int, login: str = "zhang") -> list[int]:
    return [client.post("/login", data={"login": login, "password": "wrong-password"}).status_code for _ in range(n)]


def test_repeated_bad_logins_are_refused_with_a_friendly_429(app, client, make):
    make.user("zhang")
    app.config["LOGIN_RATE_LIMIT"] = "5 per minute"
    codes = _bad_logins(client, 6)
    assert codes[:5] == [200] * 5 and codes[5] == 429
    response = client.post("/login", data={"login": "zhang", "password": PASSWORD})
    assert response.status_code == 429  # even the right password waits now
    assert "操作太频繁" in response.get_data(as_text=True)


def test_successful_logins_do_not_use_up_the_limit(app, client, make):
    make.user("zhang")
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(5):
        assert client.post("/login", data={"login": "zhang", "password": PASSWORD}).status_code == 302
        client.post("/logout")


def test_rate_limit_is_shared_by_workers(app, make, shared_store):
    make.user("zhang")
    # Two app instances stand for two gunicorn workers; they must share the count.
    config = {
        **app.config,
        "RATELIMIT_STORAGE_URI": shared_store.url,
        "LOGIN_RATE_LIMIT": "4 per minute",
        "RATELIMIT_KEY_PREFIX": shared_store.prefix,
    }
    workers = [create_app(config), create_app(config)]
    codes = []
    for i in range(5):
        worker = workers[i % 2]
        worker.test_client_class = CSRFClient
        codes.append(_bad_logins(worker.test_client(), 1)[0])
    assert codes[:4] == [200] * 4 and codes[4] == 429
