"""The migrations build exactly the models' schema (the suite's database is built by them)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from grants import PROJECT_ROOT
from grants.db import db


def test_upgrade_head_from_empty_database_matches_the_models(app):
    # The `database_template` fixture ran `upgrade head` on an empty database for this run.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_database_is_at_the_single_head_revision(app):
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == heads[0]


def test_migration_file_names_are_dated(app):
    for path in (PROJECT_ROOT / "migrations" / "versions").glob("*.py"):
        assert path.name[:8].isdigit() and path.name[8] == "_", path.name


def test_check_constraints_exist_in_the_database(app):
    names = {c["name"] for c in inspect(db.engine).get_check_constraints("editions")}
    assert {"ck_editions_cap_positive", "ck_editions_pool_covers_cap"} <= names
