"""Organizer pages for the organisation hierarchy: district → streets → communities."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.auth import policy as auth_policy
from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.org import csvimport, policy, service
from grants.org.forms import CommunityForm, DistrictForm, ImportForm, StreetForm
from grants.org.models import Community, District, Street
from grants.reports import tables

bp = Blueprint("org", __name__, url_prefix="/admin/org")


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _refused(err: DomainError, form=None):
    if form is None or not apply_domain_error(form, err):
        flash(str(err), "error")


@bp.get("/")
@login_required
def index():
    _require(auth_policy.is_organizer(current_user))
    tree = service.district_tree(db.session, auth_policy.organizer_district_ids(current_user))
    return render_template("org/index.html", tree=tree)


@bp.route("/districts/<int:district_id>/edit", methods=["GET", "POST"])
@login_required
def edit_district(district_id: int):
    district = get_or_404(District, district_id)
    _require(policy.can_manage_district(current_user, district))
    form = DistrictForm(obj=district, daily_hours_cap=f"{district.daily_hours_cap_halves / 2:g}")
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.update_district(
                    session,
                    actor=current_user,
                    district=district,
                    office_name=form.office_name.data,
                    activity_log_days=form.activity_log_days.data,
                    daily_hours_cap=form.daily_hours_cap.data,
                )
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(".index"))
    return render_template("org/district_form.html", form=form, district=district), 400 if form.errors else 200


@bp.route("/districts/<int:district_id>/streets/new", methods=["GET", "POST"])
@login_required
def new_street(district_id: int):
    district = get_or_404(District, district_id)
    _require(policy.can_manage_district(current_user, district))
    form = StreetForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.create_street(session, actor=current_user, district=district, name=form.name.data)
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("街道已添加。"), "success")
            return redirect(url_for(".index"))
    return render_template("org/street_form.html", form=form, district=district, street=None), (
        400 if form.errors else 200
    )


@bp.route("/streets/<int:street_id>/edit", methods=["GET", "POST"])
@login_required
def edit_street(street_id: int):
    street = get_or_404(Street, street_id)
    _require(policy.can_manage_street(current_user, street))
    form = StreetForm(obj=street)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.rename_street(session, actor=current_user, street=street, name=form.name.data)
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(".index"))
    return render_template("org/street_form.html", form=form, district=street.district, street=street), (
        400 if form.errors else 200
    )


@bp.post("/streets/<int:street_id>/delete")
@login_required
def delete_street(street_id: int):
    street = get_or_404(Street, street_id)
    _require(policy.can_manage_street(current_user, street))
    try:
        with unit_of_work() as session:
            service.delete_street(session, actor=current_user, street=street)
    except DomainError as err:
        _refused(err)
    else:
        flash(_("街道已删除。"), "success")
    return redirect(url_for(".index"))


def _street_choices(district_id: int) -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in service.streets_of(db.session, district_id)]


@bp.route("/streets/<int:street_id>/communities/new", methods=["GET", "POST"])
@login_required
def new_community(street_id: int):
    street = get_or_404(Street, street_id)
    _require(policy.can_manage_street(current_user, street))
    form = CommunityForm(street_id=street.id)
    form.street_id.choices = _street_choices(street.district_id)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                target = service.street_in_district(session, form.street_id.data, street.district_id)
                service.create_community(session, actor=current_user, street=target, name=form.name.data)
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("社区已添加。"), "success")
            return redirect(url_for(".index"))
    return render_template("org/community_form.html", form=form, district=street.district, community=None), (
        400 if form.errors else 200
    )


@bp.route("/communities/<int:community_id>/edit", methods=["GET", "POST"])
@login_required
def edit_community(community_id: int):
    community = get_or_404(Community, community_id)
    _require(policy.can_manage_community(current_user, community))
    form = CommunityForm(obj=community)
    form.street_id.choices = _street_choices(community.street.district_id)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                target = service.street_in_district(session, form.street_id.data, community.street.district_id)
                service.update_community(
                    session, actor=current_user, community=community, name=form.name.data, street=target
                )
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(".index"))
    return render_template(
        "org/community_form.html", form=form, district=community.street.district, community=community
    ), (400 if form.errors else 200)


@bp.post("/communities/<int:community_id>/delete")
@login_required
def delete_community(community_id: int):
    community = get_or_404(Community, community_id)
    _require(policy.can_manage_community(current_user, community))
    try:
        with unit_of_work() as session:
            service.delete_community(session, actor=current_user, community=community)
    except DomainError as err:
        _refused(err)
    else:
        flash(_("社区已删除。"), "success")
    return redirect(url_for(".index"))


@bp.route("/districts/<int:district_id>/import", methods=["GET", "POST"])
@login_required
def import_orgs(district_id: int):
    district = get_or_404(District, district_id)
    _require(policy.can_manage_district(current_user, district))
    form = ImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                report = service.import_orgs(session, actor=current_user, data=form.file.data.read(), district=district)
        except service.ImportRowsError as err:
            errors = err.messages
        else:
            flash(
                _(
                    "导入完成：新增%(s)d个街道、%(c)d个社区，%(k)d行已存在。",
                    s=report.streets_created,
                    c=report.communities_created,
                    k=report.already_present,
                ),
                "success",
            )
            return redirect(url_for(".index"))
    status = 400 if (errors or form.errors) else 200
    return render_template("org/import.html", form=form, district=district, errors=errors), status


@bp.get("/import-sample.csv")
@login_required
def import_sample():
    _require(auth_policy.is_organizer(current_user))
    table = tables.Table(title="sample", headers=csvimport.SAMPLE_HEADERS, rows=csvimport.SAMPLE_ROWS)
    body, headers = tables.download(table, "csv", "org-import-sample", "org-import-sample")
    return Response(body, headers=headers)
