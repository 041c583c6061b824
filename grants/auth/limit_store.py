"""Rate-limit counters in a small SQLite file, shared by every worker process of one machine.

Flask-Limiter (the sign-in, registration and open-data limits) and the sign-in backoff
(grants/auth/throttle.py) keep their counters in a `limits` storage. Process memory would give each
gunicorn worker its own counts — with four workers an attacker would get four times the attempts —
so without Redis the platform ran one worker. This storage keeps the counters in a file beside the
database (``instance/ratelimits.db``, WAL), which every worker of the machine opens: `make run`
uses every core without Redis. Several machines behind one address still need Redis
(``REDIS_URL``), which is used whenever it is set.

URI: ``grants+sqlite:///<absolute path>``. Counters are fixed windows: the first increment of a key
sets its expiry, later ones add to it until then; an expired counter counts from zero again.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import ClassVar

from limits.storage import Storage

SCHEME = "grants+sqlite"
_SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL)"
# One increment in this many also removes the expired counters (a sign-in's are kept a day).
SWEEP_EVERY = 500


def uri_for(path: Path) -> str:
    return f"{SCHEME}:///{Path(path).resolve()}"


class SQLiteStorage(Storage):
    STORAGE_SCHEME: ClassVar[list[str]] = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self.path = Path(uri.split("://", 1)[1])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._increments = 0
        connection = self._connect()
        try:
            connection.execute(_SCHEMA)
        finally:
            connection.close()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a worker's threads each have one; a write waits for another's),
        opened in this process: a connection is never used on both sides of a fork."""
        pid, connection = getattr(self._local, "opened", (None, None))
        if pid != os.getpid():
            connection = self._connect()
            self._local.opened = (os.getpid(), connection)
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        (value,) = connection.execute(
            "INSERT INTO counters (key, value, expires) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (key) DO UPDATE SET "
            "value = CASE WHEN expires <= ?4 THEN excluded.value ELSE value + excluded.value END, "
            "expires = CASE WHEN expires <= ?4 THEN excluded.expires ELSE expires END "
            "RETURNING value",
            (key, amount, now + expiry, now),
        ).fetchone()
        self._increments += 1
        if self._increments % SWEEP_EVERY == 0:
            connection.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return value

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return row[0] if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
