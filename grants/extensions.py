"""Flask extensions, created here and bound to the app in create_app()."""

from functools import cached_property

import flask_babel
import flask_login
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect


class LoginManager(flask_login.LoginManager):
    """Flask-Login's, except that its after-request step leaves an untouched session unopened."""

    def _update_remember_cookie(self, response):
        # Flask-Login reads ``session`` after every request to look for a remember-me instruction;
        # Flask 3.1 counts that read as an access and adds ``Vary: Cookie`` to every answer, the
        # anonymous open data's included. Without the instruction there is nothing to do.
        from grants.http_cache import peek_session

        opened = peek_session()
        refresh = current_app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST")
        if opened is not None and not refresh and "_remember" not in opened:
            return response
        return super()._update_remember_cookie(response)


class Babel(flask_babel.Babel):
    """Flask-Babel's, with a message domain that keeps each request's catalog (grants/i18n.py)."""

    @cached_property
    def domain_instance(self):
        from grants.i18n import KeptCatalogDomain

        return KeptCatalogDomain(domain=self.domain)


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
