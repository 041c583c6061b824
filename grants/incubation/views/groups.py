"""Groups and their members: a community's groups, a group (facts, status, 备案, members), their forms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import params
from grants.db import db, get_or_404, unit_of_work
from grants.editions.forms import TransitionForm
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.funding import policy as funding_policy
from grants.funding.models import Grant
from grants.incubation import listing, policy, queries, service
from grants.incubation.forms import FilingForm, FromGrantForm, GroupForm, MemberForm
from grants.incubation.listing import GroupFilters
from grants.incubation.models import GroupStatus
from grants.incubation.states import (
    GROUP_KIND_LABELS,
    GROUP_STATUS_LABELS,
    STAR_FILTERS,
    group_machine,
    group_status_label,
)
from grants.incubation.views import bp, community_or_404, group_or_404, member_or_404, refuse_unless
from grants.results.masking import mask_mobile


@bp.get("/")
@login_required
def index():
    session = db.session
    return render_template(
        "incubation/index.html",
        communities=queries.overseen_communities(session, current_user),
        led=queries.led_groups(session, current_user.id),
    )


@bp.get("/communities/<int:community_id>")
@login_required
def community_groups(community_id: int):
    community = community_or_404(community_id)
    filters = GroupFilters.from_args(request.args)
    may_create = policy.can_create_group(current_user, community)
    return render_template(
        "incubation/community.html",
        community=community,
        listing=listing.group_page(db.session, listing.community_scope(community.id), filters, params.page_arg()),
        counts=listing.counts(db.session, listing.community_scope(community.id)),
        filters=filters,
        kinds=GROUP_KIND_LABELS,
        statuses=GROUP_STATUS_LABELS,
        star_filters=STAR_FILTERS,
        may_create=may_create,
        grants=queries.grants_without_group(db.session, community.id) if may_create else [],
    )


@bp.route("/communities/<int:community_id>/new", methods=["GET", "POST"])
@login_required
def new_group(community_id: int):
    community = community_or_404(community_id)
    refuse_unless(policy.can_create_group(current_user, community))
    form = GroupForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                group = service.create_group(session, actor=current_user, community=community, data=form.data_object())
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("组织已建立。"), "success")
            return redirect(url_for(".group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return render_template("incubation/group_form.html", form=form, community=community, group=None, grant=None), status


@bp.route("/from-grant/<int:grant_id>", methods=["GET", "POST"])
@login_required
def from_grant(grant_id: int):
    grant = get_or_404(Grant, grant_id)
    if not funding_policy.can_view(current_user, grant):
        abort(404)
    refuse_unless(policy.can_create_group(current_user, grant.proposal.community))
    form = FromGrantForm(data={"name": grant.proposal.title} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                group = service.create_group_from_grant(
                    session, actor=current_user, grant=grant, data=form.data_object()
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("组织已建立，团队成员已转为组织成员。"), "success")
            return redirect(url_for(".group", group_id=group.id))
    refusal = service.grant_refusal(db.session, grant)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "incubation/group_form.html",
        form=form,
        community=grant.proposal.community,
        group=None,
        grant=grant,
        refusal=refusal,
    ), status


@bp.get("/<int:group_id>")
@login_required
def group(group_id: int):
    group = group_or_404(group_id)
    see_mobiles = policy.can_see_mobiles(current_user, group)
    members = queries.members_of(db.session, group.id)
    return render_template(
        "incubation/group.html",
        group=group,
        members=members,
        mobiles={m.id: (m.mobile if see_mobiles else mask_mobile(m.mobile)) for m in members},
        may_manage=policy.can_manage(current_user, group),
        may_edit_members=policy.can_edit_members(current_user, group) and group.status != GroupStatus.DISSOLVED,
        options=group_machine.options(group, current_user),
        filing_form=FilingForm(),
    )


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit_group(group_id: int):
    group = group_or_404(group_id)
    refuse_unless(policy.can_manage(current_user, group))
    form = GroupForm(obj=group if request.method == "GET" else None)
    if request.method == "GET" and group.leader is not None:
        form.leader_login.data = group.leader.login_name
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.update_group(session, actor=current_user, group=group, data=form.data_object())
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("组织信息已保存。"), "success")
            return redirect(url_for(".group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "incubation/group_form.html", form=form, community=group.community, group=group, grant=None
    ), status


@bp.post("/<int:group_id>/status")
@login_required
def change_status(group_id: int):
    group = group_or_404(group_id)
    refuse_unless(policy.can_manage(current_user, group))
    form = TransitionForm()
    if not form.validate_on_submit():
        flash(_("请求无效，请重试。"), "error")
        return redirect(url_for(".group", group_id=group_id))
    try:
        with unit_of_work() as session:
            service.change_status(
                session, actor=current_user, group=group, target=form.target.data or "", reason=form.reason.data
            )
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for(".group", group_id=group_id))
    flash(_("状态已更新为“%(status)s”。", status=group_status_label(group.status)), "success")
    return redirect(url_for(".group", group_id=group_id))


@bp.post("/<int:group_id>/filing")
@login_required
def filing(group_id: int):
    group = group_or_404(group_id)
    refuse_unless(policy.can_manage(current_user, group))
    form = FilingForm()
    if not form.validate_on_submit():
        flash(_("请填写备案日期和备案编号。"), "error")
        return redirect(url_for(".group", group_id=group_id))
    try:
        with unit_of_work() as session:
            service.file_group(
                session, actor=current_user, group=group, filed_on=form.filed_on.data, filing_no=form.filing_no.data
            )
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for(".group", group_id=group_id))
    flash(_("备案已登记。"), "success")
    return redirect(url_for(".group", group_id=group_id))


@bp.route("/<int:group_id>/members/new", methods=["GET", "POST"])
@login_required
def new_member(group_id: int):
    group = group_or_404(group_id)
    refuse_unless(policy.can_edit_members(current_user, group))
    form = MemberForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.add_member(session, actor=current_user, group=group, data=form.data_object())
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("成员已添加。"), "success")
            return redirect(url_for(".group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return render_template("incubation/member_form.html", form=form, group=group, member=None), status


@bp.route("/<int:group_id>/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def edit_member(group_id: int, member_id: int):
    group = group_or_404(group_id)
    member = member_or_404(group, member_id)
    refuse_unless(policy.can_edit_members(current_user, group))
    form = MemberForm(obj=member if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.update_member(session, actor=current_user, member=member, group=group, data=form.data_object())
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("成员信息已保存。"), "success")
            return redirect(url_for(".group", group_id=group.id))
    status = 400 if request.method == "POST" else 200
    return render_template("incubation/member_form.html", form=form, group=group, member=member), status
