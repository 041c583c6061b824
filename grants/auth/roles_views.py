"""Organizer pages to grant and revoke scoped roles in their districts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.auth import policy, service
from grants.auth.labels import ROLE_LABELS
from grants.auth.models import Role, RoleGrant
from grants.auth.roles_forms import GrantRoleForm
from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.forms import apply_domain_error

bp = Blueprint("roles", __name__, url_prefix="/admin/roles")


def _form_with_choices(district_ids: set[int]) -> GrantRoleForm:
    form = GrantRoleForm()
    choices = service.scope_choices(db.session, district_ids)
    none = [(0, _("（不适用）"))]
    form.role.choices = [(r.value, str(label)) for r, label in ROLE_LABELS.items()]
    form.district_id.choices = none + choices["district"]
    form.street_id.choices = none + choices["street"]
    form.community_id.choices = none + choices["community"]
    form.edition_id.choices = none + choices["edition"]
    return form


def _render(form, status: int = 200):
    district_ids = policy.organizer_district_ids(current_user)
    role = request.args.get("role") if request.args.get("role") in set(Role) else None
    grants = [g for g in service.grants_in_districts(db.session, district_ids) if role is None or g.role == role]
    return render_template(
        "admin/roles.html", form=form, grants=grants, role_filter=role, mask_login=service.mask_login
    ), status


@bp.get("/")
@login_required
def index():
    if not policy.is_organizer(current_user):
        abort(403)
    return _render(_form_with_choices(policy.organizer_district_ids(current_user)))


@bp.post("/grant")
@login_required
def grant():
    if not policy.is_organizer(current_user):
        abort(403)
    form = _form_with_choices(policy.organizer_district_ids(current_user))
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                new = service.grant_role_by_login(
                    session, actor=current_user, login=form.login.data, role=form.role.data, scope_id=form.scope_id()
                )
                name = new.user.display_name
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("已授予%(name)s角色。", name=name), "success")
            return redirect(url_for(".index"))
    return _render(form, 400)


@bp.post("/<int:grant_id>/revoke")
@login_required
def revoke(grant_id: int):
    grant = get_or_404(RoleGrant, grant_id)
    if not policy.can_revoke(current_user, grant):
        abort(403)
    try:
        with unit_of_work() as session:
            service.revoke_role(session, actor=current_user, grant=grant)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("角色已撤销。"), "success")
    return redirect(url_for(".index"))
