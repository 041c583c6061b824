"""The SQLite write gate (grants.db.WriteGate): one write transaction at a time, its waiters woken
as soon as it ends (no polling of SQLite's lock), across the threads of a process and across
processes (a flock beside the database), reentrant in a thread, and never waiting forever."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import text

from grants.db import WriteGate, db, unit_of_work, write_gate
from tests.conftest import IS_POSTGRES


def test_threads_enter_one_at_a_time(tmp_path):
    gate = WriteGate(str(tmp_path / "x.db"))
    inside, most, lock = [0], [0], threading.Lock()

    def writer():
        for _ in range(20):
            gate.enter()
            try:
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                with lock:
                    inside[0] -= 1
            finally:
                gate.leave()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1 and inside[0] == 0


def test_the_gate_is_reentrant_in_a_thread(tmp_path):
    gate = WriteGate(str(tmp_path / "x.db"))
    gate.enter()
    gate.enter()  # a unit of work inside a unit of work does not wait for itself
    gate.leave()
    entered = threading.Event()
    other = threading.Thread(target=lambda: (gate.enter(), entered.set(), gate.leave()))
    other.start()
    assert not entered.wait(0.1)  # still held by the outer level
    gate.leave()
    assert entered.wait(5)
    other.join()


def test_another_process_holding_the_gate_is_waited_for_and_the_waiter_goes_in_at_once(tmp_path):
    gate = WriteGate(str(tmp_path / "x.db"))
    # Another process's holder: a flock on a descriptor of its own (flock locks belong to the
    # open file, so a second open() here conflicts exactly as another process would).
    holder = os.open(gate.path, os.O_RDWR | os.O_CREAT, 0o600)
    delays = []
    try:
        # Several rounds, the quickest one judged: a busy machine (the other test worker, CI's
        # neighbours) may hold a round's waiter off the CPU for a while, but not every round; a
        # waiter that polled SQLite-style (up to 100 ms apart) or slept out a timeout would be
        # late in every one.
        for _ in range(5):
            fcntl.flock(holder, fcntl.LOCK_EX)
            entered_at: list[float] = []
            waiter = threading.Thread(
                target=lambda: (gate.enter(), entered_at.append(time.monotonic()), gate.leave())  # noqa: B023
            )
            waiter.start()
            time.sleep(0.05)
            assert not entered_at  # the holder is waited for
            released_at = time.monotonic()
            fcntl.flock(holder, fcntl.LOCK_UN)
            waiter.join(5)
            assert entered_at
            delays.append(entered_at[0] - released_at)
    finally:
        os.close(holder)
    assert min(delays) < 0.02, delays


def test_a_waiter_given_no_turn_goes_on_without_the_gate(tmp_path):
    gate = WriteGate(str(tmp_path / "x.db"))
    holder = os.open(gate.path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        gate.enter(timeout=0.2)  # SQLite's own lock (busy_timeout) decides then, as without a gate
        assert 0.2 <= time.monotonic() - started < 2
        gate.leave()
        other = threading.Thread(target=lambda: (gate.enter(timeout=0.1), gate.leave()))
        other.start()
        other.join(5)  # the in-process lock was given back
        assert not other.is_alive()
    finally:
        os.close(holder)


@pytest.mark.skipif(IS_POSTGRES, reason="the gate is SQLite's")
def test_a_unit_of_work_holds_the_gate_of_its_database(app):
    gate = write_gate(db.session)
    assert gate is not None and gate.path.endswith(".write-gate")
    with unit_of_work() as session:
        session.execute(text("SELECT 1"))
        assert gate._local.depth == 1 and gate._local.held
        with unit_of_work() as inner:  # nested: the same gate, no wait
            inner.execute(text("SELECT 1"))
            assert gate._local.depth == 2
    assert gate._local.depth == 0 and not gate._local.held


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL")
def test_postgresql_has_no_gate(app):
    assert write_gate(db.session) is None
