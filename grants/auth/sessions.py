"""Sessions that end: a per-user version, idle and absolute timeouts, forced password change.

The session (and the remember-me cookie, which Flask-Login fills from the same value) carries
``"<user id>.<session version>.<issued at>"``. Bumping the user's version (sign-out, password
change, role revocation) makes every copy of an older value worthless on the server; the issue
time, signed with the cookie, bounds how long any of them can live. The time of the last request
(``_seen``) is kept in the signed session to end idle sessions. Nothing here touches the session
of a request that is not signed in, so anonymous pages stay without a cookie.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm.attributes import set_committed_value

from grants import timeutil
from grants.db import db, keep_signed_in, loaded_from_row

# The last-seen time is rewritten at most this often, so that not every response sets a cookie.
SEEN_RESOLUTION = 60
# Pages a user who must change a one-time password may still open.
OPEN_WHILE_MUST_CHANGE = {"auth.change_password", "auth.logout", "static", "main.set_language", "main.healthz"}
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_seen")


class SessionId(NamedTuple):
    user_id: int
    version: int
    issued: int | None  # None: a value written before issue times were kept


def now() -> int:
    """Seconds since the epoch (tests move this clock instead of sleeping)."""
    return int(timeutil.now().timestamp())


def make_session_id(user, issued: int) -> str:
    return f"{user.id}.{user.session_version}.{issued}"


def parse_session_id(value: str) -> SessionId | None:
    parts = str(value).split(".")
    if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        return None
    return SessionId(int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else None)


def _too_old(issued: int, at: int) -> bool:
    # An issue time in the future (beyond clock skew) is as invalid as an expired one.
    return at - issued > current_app.config["SESSION_ABSOLUTE_TIMEOUT"] or issued > at + 300


_user_query = None


def _user_with_unread_count():
    """The signed-in user, one row per role grant, with the unread notification count: one Core
    statement, built once, and the models whose columns fill its rows.

    Every signed-in request loads the user: roles by their scope ids only, and not the user's own
    community → street → district chain; a page that shows a grant's or the user's district,
    street, community or edition loads it when it does. The nav's unread count comes in the same
    rows, so a page's base costs one query. The rows are read with Core and made into the user and
    grant objects directly (``as_loaded``): the ORM's loading of them cost more than the query."""
    global _user_query
    if _user_query is None:
        from grants.auth.models import RoleGrant, User
        from grants.notifications.models import Notification

        users, grants = User.__table__, RoleGrant.__table__
        unread = (
            select(func.count(Notification.id))
            .where(Notification.user_id == users.c.id, Notification.read_at.is_(None))
            .scalar_subquery()
        )
        statement = (
            select(users, grants, unread)
            .select_from(users.outerjoin(grants, grants.c.user_id == users.c.id))
            .where(users.c.id == bindparam("user_id"))
            .order_by(grants.c.id)
        )
        _user_query = (statement, (User, RoleGrant))
    return _user_query


def load_user(value: str):
    """The user a session or remember-me value names, if it is still valid; else None."""
    sid = parse_session_id(value)
    if sid is None or (sid.issued is not None and _too_old(sid.issued, now())):
        return None
    statement, models = _user_with_unread_count()
    session = db.session()
    rows = session.connection().execute(statement, {"user_id": sid.user_id}).all()
    if not rows or rows[0].session_version != sid.version:
        return None
    loaded = [loaded_from_row(session, row, models) for row in rows]
    user = loaded[0][0]
    # The user's roles, as the relationship would load them; each grant's ``user`` is this user,
    # from the identity map.
    grants = [grant for _user, grant in loaded if grant is not None]
    set_committed_value(user, "grants", grants)
    keep_signed_in(session, [user, *grants])  # not read again by the request's units of work
    # Read at the start of this request: the nav of a GET page shows it (grants/main/nav.py).
    g.unread_notifications = (user.id, rows[0][-1])
    return user


def start(user, *, remember: bool = False) -> None:
    """Sign the user in on this browser; the issue time goes into the session and remember-me cookie."""
    login_user(user, remember=remember)
    at = now()
    session["_user_id"] = make_session_id(user, at)
    session["_seen"] = at


def end() -> None:
    """Forget the signed-in user on this browser (the caller ends it on the server)."""
    logout_user()
    session.pop("_seen", None)


def _forget_login() -> None:
    for key in _LOGIN_KEYS:
        session.pop(key, None)
    g.pop("_login_user", None)  # loaded again on first use: from a remember-me cookie, or anonymous


def enforce() -> object | None:
    """before_request: end sessions past their idle or absolute limit; force a password change."""
    if request.endpoint == "static":
        # The same file for everyone: no user to load, no session to refresh, no cookie to set
        # on an answer that caches keep for a year (grants.assets).
        return None
    config = current_app.config
    has_remember = config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    if config["SESSION_COOKIE_NAME"] in request.cookies:
        _enforce_limits(has_remember)
    elif not has_remember:
        # An anonymous visitor without cookies: nobody to load. Telling Flask-Login so keeps it from
        # opening the session (its template context loads the user on every render), so answers that
        # do not depend on the visitor (open data, PDFs) carry no ``Vary: Cookie``.
        g._login_user = current_app.login_manager.anonymous_user()
        return None
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in OPEN_WHILE_MUST_CHANGE
    ):
        return redirect(url_for("auth.change_password"))
    return None


def _enforce_limits(has_remember: bool) -> None:
    """Sign out a session past its absolute or idle limit; note the time of this request."""
    value = session.get("_user_id")
    if value is None:
        return
    sid = parse_session_id(value)
    if sid is None:
        return  # the user loader refuses it
    at = now()
    if sid.issued is None:
        # A session from before issue times were kept: its limits start now.
        session["_user_id"] = f"{sid.user_id}.{sid.version}.{at}"
    elif _too_old(sid.issued, at):
        logout_user()  # also clears the remember-me cookie, which carries the same issue time
        session.pop("_seen", None)
        flash(_("您的登录已超过最长有效期，请重新登录。"), "info")
        return
    seen = session.get("_seen")
    if isinstance(seen, int) and at - seen > current_app.config["SESSION_IDLE_TIMEOUT"]:
        _forget_login()
        # "Keep me signed in" means exactly that: a remember-me cookie signs the user in again
        # (its absolute limit still holds); without one the user is told why they must sign in.
        if not has_remember:
            flash(_("您已较长时间没有操作，为了安全已退出登录，请重新登录。"), "info")
        return
    if not isinstance(seen, int) or at - seen >= SEEN_RESOLUTION:
        session["_seen"] = at


def register(app: Flask) -> None:
    app.before_request(enforce)
