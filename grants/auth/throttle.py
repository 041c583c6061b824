"""Failed sign-ins counted per (account, client address) pair, with exponential backoff.

The counters live in Flask-Limiter's storage, which every worker sees: Redis when ``REDIS_URL``
(or ``RATELIMIT_STORAGE_URI``) names one, else a file of the instance folder
(grants/auth/limit_store.py). A lock holds only the pair that failed: the owner signing in from
another address is not held up by someone guessing elsewhere.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from limits.storage import Storage

from grants.extensions import limiter

# Failures of a pair are forgotten this long after the first of them.
FAILURE_MEMORY = 24 * 3600


def backoff_seconds(failures: int, *, free: int, base: int, maximum: int) -> int:
    """How long a pair waits after its ``failures``-th failure: 0, then base, 2·base, … ≤ maximum."""
    if failures <= free:
        return 0
    return min(maximum, base * 2 ** min(failures - free - 1, 32))


def _key(kind: str, login: str, address: str) -> str:
    # Hashed: the keys name no phone number in Redis.
    digest = hashlib.sha256(f"{login.strip().lower()}\x00{address}".encode()).hexdigest()[:32]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "grants"
    return f"{prefix}:signin:{kind}:{digest}"


def _storage() -> Storage | None:
    """The shared counter storage, None when rate limiting is switched off."""
    return limiter.storage if limiter.enabled and limiter.initialized else None


def wait_seconds(login: str, address: str) -> int:
    """Seconds before this pair may try again (0: now)."""
    storage = _storage()
    if storage is None:
        return 0
    key = _key("lock", login, address)
    try:
        if not storage.get(key):
            return 0
        return max(1, math.ceil(storage.get_expiry(key) - time.time()))
    except Exception:  # the counter store is down: sign-in still works (as Flask-Limiter's swallow_errors)
        current_app.logger.exception("sign-in throttle: counter storage unavailable")
        return 0


def record_failure(login: str, address: str) -> int:
    """Count a failed sign-in of this pair and lock it if needed; returns the wait in seconds."""
    storage = _storage()
    if storage is None:
        return 0
    try:
        return _count_failure(storage, login, address)
    except Exception:
        current_app.logger.exception("sign-in throttle: counter storage unavailable")
        return 0


def _count_failure(storage: Storage, login: str, address: str) -> int:
    config = current_app.config
    failures = storage.incr(_key("fail", login, address), FAILURE_MEMORY)
    wait = backoff_seconds(
        failures,
        free=config["LOGIN_FREE_FAILURES"],
        base=config["LOGIN_BACKOFF_BASE"],
        maximum=config["LOGIN_BACKOFF_MAX"],
    )
    if wait:
        lock = _key("lock", login, address)
        storage.clear(lock)
        storage.incr(lock, wait)
    return wait


def record_success(login: str, address: str) -> None:
    """The right password from this pair: its failures are forgotten."""
    storage = _storage()
    if storage is None:
        return
    try:
        storage.clear(_key("fail", login, address))
        storage.clear(_key("lock", login, address))
    except Exception:
        current_app.logger.exception("sign-in throttle: counter storage unavailable")
