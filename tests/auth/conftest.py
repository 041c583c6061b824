"""Fixtures of the account tests: a clock that moves, a real Redis when there is one, the stores
several workers share their counts in."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import redis

from grants.auth import limit_store, sessions


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


@dataclass
class SharedStore:
    url: str  # RATELIMIT_STORAGE_URI
    prefix: str  # RATELIMIT_KEY_PREFIX
    keys: Callable[[], list[str]]  # the keys stored under the prefix


@pytest.fixture(params=["redis", "file"])
def shared_store(request, tmp_path) -> SharedStore:
    """A counter store that every worker of a machine sees: Redis, or the instance folder's file
    (grants/auth/limit_store.py), which counts without Redis."""
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        return SharedStore(
            url, prefix, lambda: [k.decode() for k in redis.Redis.from_url(url).scan_iter(f"*{prefix}*")]
        )
    path = tmp_path / "ratelimits.db"

    def keys() -> list[str]:
        with sqlite3.connect(path) as connection:
            return [key for (key,) in connection.execute("SELECT key FROM counters")]

    return SharedStore(limit_store.uri_for(path), "test", keys)
