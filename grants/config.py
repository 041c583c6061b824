"""Configuration: safe defaults, overridden by environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from grants import slots
from grants.auth import limit_store

INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", Path(__file__).resolve().parent.parent / "instance"))


def _secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ (never committed)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_dir: Path = INSTANCE_DIR, overrides: dict | None = None) -> dict:
    """Build the configuration dict from defaults and environment variables."""
    overrides = overrides or {}
    return {
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(instance_dir),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{instance_dir / 'grants.db'}"),
        # A pooled connection for each of a process's threads (gunicorn.conf.py sets it to its
        # threads): connections past the pool's size are opened for one request and closed after
        # it, and opening one costs PostgreSQL a new backend process. A connection is checked before
        # use only when it has been idle for a while (grants.db.PING_AFTER_IDLE_SECONDS).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": int(os.environ.get("DB_POOL_SIZE", 8))},
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "JOBS_QUEUE_NAME": os.environ.get("JOBS_QUEUE_NAME"),  # None: "grants"
        # Rate limits live where every worker process sees the same counts: in Redis when there is
        # one, else in a file of the instance folder (grants/auth/limit_store.py).
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or limit_store.uri_for(instance_dir / "ratelimits.db"),
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins per client address, whichever accounts they try (Flask-Limiter).
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Failed sign-ins per (account, address) pair: this many are free, then each further one
        # doubles the wait, from the base up to the maximum (seconds).
        "LOGIN_FREE_FAILURES": int(os.environ.get("LOGIN_FREE_FAILURES", 5)),
        "LOGIN_BACKOFF_BASE": int(os.environ.get("LOGIN_BACKOFF_BASE", 30)),
        "LOGIN_BACKOFF_MAX": int(os.environ.get("LOGIN_BACKOFF_MAX", 3600)),
        # Reverse proxies in front of the app (nginx: 1): the client address is then read from
        # X-Forwarded-For, as the sign-in and registration limits need.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", 0)),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "10 per minute;30 per hour;100 per day"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024)),
        # Requests a worker process runs at once, their bodies read before (grants/slots.py): 1 with
        # the database on this machine; 2-4 with it on another; 0 without a limit.
        "REQUEST_SLOTS": int(os.environ.get("REQUEST_SLOTS", slots.DEFAULT_SLOTS)),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance_dir / "uploads")),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)),
        "ATTACHMENT_MAX_COUNT": int(os.environ.get("ATTACHMENT_MAX_COUNT", 10)),
        # Images declaring more pixels are refused (a decompression bomb is never decoded).
        "IMAGE_MAX_PIXELS": int(os.environ.get("IMAGE_MAX_PIXELS", 40_000_000)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        # Seconds: a session ends after this long without a request, and this long after sign-in
        # whatever happens (the remember-me cookie too).
        "SESSION_IDLE_TIMEOUT": int(os.environ.get("SESSION_IDLE_TIMEOUT", 2 * 3600)),
        "SESSION_ABSOLUTE_TIMEOUT": int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", 14 * 24 * 3600)),
        "REMEMBER_COOKIE_DURATION": int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", 14 * 24 * 3600)),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_Hans_CN", "en"],
        # argon2id parameters (memory in KiB). Tests lower them; production keeps these.
        "ARGON2_TIME_COST": int(os.environ.get("ARGON2_TIME_COST", 3)),
        "ARGON2_MEMORY_COST": int(os.environ.get("ARGON2_MEMORY_COST", 64 * 1024)),
        "ARGON2_PARALLELISM": int(os.environ.get("ARGON2_PARALLELISM", 2)),
        "PASSWORD_MIN_LENGTH": 8,
        "PER_PAGE": 50,
        "OFFICE_NAME": os.environ.get("OFFICE_NAME", ""),
        # Anonymous public pages are kept this long in each worker (grants/http_cache.py); shared
        # caches may keep them 60 s anyway. Off in tests unless a test turns it on.
        "PUBLIC_PAGE_CACHE_SECONDS": int(
            os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", 0 if overrides.get("TESTING") else 10)
        ),
        # An activity's photos are re-encoded once a core is free, at most this many seconds after
        # they were stored (grants.jobs.run_activity_photos_job); 0: at once. Off in tests unless a
        # test turns it on.
        "PHOTO_CLEAN_MAX_DELAY": float(os.environ.get("PHOTO_CLEAN_MAX_DELAY", 0 if overrides.get("TESTING") else 3)),
    }
