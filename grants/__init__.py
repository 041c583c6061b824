"""公益微创投平台 — the community micro-grant competition platform."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from grants.config import INSTANCE_DIR, load_config
from grants.formdata import PlatformRequest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class PlatformApp(Flask):
    """Flask, except that a view which lost a race to a concurrent request runs again, a request's
    reads run outside transactions on PostgreSQL (both grants.db), and forms with uploads are parsed
    by a faster parser (grants.formdata)."""

    request_class = PlatformRequest

    def full_dispatch_request(self):
        from grants.db import reads_outside_transactions

        with reads_outside_transactions():
            return super().full_dispatch_request()

    def dispatch_request(self):
        from grants.db import retry_request

        return retry_request(super().dispatch_request)

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """A static file under its versioned URL is kept for a year (grants.assets)."""
        from grants import assets

        return assets.max_age(self, filename) or super().get_send_file_max_age(filename)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: config, extensions, blueprints, errors, security, CLI."""
    instance_dir = Path((config or {}).get("INSTANCE_PATH", INSTANCE_DIR))
    app = PlatformApp(
        __name__,
        instance_path=str(instance_dir),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(instance_dir, overrides=config or {}))
    app.config.update(config or {})

    from grants import models  # noqa: F401  (every table on the metadata)
    from grants.setup import (
        register_blueprints,
        register_cli,
        register_errorhandlers,
        register_extensions,
        register_input_guards,
        register_request_parameters,
        register_request_slots,
        register_security_headers,
        register_template_helpers,
    )

    register_extensions(app)
    register_request_parameters(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_input_guards(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_cli(app)
    register_request_slots(app)
    return app
