"""A second, empty instance to restore into: a new SQLite file, or a database beside the test database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from grants import create_app
from grants.db import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _restore_database_url() -> str:
    """<test database>_restore on the same PostgreSQL server, made anew (FORCE: no stale sessions)."""
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_restore"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = create_engine(make_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_instance(app, tmp_path):
    """fresh_instance(): a new app on an empty database and empty instance folder (restore target)."""
    made = []

    def _make():
        folder = tmp_path / f"restored{len(made)}"
        url = _restore_database_url() if IS_POSTGRES else f"sqlite:///{folder / 'grants.db'}"
        config = {
            "TESTING": True,
            "INSTANCE_PATH": str(folder),
            "UPLOAD_DIR": str(folder / "uploads"),
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None,
        }
        Path(folder).mkdir()
        fresh = create_app(config)
        made.append(fresh)
        return fresh

    yield _make
    for fresh in made:
        with fresh.app_context():
            url = str(db.engine.url.render_as_string(hide_password=False))
            db.session.remove()
            db.engine.dispose()
        if IS_POSTGRES:
            _drop_database(url)
