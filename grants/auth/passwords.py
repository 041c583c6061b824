"""Password hashing with argon2id (memory-hard), parameters from the app config."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cache = current_app.extensions.setdefault("grants_password_hasher", {})
    if "hasher" not in cache:
        cfg = current_app.config
        cache["hasher"] = PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"],
            memory_cost=cfg["ARGON2_MEMORY_COST"],
            parallelism=cfg["ARGON2_PARALLELISM"],
        )
        # Verified against when the account does not exist, so both paths cost the same.
        cache["dummy"] = cache["hasher"].hash("not-a-real-password")
    return cache["hasher"]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    target = password_hash or current_app.extensions["grants_password_hasher"]["dummy"]
    try:
        ok = hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
