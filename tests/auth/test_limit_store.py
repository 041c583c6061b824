"""The rate-limit counters' file (grants/auth/limit_store.py): fixed windows as Flask-Limiter expects
them, shared and exact between processes that count at the same time, and the default store when
there is no Redis."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from grants.auth import limit_store
from grants.config import load_config


@pytest.fixture
def store(tmp_path):
    return limit_store.SQLiteStorage(limit_store.uri_for(tmp_path / "ratelimits.db"))


@pytest.fixture
def clock(monkeypatch):
    """The store's notion of now, moved by hand."""

    class Clock:
        now = 1_000_000.0

    monkeypatch.setattr(limit_store.time, "time", lambda: Clock.now)
    return Clock


def test_a_counter_counts_within_its_window_and_starts_again_after_it(store, clock):
    assert [store.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert store.incr("k", 60, amount=2) == 5
    assert store.get("k") == 5 and store.get_expiry("k") == clock.now + 60  # the first increment set it
    clock.now += 59
    assert store.incr("k", 60) == 6 and store.get_expiry("k") == clock.now + 1  # the window does not move
    clock.now += 1
    assert store.get("k") == 0 and store.get_expiry("k") == clock.now  # expired: as if never counted
    assert store.incr("k", 60) == 1 and store.get_expiry("k") == clock.now + 60


def test_clear_reset_and_check(store, clock):
    store.incr("a", 60)
    store.incr("b", 60)
    store.clear("a")
    assert store.get("a") == 0 and store.get("b") == 1
    assert store.reset() == 1 and store.get("b") == 0
    assert store.check()


def test_expired_counters_are_swept_now_and_then(store, clock, monkeypatch):
    monkeypatch.setattr(limit_store, "SWEEP_EVERY", 3)
    store.incr("old", 10)
    clock.now += 11
    store.incr("new", 10)
    store.incr("new", 10)  # the third increment of this process sweeps
    connection = store._connection()
    assert [key for (key,) in connection.execute("SELECT key FROM counters")] == ["new"]


def test_two_stores_on_one_file_share_the_counts(tmp_path):
    uri = limit_store.uri_for(tmp_path / "ratelimits.db")
    first, second = limit_store.SQLiteStorage(uri), limit_store.SQLiteStorage(uri)
    assert [first.incr("k", 60), second.incr("k", 60), first.incr("k", 60)] == [1, 2, 3]
    assert second.get("k") == 3


def _count(uri: str, times: int, start, results) -> None:
    store = limit_store.SQLiteStorage(uri)
    start.wait()
    results.put([store.incr("shared", 3600) for _ in range(times)])


def test_processes_counting_at_the_same_time_lose_no_count(tmp_path):
    """Four processes (as four gunicorn workers) count 200 each at once: every value from 1 to 800
    is handed out exactly once, so a limit of N lets exactly N through, whichever worker asks."""
    uri = limit_store.uri_for(tmp_path / "ratelimits.db")
    limit_store.SQLiteStorage(uri)  # the table exists before the race
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    workers = [context.Process(target=_count, args=(uri, 200, start, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    start.set()
    values = sorted(v for _ in workers for v in results.get(timeout=60))
    for worker in workers:
        worker.join(timeout=30)
    assert values == list(range(1, 801))
    assert limit_store.SQLiteStorage(uri).get("shared") == 800


def test_without_redis_the_counts_live_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    config = load_config(tmp_path, {"SECRET_KEY": "x"})
    assert config["RATELIMIT_STORAGE_URI"] == f"grants+sqlite:///{tmp_path.resolve() / 'ratelimits.db'}"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    assert load_config(tmp_path, {"SECRET_KEY": "x"})["RATELIMIT_STORAGE_URI"] == os.environ["REDIS_URL"]


def test_a_store_made_before_a_fork_counts_in_the_child_on_a_connection_of_its_own(tmp_path):
    """gunicorn --preload makes the app (and this store) before it forks its workers."""
    store = limit_store.SQLiteStorage(limit_store.uri_for(tmp_path / "ratelimits.db"))
    assert store.incr("k", 60) == 1  # the parent's connection is open
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put((store.incr("k", 60), store._connection() is not parent)))
    parent = store._connection()
    child.start()
    assert results.get(timeout=30) == (2, True)
    child.join(timeout=30)
    assert store.incr("k", 60) == 3
