"""Organizer pages for the organisation hierarchy (in progress)."""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from grants.auth import policy

bp = Blueprint("org", __name__, url_prefix="/admin/org")


@bp.get("/")
@login_required
def index():
    if not policy.is_organizer(current_user):
        abort(403)
    return render_template("org/index.html")
