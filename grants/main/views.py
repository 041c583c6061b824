"""Home page, language switch and health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from grants import http_cache
from grants.db import db
from grants.extensions import csrf, limiter
from grants.i18n import LANG_COOKIE
from grants.main import service
from grants.security import safe_next_url

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    # The same page for every anonymous visitor: no session, cacheable (grants/http_cache.py).
    cached = http_cache.public_page()
    if cached is not None:
        return cached
    summary = service.home_summary(db.session, current_user)
    return render_template("main/index.html", summary=summary, tasks=service.waiting_for(db.session, current_user))


@bp.post("/language")
@csrf.exempt  # public pages carry no session, so no CSRF token; this only sets a display preference
def set_language():
    code = request.form.get("lang", "")
    target = safe_next_url(request.form.get("next")) or url_for("main.index")
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.get("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except Exception:  # any driver error means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.get("/favicon.ico")
@limiter.exempt
def favicon():
    """Browsers and crawlers ask for /favicon.ico whatever the page says: the platform's icon."""
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)
