"""The signed-in user's notifications: the list (unread first marked), marking read, opening one."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.notifications import labels, service
from grants.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@login_required
def index():
    page = request.args.get("page", 1, type=int) or 1
    rows, total = service.page_of(db.session, current_user.id, page)
    return render_template(
        "notifications/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // service.PER_PAGE)),
        message=labels.message,
        unread=service.unread_count(db.session, current_user.id),
    )


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    """Mark it read and go to what it is about (the proposal's page, or the list)."""
    note = get_or_404(Notification, notification_id)
    if note.user_id != current_user.id:
        abort(404)
    target = _target(note)
    with unit_of_work() as session:
        service.mark_read(session, actor=current_user, notification_id=note.id)
    return redirect(target)


@bp.post("/read")
@login_required
def read_all():
    with unit_of_work() as session:
        service.mark_read(session, actor=current_user)
    return redirect(url_for(".index"))


def _target(note: Notification) -> str:
    if note.kind == labels.LISTED and (note.params or {}).get("entry_id"):
        return url_for("public.project", entry_id=note.params["entry_id"])
    if note.kind == labels.REMINDER:
        return url_for("judging.queue")
    if note.proposal_id is not None:
        return url_for("proposals.detail", proposal_id=note.proposal_id)
    return url_for(".index")
