"""Organizer pages for editions and rounds (in progress)."""

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from grants.auth import policy
from grants.db import db, get_or_404
from grants.editions import service
from grants.editions.models import Edition

bp = Blueprint("editions", __name__, url_prefix="/admin/editions")


@bp.get("/")
@login_required
def index():
    if not policy.is_organizer(current_user):
        abort(403)
    editions = service.editions_for_organizer(db.session, policy.organizer_district_ids(current_user))
    return render_template("editions/index.html", editions=editions)


@bp.get("/<int:edition_id>")
@login_required
def detail(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not policy.is_organizer(current_user, edition.district_id):
        abort(403)
    return render_template("editions/index.html", editions=[edition])
