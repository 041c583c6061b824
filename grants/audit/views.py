"""Organizer page to browse and filter the audit log of their districts."""

from __future__ import annotations

import math
from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import params
from grants.audit import display, service
from grants.audit import security as security_log
from grants.audit.labels import action_label, object_type_label
from grants.auth import policy
from grants.auth.service import mask_login
from grants.db import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@login_required
def index():
    if not policy.can_view_audit(current_user):
        abort(403)
    district_ids = policy.organizer_district_ids(current_user)
    flt = service.AuditFilter(
        district_ids=district_ids,
        action=request.args.get("action") or None,
        object_type=request.args.get("object_type") or None,
        object_id=params.int_arg("object_id", label=_("对象编号")),
        actor=(request.args.get("actor") or "").strip() or None,
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
    )
    per_page = current_app.config["PER_PAGE"]
    page = params.page_arg()
    entries, total = service.search_entries(db.session, flt, page=page, per_page=per_page)
    actions, types = service.distinct_values(db.session, district_ids)
    return render_template(
        "audit/index.html",
        entries=display.present(db.session, entries),
        total=total,
        flt=flt,
        actions=actions,
        types=types,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        action_label=action_label,
        object_type_label=object_type_label,
    )


@bp.get("/security")
@login_required
def security():
    if not policy.can_view_security_log(current_user):
        abort(403)
    kind = request.args.get("kind") or None
    flt = security_log.EventFilter(
        kind=kind if kind in security_log.KIND_LABELS else None,
        login=(request.args.get("login") or "").strip()[:64] or None,
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
    )
    per_page = current_app.config["PER_PAGE"]
    events, total, page = security_log.search_events(db.session, flt, page=params.page_arg(), per_page=per_page)
    return render_template(
        "audit/security.html",
        events=events,
        total=total,
        flt=flt,
        kinds=security_log.KIND_LABELS,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        mask_login=mask_login,
    )
