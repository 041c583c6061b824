"""Fixtures of the account tests: a clock that moves, a real Redis when there is one."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from grants.auth import sessions


@pytest.fixture
def clock(monkeypatch):
    """clock.advance(seconds): the sessions' notion of now moves on, without sleeping."""

    class Clock:
        offset = 0

        def advance(self, seconds: int) -> None:
            self.offset += seconds

    c = Clock()
    real_now = sessions.now
    monkeypatch.setattr(sessions, "now", lambda: real_now() + c.offset)
    return c


@pytest.fixture
def redis_url():
    """TEST_REDIS_URL's server (the session's own database number); skipped without one, except in CI."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip("no Redis server (make test starts one)")
    return url


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of its own, and its keys removed afterwards."""
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
